"""A server's close frame that arrives just ahead of its reset is read, whatever
the case writes meanwhile.

A server that fails the connection writes its close frame and closes its
socket; bytes of the client's that it had not read (or that reach it after)
make that close a TCP reset. The close frame came first on the wire and the
kernel keeps it for the client, so a case must still see it: a write that
meets the reset ends the connection only after what had arrived. Both ways the
write can meet the reset are checked: after the driver has taken the close
frame in, and before (the event loop blocked while the reset arrived).
"""

from __future__ import annotations

import base64
import hashlib
import select
import socket
import time

import pytest
from wsspec.driver import DRIVER_NAMES, get_runtime
from wsspec.driver.base import StreamEnd
from wsspec.dsl import Client, Target
from wsspec.protocol.close import CloseInfo, encode_close_payload
from wsspec.protocol.frames import Frame, Opcode
from wsspec.verdicts import CaseRecord

from .servers import SOCKET_TIMEOUT, LoopbackServer

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CLOSE = Frame(Opcode.CLOSE, encode_close_payload(1002, "bad frame")).encode()


def answer_the_liveness_ping(conn: socket.socket) -> None:
    """Read the ping a case sends before its first frame and answer it."""
    head = conn.recv(2, socket.MSG_WAITALL)
    key = conn.recv(4, socket.MSG_WAITALL)
    payload = conn.recv(head[1] & 0x7F, socket.MSG_WAITALL)
    unmasked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    conn.sendall(Frame(Opcode.PONG, unmasked).encode())


def fail_on_first_frame(conn: socket.socket, server: LoopbackServer) -> None:
    """Accept the handshake and answer the liveness ping; once the client's first
    frame has arrived, send a close frame 1002 and close the socket without
    reading the frame: a reset."""
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(4096)
    key = next(line.split(b":", 1)[1].strip().decode() for line in request.split(b"\r\n")
               if line.lower().startswith(b"sec-websocket-key:"))
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept.encode() + b"\r\n\r\n")
    answer_the_liveness_ping(conn)
    readable, _, _ = select.select([conn], [], [], SOCKET_TIMEOUT)
    if readable:
        conn.sendall(CLOSE)


@pytest.mark.parametrize("driver", DRIVER_NAMES)
@pytest.mark.parametrize("loop", ["reading", "blocked"])
def test_a_write_that_meets_the_reset_leaves_the_close_frame_readable(driver: str,
                                                                       loop: str) -> None:
    record = CaseRecord("test.close-before-reset", "misc", "", "", "", None)
    seen: list[CloseInfo | StreamEnd] = []

    async def conversation(client: Client) -> None:
        ws = await client.open()
        await ws.send_frame(Opcode.TEXT, b"bad")
        # The server's close frame and reset arrive meanwhile: taken in by the
        # driver while the loop runs, or left in the kernel while it is blocked.
        if loop == "blocked":
            time.sleep(0.3)
        else:
            await ws.driver.sleep(0.3)
        await ws.send_frame(Opcode.PING, b"must not be answered")
        seen.append(await ws.expect_failure((1002,)))
        await client.aclose()

    with LoopbackServer(fail_on_first_frame) as server:
        client = Client(Target(url=f"ws://127.0.0.1:{server.port}/", driver=driver), record)
        get_runtime(driver).run(lambda: conversation(client), timeout=10.0)
    assert seen and isinstance(seen[0], CloseInfo), record.wirelog.tail()
    assert seen[0].code == 1002
    assert record.verdict.value == "pass"
