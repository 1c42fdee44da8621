"""Client cases: the opening handshake (RFC 6455 §4.1).

The request the client sends (method, version, headers, a fresh random key),
and what it does with an answer it must refuse: a client MUST _Fail the
WebSocket Connection_ on a status other than 101, a missing or wrong Upgrade,
Connection or Sec-WebSocket-Accept, or an extension or subprotocol it did not
offer. To make a client that wrongly accepts such an answer show itself at
once, the suite follows the answer with a text message a connected client
would echo.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence

import pytest
from wsspec.clientside.cases import client_case
from wsspec.clientside.session import ClientUnderTest
from wsspec.protocol import (
    GUID,
    HandshakeRequest,
    HandshakeViolation,
    Headers,
    Opcode,
    build_reject_response,
    compute_accept,
    encode_response,
    parse_extension_header,
    parse_header_list,
    parse_subprotocol_offer,
)
from wsspec.protocol.handshake import TOKEN_RE
from wsspec.verdicts import fail

#: how many connections the key-freshness case looks at.
KEY_CONNECTIONS = 8


def _one(request: HandshakeRequest, name: str) -> str | None:
    values = request.get(name)
    return values[0] if len(values) == 1 else None


def _tokens(request: HandshakeRequest, name: str) -> list[str]:
    return [token.lower() for token in parse_header_list(request.get(name))]


def _key_problem(request: HandshakeRequest) -> str | None:
    key = _one(request, "Sec-WebSocket-Key")
    if key is None:
        return f"Sec-WebSocket-Key appears {len(request.get('Sec-WebSocket-Key'))} times"
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return f"Sec-WebSocket-Key {key!r} is not base64"
    return None if len(raw) == 16 else f"Sec-WebSocket-Key {key!r} decodes to {len(raw)} bytes"


#: rule -> (its sentence in RFC 6455 §4.1, the problem with a request or None)
REQUEST_RULES: dict[str, tuple[str, Callable[[HandshakeRequest, ClientUnderTest], str | None]]] = {
    "method": ("The method of the request MUST be GET.",
               lambda r, c: None if r.method == "GET" else f"method {r.method!r}"),
    "http-version": ("The HTTP version MUST be at least 1.1.",
                     lambda r, c: None if r.http_version == "1.1"
                     else f"HTTP/{r.http_version}"),
    "resource": ("The request-URI MUST be the resource name of the URL (path and query).",
                 lambda r, c: None if r.target == c.path else f"request target {r.target!r}, "
                 f"the URL's path is {c.path!r}"),
    "host": ("The request MUST contain a Host header field naming the host (and port).",
             lambda r, c: None if _one(r, "Host") == c.authority
             else f"Host {r.get('Host')!r}, expected {c.authority!r}"),
    "upgrade": ("The request MUST contain an Upgrade header field whose value includes "
                "the 'websocket' keyword.",
                lambda r, c: None if "websocket" in _tokens(r, "Upgrade")
                else f"Upgrade {r.get('Upgrade')!r}"),
    "connection": ("The request MUST contain a Connection header field whose value includes "
                   "the 'Upgrade' token.",
                   lambda r, c: None if "upgrade" in _tokens(r, "Connection")
                   else f"Connection {r.get('Connection')!r}"),
    "key": ("The request MUST include a Sec-WebSocket-Key: a base64-encoded 16-byte value.",
            lambda r, c: _key_problem(r)),
    "version": ("The request MUST include a Sec-WebSocket-Version header field with value 13.",
                lambda r, c: None if r.get("Sec-WebSocket-Version") == ["13"]
                else f"Sec-WebSocket-Version {r.get('Sec-WebSocket-Version')!r}"),
    "extensions": ("Sec-WebSocket-Extensions, when sent, MUST follow the grammar of §9.1.",
                   lambda r, c: _extensions_problem(r)),
}


def _extensions_problem(request: HandshakeRequest) -> str | None:
    values = request.get("Sec-WebSocket-Extensions")
    if not values:
        return None
    try:
        parse_extension_header(values)
    except HandshakeViolation as exc:
        return "; ".join(exc.problems)
    return None


@client_case(
    "client.handshake.request.{rule}",
    title="the opening request: {rule}",
    rfc="RFC6455 4.1 MUST",
    requirement="{sentence}",
)
@pytest.mark.parametrize(("rule", "sentence"),
                         [pytest.param(rule, sentence, id=rule)
                          for rule, (sentence, _) in REQUEST_RULES.items()])
def test_request(wsspec_client_under_test: ClientUnderTest, rule: str, sentence: str) -> None:
    client = wsspec_client_under_test
    connection = client.connect()
    assert connection.request is not None
    problem = REQUEST_RULES[rule][1](connection.request, client)
    if problem is not None:
        fail(sentence, problem)
    client.record.observe(sentence, "as required")
    connection.accept()
    connection.close()


@client_case(
    "client.handshake.request.key-fresh",
    title=f"a fresh random Sec-WebSocket-Key on each of {KEY_CONNECTIONS} connections",
    rfc="RFC6455 4.1 MUST",
    requirement="The nonce MUST be selected randomly for each connection.",
)
def test_key_is_fresh(wsspec_client_under_test: ClientUnderTest) -> None:
    client = wsspec_client_under_test
    keys: list[str] = []
    for _ in range(KEY_CONNECTIONS):
        connection = client.connect()
        keys.append(connection.key)
        # A refusal ends the connection quickly; the next one is a new process (or the
        # client's own reconnection).
        connection.answer(build_reject_response(503))
        connection.stream.shutdown_write()
        client.finish_process()
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    observed = f"{len(set(keys))} distinct keys in {len(keys)} connections: {', '.join(keys)}"
    if repeated:
        fail(f"a different key on each of {len(keys)} connections",
             f"{observed}; repeated: {', '.join(repeated)}")
    client.record.observe(f"a different key on each of {len(keys)} connections", observed)


@client_case(
    "client.origin.request.sent",
    title="the Origin header the client declares",
    rfc="RFC6455 4.1 MUST",
    requirement="A browser client MUST include an Origin header field naming the origin of "
                "the code that opens the connection.",
    needs=("origin",),
)
def test_origin(wsspec_client_under_test: ClientUnderTest) -> None:
    client = wsspec_client_under_test
    connection = client.connect()
    assert connection.request is not None
    sent = connection.request.get("Origin")
    if sent != [client.profile.origin]:
        fail(f"Origin: {client.profile.origin}", f"Origin {sent!r}")
    connection.accept()
    connection.close()


@client_case(
    "client.subprotocol.request.offer",
    title="the subprotocols the client declares, offered well formed",
    rfc="RFC6455 4.1 MUST",
    requirement="Sec-WebSocket-Protocol lists the subprotocols the client wishes to speak, "
                "each a token, none twice.",
    needs=("subprotocols",),
)
def test_subprotocol_offer(wsspec_client_under_test: ClientUnderTest) -> None:
    client = wsspec_client_under_test
    connection = client.connect()
    assert connection.request is not None
    offered = parse_subprotocol_offer(connection.request)
    expected = list(client.profile.subprotocols)
    bad = [name for name in offered if not TOKEN_RE.fullmatch(name)]
    if bad or len(set(offered)) != len(offered) or sorted(offered) != sorted(expected):
        fail(f"Sec-WebSocket-Protocol offering {', '.join(expected)} (tokens, once each)",
             f"Sec-WebSocket-Protocol {connection.request.get('Sec-WebSocket-Protocol')!r}")
    connection.accept(subprotocol=offered[0])
    connection.close()


# -- answers the client must refuse ---------------------------------------------------


def _answer(key: str, *, status: int = 101, drop: tuple[str, ...] = (),
            extra: Sequence[tuple[str, str]] = (), **replace: str) -> bytes:
    """A 101 answer to ``key`` with headers dropped, replaced or added."""
    headers: Headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                        ("Sec-WebSocket-Accept", compute_accept(key))]
    names = {name.lower().replace("_", "-"): value for name, value in replace.items()}
    headers = [(name, names.get(name.lower(), value)) for name, value in headers
               if name.lower() not in drop]
    headers.extend(extra)
    if status != 101:
        headers.append(("Content-Length", "0"))
    reason = "Switching Protocols" if status == 101 else "OK"
    return encode_response(status, reason, headers)


#: variant -> (the sentence of RFC 6455 §4.1 it breaks, the answer for a key)
BAD_ANSWERS: dict[str, tuple[str, Callable[[str], bytes]]] = {
    "status-200": ("If the status code received from the server is not 101, the client "
                   "handles the response per HTTP procedures (it is no WebSocket connection).",
                   lambda key: _answer(key, status=200)),
    "upgrade-missing": ("If the response lacks an Upgrade header field, the client MUST Fail "
                        "the WebSocket Connection.", lambda key: _answer(key, drop=("upgrade",))),
    "upgrade-wrong": ("If the Upgrade header field's value is not 'websocket', the client "
                      "MUST Fail the WebSocket Connection.",
                      lambda key: _answer(key, upgrade="h2c")),
    "connection-missing": ("If the response lacks a Connection header field with the 'Upgrade' "
                           "token, the client MUST Fail the WebSocket Connection.",
                           lambda key: _answer(key, drop=("connection",))),
    "accept-missing": ("If the response lacks a Sec-WebSocket-Accept header field, the client "
                       "MUST Fail the WebSocket Connection.",
                       lambda key: _answer(key, drop=("sec-websocket-accept",))),
    "accept-wrong": ("If Sec-WebSocket-Accept is not the base64 SHA-1 of the key and the GUID, "
                     "the client MUST Fail the WebSocket Connection.",
                     lambda key: _answer(key, sec_websocket_accept=compute_accept(
                         key.swapcase() if key.swapcase() != key else key + GUID))),
    "extension-unoffered": ("If the response names an extension the client did not offer, "
                            "the client MUST Fail the WebSocket Connection.",
                            lambda key: _answer(key, extra=[("Sec-WebSocket-Extensions",
                                                             "x-wsspec-unoffered")])),
    "subprotocol-unoffered": ("If the response names a subprotocol the client did not offer, "
                              "the client MUST Fail the WebSocket Connection.",
                              lambda key: _answer(key, extra=[("Sec-WebSocket-Protocol",
                                                               "x-wsspec-unoffered")])),
}


@client_case(
    "client.handshake.answer.{variant}",
    title="an answer the client must refuse: {variant}",
    rfc="RFC6455 4.1 MUST",
    requirement="{sentence}",
)
@pytest.mark.parametrize(("variant", "sentence"),
                         [pytest.param(variant, sentence, id=variant)
                          for variant, (sentence, _) in BAD_ANSWERS.items()])
def test_refuses_answer(wsspec_client_under_test: ClientUnderTest, variant: str,
                        sentence: str) -> None:
    connection = wsspec_client_under_test.connect()
    connection.answer(BAD_ANSWERS[variant][1](connection.key))
    # A client that took the answer for a connection echoes this; a refusing one never
    # reads it as a frame.
    connection.send_frame(Opcode.TEXT, b"wsspec: this connection must not be open")
    connection.expect_no_data_then_close(variant)
