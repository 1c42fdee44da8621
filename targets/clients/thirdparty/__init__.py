"""Real third-party WebSocket clients as echo clients, for ``--client-cmd``.

- :mod:`.python`: websockets, aiohttp, tornado, wsproto and trio-websocket
  (``python -m wsspec.targets.clients.thirdparty LIBRARY {url}``);
- ``node/client.js``: Node's ``ws``; ``go/client.go``: gorilla/websocket's Dialer;
- :mod:`.chromium`: headless Chromium's own ``WebSocket``, from ``browser/echo.html``;
- :mod:`.install`: builds the Node and Go clients and gives every client's command.

Each echoes every message until the connection closes and leaves every rule to its
library: the suite's verdicts are the library's (docs/compatibility.md).
"""
