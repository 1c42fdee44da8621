"""Hostile servers: peers a conformance run must survive, each selected by name.

``python -m wsspec.targets.hostile NAME --port P`` runs one on 127.0.0.1 (``--list``
shows them). The project's own tests run the suite against each and check
that the run ends within its deadlines, in bounded memory, with a verdict
for every case and no traceback:

======================  ============================================================
``silent``              accepts TCP and never answers
``trickle``             answers a correct 101 one byte per second
``garbage``             answers with random bytes instead of HTTP
``endless-frame``       a correct 101, then a frame of 2^62 bytes streamed for ever
``huge-length``         a correct 101, then a frame declaring 2^63 bytes
``reset-handshake``     resets the connection in the middle of its 101
``tls-to-plain``        answers a ws:// request with TLS records
``plain-to-tls``        answers a wss:// client's ClientHello with plain HTTP
``close-after-101``     a correct 101, then closes TCP at once
``ping-flood``          a correct 101, then pings as fast as the client reads
======================  ============================================================
"""

from __future__ import annotations

import asyncio
import contextlib

from .servers import HOSTILE, MAX_CONNECTION_TIME, Handler

__all__ = ["HOSTILE", "HostileServer"]


class HostileServer:
    """One hostile server (``name`` from :data:`HOSTILE`) listening on ``host:port``
    (``port=0``: any free port, readable from :attr:`port` after :meth:`start`)."""

    def __init__(self, name: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if name not in HOSTILE:
            raise ValueError(f"unknown hostile server {name!r} (known: {', '.join(HOSTILE)})")
        self.name = name
        self.host = host
        self._requested_port = port
        self._handler: Handler = HOSTILE[name][1]
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the server is not listening; call start() first")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self._requested_port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            with contextlib.suppress(asyncio.TimeoutError, OSError):
                await asyncio.wait_for(self._handler(reader, writer), MAX_CONNECTION_TIME)
        finally:
            self._tasks.discard(task)
            writer.transport.close()

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
