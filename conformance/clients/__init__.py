"""The client catalogue: cases that judge a WebSocket client, the suite playing the server.

Collected only in a client run (``pytest --client-cmd="CMD {url}"`` or
``wsspec client --client-cmd ...``); see ``docs/clients.md``.
"""
