"""Server pings as a connection meets them, on real sockets: of pings back to back
only the last is answered (RFC 6455 5.5.3), and a flood fails the case at once
instead of holding it until its deadline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from wsspec.driver import get_runtime
from wsspec.dsl import Client, Target
from wsspec.dsl.connection import FLOOD_PINGS
from wsspec.protocol.frames import Opcode
from wsspec.protocol.messages import Receiver
from wsspec.targets.hostile.servers import frame_header, switching_protocols
from wsspec.verdicts import CaseFailed, CaseRecord


def ping(payload: bytes) -> bytes:
    return frame_header(0x9, len(payload)) + payload


@dataclass
class ScriptedServer:
    """Answers one handshake with a 101 and ``after``, in one write, then keeps
    what the client sends until it closes."""

    after: bytes
    received: bytearray = field(default_factory=bytearray)
    port: int = 0

    def serve(self, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(10.0)
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            conn.sendall(switching_protocols(head) + self.after)
            deadline = time.monotonic() + 10.0
            while time.monotonic() < deadline:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                self.received += data


@pytest.fixture
def serve() -> Iterator[Callable[[bytes], ScriptedServer]]:
    """Start a :class:`ScriptedServer` on a free port, in a thread of its own."""
    started: list[tuple[socket.socket, threading.Thread]] = []

    def start(after: bytes) -> ScriptedServer:
        server = ScriptedServer(after)
        listener = socket.create_server(("127.0.0.1", 0))
        server.port = listener.getsockname()[1]
        thread = threading.Thread(target=server.serve, args=(listener,), daemon=True)
        thread.start()
        started.append((listener, thread))
        return server

    yield start
    for listener, thread in started:
        listener.close()
        thread.join(timeout=15.0)


#: the deadline of each wait in these conversations (s).
TIMEOUT = 5.0


def converse(port: int, expect: str) -> CaseRecord:
    record = CaseRecord("test.pings", "ping", "", "", "", None)
    client = Client(Target(url=f"ws://127.0.0.1:{port}/", timeout=TIMEOUT), record)

    async def conversation() -> None:
        try:
            ws = await client.open()
            await ws.expect_message(expect)
        finally:
            await client.aclose()

    get_runtime("asyncio").run(conversation)
    return record


def pongs_in(data: bytes) -> list[bytes]:
    events = Receiver(expect_masked=True).feed(data)
    return [e.payload for e in events if getattr(e, "opcode", None) == Opcode.PONG]


def test_of_pings_back_to_back_only_the_last_is_answered(
        serve: Callable[[bytes], ScriptedServer]) -> None:
    pings = b"".join(ping(b"ping %d" % n) for n in range(50))
    server = serve(pings + frame_header(0x1, 5) + b"after")
    converse(server.port, "after")
    time.sleep(0.2)  # the pong is on its way to the server
    assert pongs_in(bytes(server.received)) == [b"ping 49"]


def test_a_ping_flood_fails_the_case_at_once(serve: Callable[[bytes], ScriptedServer]) -> None:
    server = serve(b"".join(ping(b"flood") for _ in range(4 * FLOOD_PINGS)))
    started = time.monotonic()
    with pytest.raises(CaseFailed) as failed:
        converse(server.port, "never sent")
    # well before the wait's deadline, however loaded the machine
    assert time.monotonic() - started < TIMEOUT * 0.8
    assert failed.value.observed.startswith("a ping flood: ")
    assert "pings in a row" in failed.value.observed
    entries = failed.value.wirelog_tail
    assert any("pings in a row" in line for line in entries), entries
