"""Proofs for wsspec.protocol.handshake: RFC 6455 §4 on both sides, parsers that never crash."""

from __future__ import annotations

import base64
import itertools
import re
import string
from collections.abc import Callable

import pytest
import websockets.utils
import wsproto.utilities
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wsspec.protocol.errors import HandshakeViolation
from wsspec.protocol.handshake import (
    GUID,
    HandshakeRequest,
    HandshakeResponse,
    Headers,
    RequestParser,
    ResponseParser,
    build_accept_response,
    build_reject_response,
    build_request,
    check_request,
    check_response,
    compute_accept,
    encode_response,
    generate_key,
    parse_extension_header,
    parse_header_list,
    parse_subprotocol_offer,
    validate_response,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

keys = st.binary(min_size=16, max_size=16).map(lambda raw: base64.b64encode(raw).decode())
tokens = st.text(alphabet=string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~", min_size=1)


def chop(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` split at the given offsets (clamped, sorted, deduplicated)."""
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def parse_in_pieces(data: bytes, cuts: list[int], **kwargs: int) -> tuple[HandshakeResponse, bytes]:
    parser = ResponseParser(**kwargs)  # type: ignore[arg-type]
    result = None
    for piece in chop(data, cuts):
        got = parser.feed(piece)
        if got is not None:
            assert result is None, "the response is returned once"
            result = got
    if result is None:
        result = parser.feed_eof()
    assert result is not None
    return result, parser.trailing


# --------------------------------------------------------------------------- keys


def test_accept_of_the_rfc_example() -> None:
    # RFC 6455 §1.3 (and §4.2.2) worked example.
    assert compute_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert GUID == "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@FAST
@given(key=keys | st.text(alphabet=string.printable, max_size=40))
def test_accept_matches_websockets_and_wsproto(key: str) -> None:
    assert compute_accept(key) == websockets.utils.accept_key(key)
    assert compute_accept(key).encode() == wsproto.utilities.generate_accept_token(key.encode())


def test_accept_of_non_latin1_key_hashes_utf8() -> None:
    assert compute_accept("ключ") == websockets.utils.accept_key("ключ")


def test_generate_key() -> None:
    key = generate_key()
    assert len(base64.b64decode(key, validate=True)) == 16
    assert generate_key() != key
    assert generate_key(b"\x00" * 16) == "AAAAAAAAAAAAAAAAAAAAAA=="
    assert len(base64.b64decode(generate_key(b"x" * 15))) == 15


# --------------------------------------------------------------------------- requests


def test_build_request_encodes_byte_for_byte() -> None:
    request = build_request(
        "example.com:80",
        "/chat?x=1",
        key="dGhlIHNhbXBsZSBub25jZQ==",
        subprotocols=["chat", "superchat"],
        extensions=["permessage-deflate; client_max_window_bits", "x-foo"],
        origin="http://example.com",
        extra_headers=[("X-Custom", "1")],
    )
    assert request.encode() == (
        b"GET /chat?x=1 HTTP/1.1\r\n"
        b"Host: example.com:80\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Protocol: chat, superchat\r\n"
        b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo\r\n"
        b"Origin: http://example.com\r\n"
        b"X-Custom: 1\r\n"
        b"\r\n"
    )
    assert parse_subprotocol_offer(request) == ["chat", "superchat"]


def test_request_copies_express_any_header_set() -> None:
    base = build_request("h", key="k")
    mutated = (
        base.without("sec-websocket-key")
        .with_header("sec-websocket-key", "a")
        .with_header("SEC-WEBSOCKET-KEY", "b")
        .replace("UPGRADE", "WebSocket")
    )
    assert base.get("Sec-WebSocket-Key") == ["k"]  # the original is untouched
    assert mutated.get("Sec-WebSocket-Key") == ["a", "b"]
    assert mutated.headers[-1] == ("UPGRADE", "WebSocket")
    odd = HandshakeRequest(
        method="POST",
        target="http://h/x",
        http_version="1.0",
        headers=[("Host", "h"), ("X", "\xff")],
        body=b"hi",
    )
    assert odd.encode() == b"POST http://h/x HTTP/1.0\r\nHost: h\r\nX: \xff\r\n\r\nhi"
    assert HandshakeRequest(headers=[("X", "é✓")]).encode().endswith("é✓\r\n\r\n".encode())


def test_request_round_trip_is_acceptable() -> None:
    request = build_request("localhost", "/echo", subprotocols=["a"], origin="null")
    parser = RequestParser()
    wire = request.encode() + b"\x81\x85frame"
    parsed = None
    for byte in range(len(wire)):
        got = parser.feed(wire[byte : byte + 1])
        parsed = parsed or got
    assert parsed is not None
    assert parsed.headers == request.headers
    assert (parsed.method, parsed.target, parsed.http_version) == ("GET", "/echo", "1.1")
    assert parser.trailing == b"\x81\x85frame"
    assert check_request(parsed) == (101, [])
    assert parser.feed(b"more") is None
    assert parser.trailing.endswith(b"framemore")


def _request(mutate: Callable[[HandshakeRequest], HandshakeRequest]) -> HandshakeRequest:
    return mutate(build_request("localhost", key="dGhlIHNhbXBsZSBub25jZQ=="))


def _set(name: str, value: str) -> Callable[[HandshakeRequest], HandshakeRequest]:
    return lambda r: r.replace(name, value)


def _drop(name: str) -> Callable[[HandshakeRequest], HandshakeRequest]:
    return lambda r: r.without(name)


def _dup(name: str, value: str) -> Callable[[HandshakeRequest], HandshakeRequest]:
    return lambda r: r.with_header(name, value)


def _b64(size: int) -> str:
    return base64.b64encode(b"k" * size).decode()


REQUESTS: list[tuple[str, Callable[[HandshakeRequest], HandshakeRequest], int, str]] = [
    ("valid", lambda r: r, 101, ""),
    (
        "lower-case names",
        lambda r: HandshakeRequest(headers=[(n.lower(), v) for n, v in r.headers]),
        101,
        "",
    ),
    (
        "upper-case names",
        lambda r: HandshakeRequest(headers=[(n.upper(), v) for n, v in r.headers]),
        101,
        "",
    ),
    (
        "mixed-case values",
        lambda r: r.replace("Upgrade", "WebSocket").replace("Connection", "UPGRADE"),
        101,
        "",
    ),
    ("connection list", _set("Connection", "keep-alive, Upgrade"), 101, ""),
    ("upgrade list", _set("Upgrade", "h2c, websocket"), 101, ""),
    ("key missing", _drop("Sec-WebSocket-Key"), 400, "Sec-WebSocket-Key"),
    ("key duplicated", _dup("Sec-WebSocket-Key", _b64(16)), 400, "Sec-WebSocket-Key"),
    ("key of 15 bytes", _set("Sec-WebSocket-Key", _b64(15)), 400, "Sec-WebSocket-Key"),
    ("key of 17 bytes", _set("Sec-WebSocket-Key", _b64(17)), 400, "Sec-WebSocket-Key"),
    (
        "key not base64",
        _set("Sec-WebSocket-Key", "!!!!notbase64!!!!!!!!!=="),
        400,
        "Sec-WebSocket-Key",
    ),
    ("key unpadded", _set("Sec-WebSocket-Key", _b64(16).rstrip("=")), 400, "Sec-WebSocket-Key"),
    ("key not ascii", _set("Sec-WebSocket-Key", "\xe9" * 24), 400, "Sec-WebSocket-Key"),
    ("upgrade missing", _drop("Upgrade"), 400, "Upgrade"),
    ("upgrade wrong", _set("Upgrade", "h2c"), 400, "Upgrade"),
    ("connection missing", _drop("Connection"), 400, "Connection"),
    ("connection wrong", _set("Connection", "keep-alive"), 400, "Connection"),
    ("host duplicated", _dup("Host", "other"), 400, "Host"),
    ("version missing", _drop("Sec-WebSocket-Version"), 426, "Sec-WebSocket-Version"),
    ("version 8", _set("Sec-WebSocket-Version", "8"), 426, "Sec-WebSocket-Version"),
    ("version abc", _set("Sec-WebSocket-Version", "abc"), 426, "Sec-WebSocket-Version"),
    ("version duplicated", _dup("Sec-WebSocket-Version", "13"), 400, "Sec-WebSocket-Version"),
    ("post", lambda r: HandshakeRequest(method="POST", headers=r.headers), 405, "GET"),
    (
        "post and version 8",
        lambda r: HandshakeRequest(method="POST", headers=r.headers).replace(
            "Sec-WebSocket-Version", "8"
        ),
        405,
        "GET",
    ),
    (
        "http/1.0",
        lambda r: HandshakeRequest(http_version="1.0", headers=r.headers),
        400,
        "HTTP/1.1",
    ),
    (
        "http/1.0 without host",
        lambda r: HandshakeRequest(http_version="1.0", headers=r.without("Host").headers),
        400,
        "Host",
    ),
    (
        "body",
        lambda r: HandshakeRequest(headers=r.headers, body=b"hello").with_header(
            "Content-Length", "5"
        ),
        400,
        "body",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "status", "field"),
    [pytest.param(m, s, f, id=name) for name, m, s, f in REQUESTS],
)
def test_check_request(
    mutate: Callable[[HandshakeRequest], HandshakeRequest], status: int, field: str
) -> None:
    request = _request(mutate)
    got_status, problems = check_request(request)
    assert got_status == status, problems
    if status == 101:
        assert problems == []
    else:
        assert any(field in problem for problem in problems), problems
        assert all(re.match(r"RFC \d+ §", problem) for problem in problems), problems
    # The reference server sees the request through RequestParser: the same
    # verdict, unless h11 refuses the request first (a 400 as well).
    try:
        parsed = RequestParser().feed(request.encode())
    except HandshakeViolation:
        assert status == 400
    else:
        assert parsed is not None and check_request(parsed)[0] == status


@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", id="http/1.1 without host"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", id="two hosts"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n", id="space in name"),
        pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", id="tls"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n", id="bad length"),
    ],
)
def test_request_parser_refuses_malformed_http(wire: bytes) -> None:
    with pytest.raises(HandshakeViolation, match=r"not valid HTTP/1\.1"):
        RequestParser().feed(wire)


def test_request_parser_caps() -> None:
    parser = RequestParser(max_header_size=1024)
    with pytest.raises(HandshakeViolation, match="exceeds 1024 bytes"):
        parser.feed(b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"a" * 4096 + b"\r\n\r\n")
    body = build_request("h").with_header("Content-Length", "100000").encode() + b"b" * 100000
    parser = RequestParser(max_body_size=10)
    parsed = parser.feed(body)
    assert parsed is not None and parsed.body == b"b" * 10
    with pytest.raises(ValueError, match="max_header_size"):
        RequestParser(max_header_size=0)


@FAST
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=4))
def test_request_parser_returns_or_raises_its_violation_only(data: bytes, cuts: list[int]) -> None:
    parser = RequestParser(max_header_size=200)
    try:
        for piece in chop(data, cuts):
            parser.feed(piece)
    except HandshakeViolation as exc:
        assert exc.problems


# --------------------------------------------------------------------------- responses

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = compute_accept(KEY)
GOOD: Headers = [
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Accept", ACCEPT),
    ("Sec-WebSocket-Protocol", "chat"),
    ("Sec-WebSocket-Extensions", "permessage-deflate; server_no_context_takeover"),
]


def _without(name: str) -> Callable[[Headers], Headers]:
    return lambda headers: [(n, v) for n, v in headers if n != name]


def _with(name: str, value: str) -> Callable[[Headers], Headers]:
    return lambda headers: [*headers, (name, value)]


def _setting(name: str, value: str) -> Callable[[Headers], Headers]:
    return lambda headers: [(n, value if n == name else v) for n, v in headers]


#: (status line, header corruption, the word every report of it must name)
CORRUPTIONS: list[tuple[str, bytes, Callable[[Headers], Headers], str]] = [
    ("status 200", b"HTTP/1.1 200 OK", lambda h: h, "status"),
    ("status 400", b"HTTP/1.1 400 Bad Request", lambda h: h, "status"),
    ("http/1.0", b"HTTP/1.0 101 Switching Protocols", lambda h: h, "HTTP/1.1"),
    ("upgrade missing", b"", _without("Upgrade"), "Upgrade"),
    ("upgrade wrong", b"", _setting("Upgrade", "websockets"), "Upgrade"),
    ("connection missing", b"", _without("Connection"), "Connection"),
    ("connection wrong", b"", _setting("Connection", "keep-alive"), "Connection"),
    ("accept missing", b"", _without("Sec-WebSocket-Accept"), "Sec-WebSocket-Accept"),
    ("accept duplicated", b"", _with("Sec-WebSocket-Accept", ACCEPT), "Sec-WebSocket-Accept"),
    (
        "accept wrong",
        b"",
        _setting("Sec-WebSocket-Accept", compute_accept("x")),
        "Sec-WebSocket-Accept",
    ),
    ("accept of the key", b"", _setting("Sec-WebSocket-Accept", KEY), "Sec-WebSocket-Accept"),
    (
        "subprotocol not offered",
        b"",
        _setting("Sec-WebSocket-Protocol", "other"),
        "Sec-WebSocket-Protocol",
    ),
    (
        "two subprotocols",
        b"",
        _setting("Sec-WebSocket-Protocol", "chat, v2"),
        "Sec-WebSocket-Protocol",
    ),
    (
        "subprotocol header twice",
        b"",
        _with("Sec-WebSocket-Protocol", "chat"),
        "Sec-WebSocket-Protocol",
    ),
    (
        "extension not offered",
        b"",
        _setting("Sec-WebSocket-Extensions", "x-foo"),
        "Sec-WebSocket-Extensions",
    ),
    (
        "extension malformed",
        b"",
        _setting("Sec-WebSocket-Extensions", "permessage-deflate;"),
        "Sec-WebSocket-Extensions",
    ),
]


@FAST
@given(
    key=keys,
    offered=st.lists(tokens, min_size=1, max_size=3, unique=True),
    pick=st.integers(0, 2),
    params=st.lists(
        st.sampled_from(["server_no_context_takeover", "client_max_window_bits=9"]), unique=True
    ),
    cuts=st.lists(st.integers(0, 400), max_size=6),
)
def test_every_accept_response_verifies(
    key: str, offered: list[str], pick: int, params: list[str], cuts: list[int]
) -> None:
    element = "; ".join(["permessage-deflate", *params])
    wire = (
        build_accept_response(key, subprotocol=offered[pick % len(offered)], extensions=element)
        + b"\x82\x00"
    )
    response, trailing = parse_in_pieces(wire, cuts)
    assert trailing == b"\x82\x00"
    assert response.status == 101 and response.body == b""
    assert response.subprotocol == offered[pick % len(offered)]
    assert response.extensions == [element]
    assert (
        check_response(
            response, key=key, subprotocols=offered, extensions_offered=["permessage-deflate"]
        )
        == []
    )
    validate_response(
        response,
        key=key,
        subprotocols=offered,
        extensions_offered=["permessage-deflate; client_max_window_bits"],
    )


@pytest.mark.parametrize(
    ("status_line", "corrupt", "field"),
    [pytest.param(s, c, f, id=name) for name, s, c, f in CORRUPTIONS],
)
@FAST
@given(cuts=st.lists(st.integers(0, 300), max_size=6))
def test_every_corruption_is_caught_and_named(
    status_line: bytes, corrupt: Callable[[Headers], Headers], field: str, cuts: list[int]
) -> None:
    wire = encode_response(101, "Switching Protocols", corrupt(list(GOOD)))
    if status_line:
        wire = status_line + wire[wire.index(b"\r\n") :]
    if not wire.startswith(b"HTTP/1.1 101") and not wire.startswith(b"HTTP/1.0 101"):
        wire = wire.replace(b"\r\n\r\n", b"\r\nContent-Length: 0\r\n\r\n")
    response, _ = parse_in_pieces(wire, cuts)
    problems = check_response(
        response, key=KEY, subprotocols=["chat", "v2"], extensions_offered=["permessage-deflate"]
    )
    assert problems, "the corruption went unnoticed"
    assert any(field in problem for problem in problems), problems
    assert all(problem.startswith("RFC 6455 §") for problem in problems)
    with pytest.raises(HandshakeViolation):
        validate_response(
            response,
            key=KEY,
            subprotocols=["chat", "v2"],
            extensions_offered=["permessage-deflate"],
        )


def test_subprotocol_and_extensions_need_an_offer() -> None:
    response = ResponseParser().feed(encode_response(101, "OK", GOOD))
    assert response is not None
    problems = check_response(response, key=KEY)
    assert any("offered no subprotocol" in p for p in problems)
    assert any("was not offered." in p for p in problems)


@FAST
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=5), st.booleans())
def test_response_parser_returns_or_raises_its_violation_only(
    data: bytes, cuts: list[int], http_prefix: bool
) -> None:
    if http_prefix:
        data = b"HTTP/1.1 " + data
    parser = ResponseParser(max_header_size=300, max_body_size=50)
    try:
        for piece in chop(data, cuts):
            result = parser.feed(piece)
            assert result is None or isinstance(result, HandshakeResponse)
        result = parser.feed_eof()
        assert result is None or isinstance(result, HandshakeResponse)
        assert parser.feed_eof() is None and parser.feed(b"x") is None
    except HandshakeViolation as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)


def test_a_huge_header_block_is_refused_at_the_cap() -> None:
    parser = ResponseParser()
    with pytest.raises(HandshakeViolation, match="exceeds 65536 bytes"):
        parser.feed(b"HTTP/1.1 101 Switching Protocols\r\nX: " + b"a" * (1 << 20) + b"\r\n\r\n")
    # Fed slowly, it is refused once the cap is spent, not at the end.
    parser = ResponseParser(max_header_size=4096)
    fed = 0
    with pytest.raises(HandshakeViolation):
        parser.feed(b"HTTP/1.1 101 OK\r\n")
        for _ in range(1 << 10):
            parser.feed(b"X-Many: " + b"a" * 1014 + b"\r\n")
            fed += 1024
    assert fed <= 4096


def test_the_header_cap_does_not_count_websocket_bytes() -> None:
    wire = build_accept_response(KEY) + b"\x82\x7f" + b"\x00" * (1 << 18)
    parser = ResponseParser(max_header_size=1024)
    response = parser.feed(wire)
    assert response is not None and response.status == 101
    assert parser.trailing == wire[wire.index(b"\r\n\r\n") + 4 :]
    parser.feed(b"more")
    assert parser.trailing.endswith(b"more")


@pytest.mark.parametrize(
    ("wire", "body"),
    [
        pytest.param(build_reject_response(403, body=b"go away"), b"go away", id="content-length"),
        pytest.param(
            b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            b"abcde",
            id="chunked",
        ),
        pytest.param(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", b"", id="empty"),
        pytest.param(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 No\r\nContent-Length: 2\r\n\r\nno",
            b"no",
            id="after 100 continue",
        ),
    ],
)
def test_refusals_are_returned_with_their_body(wire: bytes, body: bytes) -> None:
    for size in (1, 3, len(wire)):
        response, _ = parse_in_pieces(wire, list(range(size, len(wire), size)))
        assert response.status != 101 and response.body == body


def test_refusal_bodies_are_capped_and_returned_at_the_cap() -> None:
    parser = ResponseParser(max_body_size=100)
    response = parser.feed(b"HTTP/1.1 500 Oops\r\nContent-Length: 1000000\r\n\r\n" + b"z" * 150)
    assert response is not None and response.body == b"z" * 100


def test_refusal_body_until_eof() -> None:
    parser = ResponseParser()
    assert parser.feed(b"HTTP/1.1 400 Bad\r\n\r\nabc") is None
    assert parser.feed(b"def") is None
    response = parser.feed_eof()
    assert response is not None and response.body == b"abcdef"


def test_refusal_cut_short_keeps_what_arrived() -> None:
    parser = ResponseParser()
    assert parser.feed(b"HTTP/1.1 400 Bad\r\nContent-Length: 10\r\n\r\nabc") is None
    response = parser.feed_eof()
    assert response is not None and (response.status, response.body) == (400, b"abc")


def test_head_response_has_no_body() -> None:
    parser = ResponseParser(request_method="HEAD")
    response = parser.feed(b"HTTP/1.1 405 No\r\nContent-Length: 10\r\n\r\n")
    assert response is not None and response.body == b""


def test_eof_before_or_inside_the_head() -> None:
    assert ResponseParser().feed_eof() is None
    parser = ResponseParser()
    parser.feed(b"HTTP/1.1 101 Swi")
    with pytest.raises(HandshakeViolation, match="middle of the head"):
        parser.feed_eof()
    assert parser.feed_eof() is None


@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(b"\x16\x03\x03\x00\x40", id="tls handshake"),
        pytest.param(b"\x15\x03\x01\x00\x02\x02\x46", id="tls alert"),
    ],
)
def test_tls_bytes_are_named(wire: bytes) -> None:
    parser = ResponseParser()
    with pytest.raises(HandshakeViolation, match="wss://"):
        for byte in range(len(wire)):
            parser.feed(wire[byte : byte + 1])


@pytest.mark.parametrize(
    "wire",
    [
        b"SSH-2.0-OpenSSH_9.2\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 101 OK\r\nNo colon\r\n\r\n",
        b"<html>\r\n",
        b"http/1.1 101 OK\r\n",
    ],
)
def test_garbage_is_not_http(wire: bytes) -> None:
    with pytest.raises(HandshakeViolation, match=r"not valid HTTP/1\.1"):
        ResponseParser().feed(wire)


def test_rejections() -> None:
    response = ResponseParser().feed(build_reject_response(426))
    assert response is not None
    assert (response.status, response.reason) == (426, "Upgrade Required")
    assert response.get("sec-websocket-version") == ["13"]
    assert response.get("Connection") == ["close"]
    assert response.get("Content-Length") == ["0"]
    given_version = build_reject_response(426, headers=[("Sec-WebSocket-Version", "13, 8")])
    assert given_version.count(b"Sec-WebSocket-Version") == 1
    assert b"Allow: GET\r\n" in build_reject_response(405)
    assert b"Content-Type: text/plain" in build_reject_response(400, body=b"x")
    assert build_reject_response(599).startswith(b"HTTP/1.1 599 Error\r\n")


def test_response_views() -> None:
    response = HandshakeResponse(
        101,
        "OK",
        "1.1",
        [
            ("sec-websocket-protocol", "a"),
            ("Sec-WebSocket-Protocol", "b"),
            ("Sec-WebSocket-Extensions", 'x; q="a,b", y'),
            ("sec-websocket-extensions", "z"),
        ],
    )
    assert response.subprotocol == "a, b"
    assert response.extensions == ['x; q="a,b"', "y", "z"]
    assert HandshakeResponse(101, "", "1.1", []).subprotocol is None


def test_header_lists() -> None:
    assert parse_header_list(["a, b", " c ,,", "", "d"]) == ["a", "b", "c", "d"]
    assert parse_header_list([]) == []


@pytest.mark.parametrize(
    ("values", "parsed"),
    [
        (["permessage-deflate"], [("permessage-deflate", [])]),
        (
            ['permessage-deflate ; client_max_window_bits ; server_max_window_bits = "10"'],
            [
                (
                    "permessage-deflate",
                    [("client_max_window_bits", None), ("server_max_window_bits", "10")],
                )
            ],
        ),
        (["a, b; x=1", "c"], [("a", []), ("b", [("x", "1")]), ("c", [])]),
        (['a; q="\\t\\o\\k"', " , "], [("a", [("q", "tok")])]),
    ],
)
def test_extension_grammar_accepts(
    values: list[str], parsed: list[tuple[str, list[tuple[str, str | None]]]]
) -> None:
    assert parse_extension_header(values) == parsed


@pytest.mark.parametrize(
    "value",
    [
        "a;",
        "=b",
        "a; =1",
        "a; b=",
        "a b",
        'a; b="two words"',
        'a; b="x;y"',
        'a; b="open',
        "a; b=c d",
        "a/b",
    ],
)
def test_extension_grammar_refuses(value: str) -> None:
    with pytest.raises(HandshakeViolation, match=r"§9\.1"):
        parse_extension_header([value])


def test_quoted_values_may_hide_separators_until_unquoted() -> None:
    with pytest.raises(HandshakeViolation, match="not a token once unquoted"):
        parse_extension_header(['a; q="x\\";y", b'])


def test_a_refused_head_stays_refused() -> None:
    parser = ResponseParser(max_header_size=64)
    for _ in range(2):
        with pytest.raises(HandshakeViolation, match="exceeds 64 bytes"):
            parser.feed(b"HTTP/1.1 101 OK\r\nX: " + b"a" * 100)


def test_a_chunked_refusal_cut_short_keeps_what_arrived() -> None:
    parser = ResponseParser()
    assert (
        parser.feed(b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n5\r\nde")
        is None
    )
    response = parser.feed_eof()
    assert response is not None and response.body == b"abcde"


def test_a_tunnel_ends_the_response_at_its_head() -> None:
    # A 2xx to CONNECT switches protocols in h11: nothing after the head is body.
    parser = ResponseParser(request_method="CONNECT")
    response = parser.feed(b"HTTP/1.1 200 OK\r\n\r\ntunnel")
    assert response is not None and (response.status, response.body) == (200, b"")


def test_an_unusual_request_method_is_framed_like_get() -> None:
    for method in ("G ET", "GÉT", ""):
        parser = ResponseParser(request_method=method)
        response = parser.feed(b"HTTP/1.1 400 Bad\r\nContent-Length: 2\r\n\r\nno")
        assert response is not None and response.body == b"no"
