"""The fuzz oracle grades a handshake answer as the catalogue grades it, shape by shape.

A server on 127.0.0.1 answers every request with one canned answer (a correct
101, a 400, a 426 with or without ``Sec-WebSocket-Version: 13``, a 505, a 405
without Allow, a 101 with a wrong accept token, a dropped connection). For
each request shape that both the fuzz section (a mutation of
``handshake_probes``) and the catalogue (a case of
``conformance/test_handshake.py``) know, the catalogue case and the fuzz
probe are run against it and must give the same verdict; the fuzz probe's
verdict is confirmed by the independent judge as it is played. A Host naming
another authority than the target's has no catalogue case: its row says what
RFC 6455 4.2.1 item 2 allows (a 101 or a refusal).
"""

from __future__ import annotations

import base64
import hashlib
import socket
import socketserver
import threading
from collections.abc import Awaitable, Callable, Iterator

import pytest
from wsspec.conformance import test_handshake as catalogue
from wsspec.dsl import Client, Target
from wsspec.fuzz.runner import HANDSHAKE_KEY, Outcome, play_example, run_example
from wsspec.fuzz.script import HandshakeProbe
from wsspec.fuzz.strategies import mutate
from wsspec.verdicts import CaseRecord

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
EMPTY = "Content-Length: 0\r\n\r\n"

#: The canned answers: the response's head (``{accept}`` filled from the request's
#: key), or None to close the connection without one.
ANSWERS: dict[str, str | None] = {
    "101": "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: {accept}\r\n\r\n",
    "101-bad-accept": "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                      "AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
    "400": "HTTP/1.1 400 Bad Request\r\n" + EMPTY,
    "426-version-13": "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n"
                      "Sec-WebSocket-Version: 13\r\n" + EMPTY,
    "426-no-version": "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n" + EMPTY,
    "505": "HTTP/1.1 505 HTTP Version Not Supported\r\n" + EMPTY,
    "405-no-allow": "HTTP/1.1 405 Method Not Allowed\r\n" + EMPTY,
    "drop": None,
}

Case = Callable[[Client], Awaitable[None]]

#: shape → (the fuzz mutations that build it, the catalogue case that grades it).
SHAPES: dict[str, tuple[tuple[tuple[str, ...], ...], Case | None]] = {
    "valid": ((), catalogue.test_valid_handshake_is_accepted),
    **{f"version-{v}": ((("value", "Sec-WebSocket-Version", v),),
                        lambda c, v=v: catalogue.test_unsupported_version_is_refused_with_versions(
                            c, v))
       for v in ("8", "12", "14", "abc")},
    "version-missing": ((("drop", "Sec-WebSocket-Version"),),
                        catalogue.test_missing_version_is_refused),
    "version-duplicated": ((("duplicate", "Sec-WebSocket-Version"),),
                           catalogue.test_duplicated_version_is_refused),
    "http-1.0": ((("http-version", "1.0"),), catalogue.test_http_1_0_is_refused),
    **{f"method-{m}": ((("method", m),),
                       lambda c, m=m: catalogue.test_method_other_than_get_is_refused(c, m))
       for m in ("POST", "PUT")},
    **{f"field-{variant}": (mutations, lambda c, row=row:
                            catalogue.test_request_breaking_a_required_field_is_refused(c, *row))
       for (variant, mutations), row in zip(
           (("host.missing", (("drop", "Host"),)), ("host.duplicated", (("duplicate", "Host"),)),
            ("upgrade.missing", (("drop", "Upgrade"),)),
            ("upgrade.wrong", (("value", "Upgrade", "h2c"),)),
            ("connection.missing", (("drop", "Connection"),)),
            ("connection.wrong", (("value", "Connection", "keep-alive"),))),
           catalogue.BAD_FIELDS, strict=True)},
    "key-empty": ((("value", "Sec-WebSocket-Key", ""),),
                  lambda c: catalogue.test_invalid_key_is_refused(c, "empty", "")),
    "key-not-base64": ((("value", "Sec-WebSocket-Key", "not base64 at all!!!!!!="),),
                       lambda c: catalogue.test_invalid_key_is_refused(
                           c, "not-base64", "@@@@@@@@@@@@@@@@@@@@@@==")),
    "key-duplicated": ((("duplicate", "Sec-WebSocket-Key"),),
                       catalogue.test_duplicated_key_is_refused),
    "host-foreign": ((("value", "Host", "example.com:80"),), None),
}

#: host-foreign has no catalogue case: RFC 6455 4.2.1 item 2 lets a server refuse
#: a host it does not serve, and a server that serves any host accepts it.
FOREIGN_HOST = {"101": "pass", "101-bad-accept": "fail", "400": "pass", "426-version-13": "pass",
                "426-no-version": "pass", "505": "fail", "405-no-allow": "fail",
                "drop": "non-strict"}


class _Canned(socketserver.BaseRequestHandler):
    server: _CannedServer

    def handle(self) -> None:
        sock = self.request
        sock.settimeout(5.0)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                return
            data += chunk
        answer = ANSWERS[self.server.answer]
        if answer is None:
            return
        key = next((line.split(b":", 1)[1].strip() for line in data.split(b"\r\n")
                    if line.lower().startswith(b"sec-websocket-key:")), b"")
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        sock.sendall(answer.format(accept=accept).encode())
        if answer.startswith("HTTP/1.1 101"):
            # The catalogue pings an accepted connection, then closes it: answer both.
            for _ in range(4):
                frame = _read_small_frame(sock)
                if frame is None:
                    return
                opcode, payload = frame
                if opcode == 0x9:
                    sock.sendall(bytes([0x8A, len(payload)]) + payload)
                elif opcode == 0x8:
                    sock.sendall(b"\x88\x02\x03\xe8")
                    return


def _read_small_frame(sock: socket.socket) -> tuple[int, bytes] | None:
    """One masked client frame of at most 125 bytes: its opcode and unmasked payload."""
    head = sock.recv(2, socket.MSG_WAITALL)
    if len(head) < 2 or head[1] & 0x7F > 125:
        return None
    key = sock.recv(4, socket.MSG_WAITALL)
    size = head[1] & 0x7F
    data = sock.recv(size, socket.MSG_WAITALL) if size else b""
    return head[0] & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(data))


class _CannedServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    answer = "400"


@pytest.fixture(scope="module")
def canned() -> Iterator[_CannedServer]:
    server = _CannedServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5.0)


def record() -> CaseRecord:
    return CaseRecord("handshake.crosscheck", "handshake", "", "", "", None)


def catalogue_verdict(target: Target, case: Case) -> str:
    async def play(client: Client) -> Outcome:
        await case(client)
        return Outcome(client.record.verdict)

    rec = record()
    outcome = run_example(target, rec, play)
    return outcome.verdict.value


def fuzz_verdict(target: Target, mutations: tuple[tuple[str, ...], ...]) -> str:
    request = Client(target, record()).request(key=HANDSHAKE_KEY)
    for mutation in mutations:
        request = mutate(request, mutation)
    probe = HandshakeProbe(request.encode(), (), tuple(":".join(m) for m in mutations))
    return play_example(target, record(), probe).verdict.value


@pytest.mark.parametrize("answer", list(ANSWERS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_fuzz_and_catalogue_grade_the_same_answer_the_same(canned: _CannedServer, shape: str,
                                                           answer: str) -> None:
    canned.answer = answer
    port = canned.server_address[1]
    target = Target(f"ws://127.0.0.1:{port}/", timeout=2.0)
    mutations, case = SHAPES[shape]
    expected = FOREIGN_HOST[answer] if case is None else catalogue_verdict(target, case)
    assert fuzz_verdict(target, mutations) == expected


def test_the_three_shapes_the_oracle_once_contradicted(canned: _CannedServer) -> None:
    # Version 8 accepted is informational, a 505 to HTTP/1.0 passes, and a foreign
    # Host may be refused or accepted.
    port = canned.server_address[1]
    target = Target(f"ws://127.0.0.1:{port}/", timeout=2.0)
    found = {}
    for shape, answer in (("version-8", "101"), ("http-1.0", "505"), ("host-foreign", "400"),
                          ("host-foreign", "101")):
        canned.answer = answer
        found[shape, answer] = fuzz_verdict(target, SHAPES[shape][0])
    assert found == {("version-8", "101"): "informational", ("http-1.0", "505"): "pass",
                     ("host-foreign", "400"): "pass", ("host-foreign", "101"): "pass"}

