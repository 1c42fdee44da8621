"""A small chat server on the ``websockets`` library, with its wsspec profile.

See ``README.md`` in this folder, and :mod:`wsspec.targets.examples.chat.server`.
"""
