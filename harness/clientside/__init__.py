"""Testing WebSocket clients: the suite plays the server.

For each client case the suite serves a URL of its own
(``ws://127.0.0.1:PORT/case/ID``), starts the client command with ``{url}``
replaced by it, and converses with the client that connects, the client
echoing every message as Autobahn|Testsuite's client scripts do. One module
per concern: :mod:`.profile` (what the client declares), :mod:`.wire` (the
listener and the accepted TCP stream), :mod:`.connection` (one WebSocket
conversation, the suite's side, and its expectations), :mod:`.session` (one
case: the process and its connections), :mod:`.cases` (the ``@client_case``
metadata) and :mod:`.run` (the pytest side of a client run). The WebSocket
rules themselves are the sans-IO core's (:mod:`wsspec.protocol`).
"""
