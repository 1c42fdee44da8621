"""The wsspec conformance cases: one module per section of the suite.

Each case is a pytest test decorated with :func:`wsspec.cases.case`; it runs
against the target the plugin resolves (``--target``, ``--target-cmd`` or the
built-in reference server).
"""
