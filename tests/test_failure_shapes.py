"""The failure-shape table and the DSL that applies it agree, over real sockets.

A loopback server answers the opening handshake and the liveness ping, then
ends the connection in one shape when the case's message arrives: a close frame
with the expected code, with another code, a FIN, a reset, or nothing. For
every requirement level, ``Connection.expect_failure`` must give the verdict
:data:`wsspec.failure_shapes.TABLE` states. The generated page must be current.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from driver.servers import LoopbackServer
from wsspec.driver import get_runtime
from wsspec.dsl import Client, Target
from wsspec.failure_shapes import TABLE, Level, Shape, verdict_for
from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.frames import Opcode, encode_frame
from wsspec.protocol.handshake import build_accept_response
from wsspec.protocol.mask import apply_mask
from wsspec.verdicts import CaseFailed, CaseRecord, Verdict

REPO = Path(__file__).resolve().parent.parent
WAIT = 0.5


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = conn.recv(size - len(data))
        if not piece:
            raise ConnectionError("client went away")
        data += piece
    return data


def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
    first, second = _read_exactly(conn, 2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", _read_exactly(conn, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _read_exactly(conn, 8))[0]
    key = _read_exactly(conn, 4) if second & 0x80 else b""
    payload = _read_exactly(conn, length)
    return first & 0x0F, apply_mask(payload, key) if key else payload


def _server(shape: Shape, *, answers_pings: bool = True) -> LoopbackServer:
    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        conn.settimeout(5.0)
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        key = next(line.split(b":", 1)[1].strip().decode() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        conn.sendall(build_accept_response(key))
        while True:
            opcode, payload = _read_frame(conn)
            if opcode == Opcode.PING:
                if answers_pings:
                    conn.sendall(encode_frame(Opcode.PONG, payload))
                continue
            break
        if shape in (Shape.EXPECTED_CODE, Shape.OTHER_CODE):
            code = 1002 if shape is Shape.EXPECTED_CODE else 1011
            conn.sendall(encode_frame(Opcode.CLOSE, encode_close_payload(code)))
            _read_frame(conn)  # the client's answer
            conn.shutdown(socket.SHUT_WR)
        elif shape is Shape.TCP_CLOSE:
            conn.shutdown(socket.SHUT_WR)
        elif shape is Shape.RESET:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        server.stopping.wait(3 * WAIT)

    return LoopbackServer(handler)


def _grade(server: LoopbackServer, level: Level) -> Verdict:
    record = CaseRecord("test.shape", "misc", "", "", "", None)
    client = Client(Target(url=f"ws://127.0.0.1:{server.port}/", timeout=WAIT), record)
    outcome: list[Verdict] = []

    async def conversation() -> None:
        try:
            ws = await client.open()
            await ws.send_message("the offending message")
            await ws.expect_failure((1002,), level=level)
            outcome.append(record.verdict)
        except CaseFailed:
            outcome.append(Verdict.FAIL)
        finally:
            await client.aclose()

    get_runtime("asyncio").run(conversation, timeout=10)
    return outcome[0]


@pytest.mark.parametrize("shape", [s for s in Shape if s is not Shape.INVALID_CODE],
                         ids=lambda s: s.name)
@pytest.mark.parametrize("level", list(Level), ids=lambda level: level.name)
def test_expect_failure_grades_as_the_table_says(level: Level, shape: Shape) -> None:
    with _server(shape) as server:
        assert _grade(server, level) is verdict_for(level, shape)


def test_an_invalid_close_code_fails_at_every_level() -> None:
    assert {row[Shape.INVALID_CODE] for row in TABLE.values()} == {Verdict.FAIL}


@pytest.mark.parametrize("shape", [Shape.TCP_CLOSE, Shape.RESET], ids=lambda s: s.name)
def test_an_end_counts_only_on_a_connection_shown_to_be_processed(shape: Shape) -> None:
    """A server that never answered the liveness ping may have ended the
    connection for no reason: only its close frame with the rule's code counts."""
    with _server(shape, answers_pings=False) as server:
        assert _grade(server, Level.MUST_CLOSE) is Verdict.FAIL


def test_the_generated_page_is_current() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wsspec.failure_shapes", "docs/failure-shapes.md", "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
