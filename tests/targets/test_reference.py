"""The reference server against real clients on 127.0.0.1: websockets' asyncio
client for the happy paths, raw sockets with hand-built frames for the rest."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from wsspec import credentials
from wsspec.profile import (
    AuthPolicy,
    DeflatePolicy,
    HeartbeatPolicy,
    LimitsPolicy,
    OriginPolicy,
    TargetProfile,
    load_profile,
)
from wsspec.protocol.close import encode_close_payload, parse_close_payload
from wsspec.protocol.frames import Frame, FrameParser, Opcode, encode_frame
from wsspec.protocol.handshake import (
    HandshakeRequest,
    HandshakeResponse,
    ResponseParser,
    build_request,
    check_response,
)
from wsspec.targets.reference import RunningServer, run_in_thread
from wsspec.targets.reference.auth import SUBPROTOCOL_TOKEN_PREFIX

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "targets" / "profiles"
SECRET = "test-secret-of-at-least-32-bytes-for-hs256"
DEADLINE = 5.0


# -- a raw client ------------------------------------------------------------


class Raw:
    """A client on a plain socket: exact bytes out, strictly parsed frames in."""

    def __init__(self, port: int, timeout: float = DEADLINE) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.frames = FrameParser(expect_masked=False)
        self.pending: list[Frame] = []

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def open(
        self, request: HandshakeRequest | None = None, *, path: str = "/", **kwargs: object
    ) -> HandshakeResponse:
        if request is None:
            request = build_request("127.0.0.1", path, **kwargs)  # type: ignore[arg-type]
        self.send(request.encode())
        return self.response()

    def response(self) -> HandshakeResponse:
        parser = ResponseParser()
        while True:
            data = self.sock.recv(65536)
            result = parser.feed_eof() if not data else parser.feed(data)
            if result is not None:
                self.pending += self.frames.feed(parser.trailing)
                return result
            assert data, "the server closed without answering"

    def frame(self, opcode: int, payload: bytes = b"", **kwargs: object) -> None:
        kwargs.setdefault("mask_key", os.urandom(4))
        self.send(encode_frame(opcode, payload, **kwargs))  # type: ignore[arg-type]

    def recv(self) -> Frame | None:
        """The next frame, ``None`` at EOF."""
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.pending += self.frames.feed(data)
        return self.pending.pop(0)

    def recv_close(self) -> tuple[int | None, list[Frame]]:
        """Frames up to and including a close frame; its code and what came before."""
        before: list[Frame] = []
        while True:
            frame = self.recv()
            assert frame is not None, f"EOF without a close frame after {before}"
            if frame.opcode == Opcode.CLOSE:
                return parse_close_payload(frame.payload).code, before
            before.append(frame)

    def eof(self) -> bool:
        """True when the server closes TCP (FIN or reset) before the deadline."""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False


def raw(server: RunningServer, **kwargs: object) -> Raw:
    client = Raw(server.port)
    response = client.open(**kwargs)
    assert response.status == 101, response
    return client


@pytest.fixture
def make_server() -> Iterator[object]:
    started: list[RunningServer] = []

    def start(profile: TargetProfile | None = None) -> RunningServer:
        server = run_in_thread(profile)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def plain() -> Iterator[RunningServer]:
    server = run_in_thread(
        TargetProfile(
            subprotocols=("chat.v1", "chat.v2"),
            deflate=DeflatePolicy(),
            limits=LimitsPolicy(max_message_size=4096, handshake_timeout=0.5),
        )
    )
    yield server
    server.stop()


# -- echo with a real client ------------------------------------------------


@pytest.mark.parametrize("compression", ["deflate", None])
def test_websockets_client_echoes(plain: RunningServer, compression: str | None) -> None:
    async def talk() -> None:
        async with connect(plain.url, compression=compression, open_timeout=DEADLINE) as ws:
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions")
            assert (extensions is not None) == (compression is not None)
            for message in ["hello", "é" * 500, b"\x00\xff" * 1000, b"", ""]:
                await ws.send(message)
                assert await asyncio.wait_for(ws.recv(), DEADLINE) == message
            await asyncio.wait_for(await ws.ping(b"abc"), DEADLINE)
            await ws.send(["frag", "mented"])
            assert await asyncio.wait_for(ws.recv(), DEADLINE) == "fragmented"
        assert ws.close_code == 1000

    asyncio.run(talk())


def test_pipelined_frames_behind_the_request_are_served(plain: RunningServer) -> None:
    client = Raw(plain.port)
    frame = encode_frame(Opcode.TEXT, b"early", mask_key=b"abcd")
    client.send(build_request("127.0.0.1", "/").encode() + frame)
    assert client.response().status == 101
    echo = client.recv()
    assert echo is not None and (echo.opcode, echo.payload) == (Opcode.TEXT, b"early")


def test_ping_is_answered_with_the_same_payload(plain: RunningServer) -> None:
    client = raw(plain)
    for payload in (b"", b"ping", bytes(range(125))):
        client.frame(Opcode.PING, payload)
        pong = client.recv()
        assert pong is not None and (pong.opcode, pong.payload) == (Opcode.PONG, payload)


@pytest.mark.parametrize(("sent", "expected"), [(1000, 1000), (4321, 4321), (None, None)])
def test_close_is_echoed_and_the_server_closes_tcp(
    plain: RunningServer, sent: int | None, expected: int | None
) -> None:
    client = raw(plain)
    client.frame(Opcode.CLOSE, encode_close_payload(sent, "bye" if sent else b""))
    code, before = client.recv_close()
    assert (code, before) == (expected, [])
    assert client.eof()


def test_no_pong_after_close(plain: RunningServer) -> None:
    client = raw(plain)
    client.send(
        encode_frame(Opcode.CLOSE, encode_close_payload(1000), mask_key=b"abcd")
        + encode_frame(Opcode.PING, b"late", mask_key=b"abcd")
    )
    assert client.recv_close() == (1000, [])
    assert client.recv() is None


# -- failing the connection -------------------------------------------------

VIOLATIONS = {
    "unmasked": (encode_frame(Opcode.TEXT, b"hi"), 1002),
    "reserved-opcode": (encode_frame(0x3, b"", mask_key=b"abcd"), 1002),
    "reserved-control-opcode": (encode_frame(0xB, b"", mask_key=b"abcd"), 1002),
    "rsv2": (encode_frame(Opcode.TEXT, b"hi", rsv2=True, mask_key=b"abcd"), 1002),
    "rsv1-no-deflate": (encode_frame(Opcode.TEXT, b"hi", rsv1=True, mask_key=b"abcd"), 1002),
    "fragmented-ping": (encode_frame(Opcode.PING, b"", fin=False, mask_key=b"abcd"), 1002),
    "long-ping": (encode_frame(Opcode.PING, b"x" * 126, mask_key=b"abcd"), 1002),
    "continuation-first": (encode_frame(Opcode.CONTINUATION, b"x", mask_key=b"abcd"), 1002),
    "close-1005": (encode_frame(Opcode.CLOSE, b"\x03\xed", mask_key=b"abcd"), 1002),
    "close-1-byte": (encode_frame(Opcode.CLOSE, b"\x03", mask_key=b"abcd"), 1002),
    "invalid-utf8": (encode_frame(Opcode.TEXT, b"\xce\xba\xff", mask_key=b"abcd"), 1007),
    "invalid-utf8-reason": (
        encode_frame(Opcode.CLOSE, b"\x03\xe8\xff", mask_key=b"abcd"),
        1007,
    ),
    "too-large": (encode_frame(Opcode.BINARY, b"x" * 5000, mask_key=b"abcd"), 1009),
}


@pytest.mark.parametrize("name", list(VIOLATIONS))
def test_violation_fails_the_connection_with_its_code(plain: RunningServer, name: str) -> None:
    data, code = VIOLATIONS[name]
    client = raw(plain, extensions=[])
    client.send(encode_frame(Opcode.TEXT, b"before", mask_key=b"abcd") + data)
    received, before = client.recv_close()
    assert received == code
    assert [(f.opcode, f.payload) for f in before] == [(Opcode.TEXT, b"before")]
    # No further input is processed: a ping after the violation gets no pong.
    client.frame(Opcode.PING, b"after")
    assert client.recv() is None


def test_invalid_utf8_fails_fast(plain: RunningServer) -> None:
    client = raw(plain)
    client.frame(Opcode.TEXT, b"ok\xc0\xaf", fin=False)  # the rest never comes
    assert client.recv_close() == (1007, [])


def test_oversize_message_fails_before_it_is_sent(plain: RunningServer) -> None:
    client = raw(plain)
    # A header declaring 1 MiB, and none of the payload.
    client.send(encode_frame(Opcode.BINARY, b"", mask_key=b"abcd", declared_length=2**20))
    assert client.recv_close()[0] == 1009
    client = raw(plain)
    client.frame(Opcode.BINARY, b"x" * 3000, fin=False)
    client.frame(Opcode.CONTINUATION, b"x" * 3000, fin=False)
    assert client.recv_close()[0] == 1009


# -- the opening handshake --------------------------------------------------


def _request(**kwargs: object) -> HandshakeRequest:
    return build_request("127.0.0.1", "/", **kwargs)  # type: ignore[arg-type]


BAD_REQUESTS = {
    "no-upgrade": (_request().without("Upgrade"), 400),
    "no-connection": (_request().without("Connection"), 400),
    "short-key": (_request(key=base64.b64encode(b"x" * 15).decode()), 400),
    "two-keys": (_request().with_header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), 400),
    "version-8": (_request(version="8"), 426),
    "post": (replace(_request(), method="POST"), 405),
    "http-1.0": (replace(_request(), http_version="1.0"), 400),
    "bad-subprotocol": (_request().with_header("Sec-WebSocket-Protocol", "a b"), 400),
    "bad-extension-header": (
        _request().with_header("Sec-WebSocket-Extensions", "permessage-deflate; ="),
        400,
    ),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_bad_handshake_is_refused(plain: RunningServer, name: str) -> None:
    request, status = BAD_REQUESTS[name]
    client = Raw(plain.port)
    response = client.open(request)
    assert response.status == status
    if status == 426:
        assert response.get("Sec-WebSocket-Version") == ["13"]
    assert client.eof()


def test_garbage_and_oversized_heads_are_refused(plain: RunningServer) -> None:
    client = Raw(plain.port)
    client.send(b"\x16\x03\x01garbage\r\n\r\n")
    assert client.response().status == 400
    client = Raw(plain.port)
    client.send(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    assert client.response().status == 431


def test_accept_response_is_valid(plain: RunningServer) -> None:
    client = Raw(plain.port)
    request = _request(subprotocols=["x", "chat.v2", "chat.v1"], extensions=["x-foo"])
    response = client.open(request)
    key = request.get("Sec-WebSocket-Key")[0]
    assert check_response(response, key=key, subprotocols=["x", "chat.v2", "chat.v1"]) == []
    assert response.subprotocol == "chat.v2"  # the client's order decides
    assert response.get("Sec-WebSocket-Extensions") == []


def test_no_subprotocol_header_without_a_match(plain: RunningServer) -> None:
    for offer in ([], ["unknown"]):
        response = Raw(plain.port).open(_request(subprotocols=offer))
        assert response.status == 101 and response.get("Sec-WebSocket-Protocol") == []


def test_handshake_timeout_drops_silent_and_dribbling_clients(plain: RunningServer) -> None:
    started = time.monotonic()
    assert Raw(plain.port).eof()
    client = Raw(plain.port)
    with pytest.raises((ConnectionError, TimeoutError)):
        for byte in _request().encode():
            client.send(bytes([byte]))
            time.sleep(0.05)
    assert client.eof()
    assert time.monotonic() - started < 3


# -- profile policies -------------------------------------------------------


def _token(**claims: object) -> str:
    payload = {"exp": int(time.time()) + 600, "aud": "wsspec", "iss": "suite", **claims}
    return jwt.encode(payload, SECRET, algorithm="HS256")


def _unsigned(**claims: object) -> str:
    def b64(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    payload = {"exp": int(time.time()) + 600, "aud": "wsspec", "iss": "suite", **claims}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."


def _credential(scheme: str, token: str) -> dict[str, object]:
    if scheme == "bearer":
        return {"extra_headers": [("Authorization", f"Bearer {token}")]}
    if scheme == "basic":
        basic = base64.b64encode(f"user:{token}".encode()).decode()
        return {"extra_headers": [("Authorization", f"Basic {basic}")]}
    if scheme == "query":
        return {"path": f"/echo?x=1&token={token}"}
    if scheme == "cookie":
        return {"extra_headers": [("Cookie", f"theme=dark; token={token}")]}
    return {"subprotocols": ["chat.v1", SUBPROTOCOL_TOKEN_PREFIX + token]}


@pytest.fixture(scope="module")
def guarded() -> Iterator[RunningServer]:
    profile = TargetProfile(
        subprotocols=("chat.v1",),
        paths=("/echo",),
        auth=AuthPolicy(
            schemes=("bearer", "query", "cookie", "subprotocol", "basic"),
            jwt_secret=SECRET,
            audience="wsspec",
            issuer="suite",
        ),
        origin=OriginPolicy(allowed=("https://app.example",)),
    )
    server = run_in_thread(profile)
    yield server
    server.stop()


def _status(server: RunningServer, path: str = "/echo", **kwargs: object) -> HandshakeResponse:
    client = Raw(server.port)
    request = build_request("127.0.0.1", path, **kwargs)  # type: ignore[arg-type]
    response = client.open(request)
    client.close()
    return response


@pytest.mark.parametrize("scheme", ["bearer", "query", "cookie", "subprotocol", "basic"])
def test_valid_token_is_accepted_in_each_scheme(guarded: RunningServer, scheme: str) -> None:
    kwargs: dict[str, object] = {"path": "/echo", **_credential(scheme, _token())}
    response = _status(guarded, **kwargs)
    assert response.status == 101
    if scheme == "subprotocol":
        assert response.subprotocol == "chat.v1"


BAD_TOKENS = {
    "expired": lambda: _token(exp=int(time.time()) - 10),
    "not-yet-valid": lambda: _token(nbf=int(time.time()) + 600),
    "no-exp": lambda: jwt.encode({"aud": "wsspec", "iss": "suite"}, SECRET, algorithm="HS256"),
    "alg-none": lambda: _unsigned(),
    "bad-signature": lambda: _token()[:-3] + "AAA",
    "other-secret": lambda: jwt.encode(
        {"exp": int(time.time()) + 600, "aud": "wsspec", "iss": "suite"},
        "another-secret-of-at-least-32-bytes-long",
        algorithm="HS256",
    ),
    "hs512": lambda: jwt.encode(
        {"exp": int(time.time()) + 600, "aud": "wsspec", "iss": "suite"},
        SECRET * 2,
        algorithm="HS512",
    ),
    "wrong-audience": lambda: _token(aud="someone-else"),
    "wrong-issuer": lambda: _token(iss="mallory"),
    "not-a-jwt": lambda: "opaque",
}


@pytest.mark.parametrize("name", list(BAD_TOKENS))
def test_bad_token_is_refused_with_403(guarded: RunningServer, name: str) -> None:
    token = BAD_TOKENS[name]()
    response = _status(guarded, extra_headers=[("Authorization", f"Bearer {token}")])
    assert response.status == 403
    assert token.encode() not in response.body
    assert b"Traceback" not in response.body


def test_missing_credentials_get_401_with_a_challenge(guarded: RunningServer) -> None:
    response = _status(guarded)
    assert response.status == 401
    assert response.get("WWW-Authenticate")


def test_credentials_in_an_undeclared_scheme_do_not_count(make_server: object) -> None:
    profile = TargetProfile(auth=AuthPolicy(schemes=("bearer",), jwt_secret=SECRET))
    server = make_server(profile)  # type: ignore[operator]
    assert _status(server, path=f"/?token={_token()}").status == 401
    assert _status(server, extra_headers=[("Authorization", f"Bearer {_token()}")]).status == 101


def test_opaque_token_and_required_subprotocol() -> None:
    profile = load_profile(PROFILES / "reference-opaque-token.toml")
    server = run_in_thread(profile)
    try:
        assert profile.auth is not None and profile.auth.valid_token is not None
        good = [("Authorization", f"Bearer {profile.auth.valid_token}")]
        wrong = [("Authorization", f"Bearer {profile.auth.valid_token}x")]
        origin = "https://app.example"
        proto = ["chat.v1"]
        assert (
            _status(server, "/", extra_headers=good, origin=origin, subprotocols=proto).status
            == 101
        )
        assert _status(server, "/", extra_headers=good, origin=origin).status == 400
        assert _status(server, "/", extra_headers=good, subprotocols=proto).status == 403
        assert (
            _status(server, "/", extra_headers=wrong, origin=origin, subprotocols=proto).status
            == 403
        )
        assert (
            _status(
                server,
                f"/?access_token={profile.auth.valid_token}",
                origin=origin,
                subprotocols=proto,
            ).status
            == 101
        )
    finally:
        server.stop()


def test_origin_and_path_policies(guarded: RunningServer) -> None:
    auth = [("Authorization", f"Bearer {_token()}")]
    assert _status(guarded, extra_headers=auth, origin="https://app.example").status == 101
    assert _status(guarded, extra_headers=auth, origin="https://evil.example").status == 403
    assert _status(guarded, extra_headers=auth).status == 101  # allow_missing
    assert _status(guarded, "/elsewhere", extra_headers=auth).status == 404


def test_heartbeat_pings_and_drops_a_silent_client(make_server: object) -> None:
    profile = TargetProfile(heartbeat=HeartbeatPolicy(ping_interval=0.2, timeout=0.6))
    server = make_server(profile)  # type: ignore[operator]
    # A client that answers stays open past the timeout.
    lively = raw(server)
    deadline = time.monotonic() + 1.2
    pings = 0
    while time.monotonic() < deadline:
        frame = lively.recv()
        assert frame is not None and frame.opcode == Opcode.PING
        pings += 1
        lively.frame(Opcode.PONG, frame.payload)
    assert pings >= 3
    # A silent one gets 1011 after its timeout, then TCP is closed.
    started = time.monotonic()
    silent = raw(server)
    code, before = silent.recv_close()
    assert code == 1011 and all(f.opcode == Opcode.PING for f in before)
    assert 0.6 <= time.monotonic() - started < 2.0
    assert silent.eof()


def test_a_pong_queued_behind_a_message_still_arriving_keeps_the_client(
        make_server: object) -> None:
    """A client whose pong waits behind a message it is still sending is not dropped
    while the message's bytes keep coming; stalled in the middle of a message, it is,
    ``timeout`` after its last bytes."""
    # a timeout well above the pings' interval: a ping the client has not read yet when
    # it stalls must not be what drops it (that would be the test's race, not the rule)
    profile = TargetProfile(heartbeat=HeartbeatPolicy(ping_interval=0.2, timeout=1.0))
    server = make_server(profile)  # type: ignore[operator]
    client = raw(server)
    ping = client.recv()
    assert ping is not None and ping.opcode == Opcode.PING
    data = bytes(range(256)) * 64
    wire = encode_frame(Opcode.BINARY, data, mask_key=os.urandom(4))
    for start in range(0, len(wire), 1024):  # 17 pieces over 1.7 s, past the timeout
        client.send(wire[start:start + 1024])
        time.sleep(0.1)
    client.frame(Opcode.PONG, ping.payload)
    frame = client.recv()
    while frame is not None and frame.opcode == Opcode.PING:
        client.frame(Opcode.PONG, frame.payload)
        frame = client.recv()
    assert frame is not None and (frame.opcode, frame.payload) == (Opcode.BINARY, data)
    client.send(wire[:100])
    stalled = time.monotonic()
    code, _ = client.recv_close()
    assert code == 1011 and 0.8 <= time.monotonic() - stalled < 3.0


def test_stop_closes_open_connections_with_1001() -> None:
    server = run_in_thread()
    client = raw(server)
    server.stop()
    assert client.recv_close()[0] == 1001


# -- command line -----------------------------------------------------------


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wsspec.targets.reference", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_prints_its_url_and_stops_on_sigterm() -> None:
    process = _cli("--port", "0", "--profile", str(PROFILES / "reference.toml"))
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("wsspec reference server listening on ws://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1].rstrip("/\n"))
        profile = load_profile(PROFILES / "reference.toml")
        assert profile.auth is not None  # the profile is enforced: credentials are needed
        assert Raw(port).open().status == 401
        token = credentials.valid_token(profile.auth)
        authorised = credentials.present(build_request("127.0.0.1", "/"), "bearer", token, "")
        assert Raw(port).open(authorised).status == 101
        process.send_signal(signal.SIGTERM)
        assert process.wait(DEADLINE) == 0
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize(
    "args",
    [["--profile", "/nonexistent.toml"], ["--keyfile", "/nonexistent.pem"]],
)
def test_cli_bad_input_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    process = _cli("--port", "0", *args)
    _out, err = process.communicate(timeout=DEADLINE * 2)
    assert process.returncode == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_bad_profile_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[limits]\nmax_mesage_size = 3\n")
    process = _cli("--port", "0", "--profile", str(bad))
    _out, err = process.communicate(timeout=DEADLINE * 2)
    assert process.returncode == 2 and "max_mesage_size" in err
    assert len(err.strip().splitlines()) == 1


def test_invalid_status_from_websockets_client(guarded: RunningServer) -> None:
    async def attempt() -> None:
        async with connect(guarded.url, open_timeout=DEADLINE):
            pass

    with pytest.raises(InvalidStatus) as info:
        asyncio.run(attempt())
    assert info.value.response.status_code == 401


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_echo(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    server = run_in_thread(ssl_context=server_ctx)
    try:
        assert server.url.startswith("wss://127.0.0.1:")

        async def talk() -> None:
            async with connect(server.url, ssl=client_ctx, open_timeout=DEADLINE) as ws:
                await ws.send("secure")
                assert await asyncio.wait_for(ws.recv(), DEADLINE) == "secure"

        asyncio.run(talk())
    finally:
        server.stop()


@pytest.mark.parametrize("name", sorted(p.name for p in PROFILES.glob("*.toml")))
def test_example_profiles_load(name: str) -> None:
    load_profile(PROFILES / name)


def test_full_profile_with_a_browser_style_client() -> None:
    profile = load_profile(PROFILES / "reference-full.toml")
    assert profile.auth is not None and profile.auth.jwt_secret is not None
    claims = {"exp": int(time.time()) + 60, "aud": "wsspec", "iss": "wsspec-suite"}
    token = jwt.encode(claims, profile.auth.jwt_secret, algorithm="HS256")
    server = run_in_thread(profile)
    try:
        assert server.url.endswith("/echo")

        async def talk() -> None:
            async with connect(
                server.url,
                origin="https://app.example",  # type: ignore[arg-type]
                subprotocols=["chat.v1", SUBPROTOCOL_TOKEN_PREFIX + token],  # type: ignore[list-item]
                open_timeout=DEADLINE,
            ) as ws:
                assert ws.subprotocol == "chat.v1"
                await ws.send(b"x" * 100_000)
                assert await asyncio.wait_for(ws.recv(), DEADLINE) == b"x" * 100_000

        asyncio.run(talk())
    finally:
        server.stop()


@pytest.mark.parametrize("schemes", [("query",), ("cookie",), ("subprotocol",), ("basic",)])
def test_every_401_carries_a_challenge(make_server: object, schemes: tuple[str, ...]) -> None:
    # RFC 9110 11.6.1: whatever the schemes, a 401 names at least one challenge.
    profile = TargetProfile(auth=AuthPolicy(schemes=schemes, jwt_secret=SECRET))
    server = make_server(profile)  # type: ignore[operator]
    response = _status(server, path="/")
    assert response.status == 401
    expected = "Basic" if schemes == ("basic",) else "Bearer"
    assert response.get("WWW-Authenticate")[0].startswith(expected)


def test_426_names_the_protocol_to_upgrade_to(plain: RunningServer) -> None:
    # RFC 9110 15.5.22: a 426 carries Upgrade; 7.8: with "upgrade" in Connection too.
    response = Raw(plain.port).open(_request(version="14"))
    assert response.status == 426
    assert response.get("Sec-WebSocket-Version") == ["13"]
    assert response.get("Upgrade") == ["websocket"]
    options = [item.strip().lower() for value in response.get("Connection")
               for item in value.split(",")]
    assert "upgrade" in options and "close" in options
