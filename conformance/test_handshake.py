"""Opening handshake (RFC 6455 section 4): what the server must answer to a client's request.

Autobahn|Testsuite has no handshake section (every Autobahn case starts from an
accepted connection), so no case here claims an Autobahn id.

How refusals are graded. RFC 6455 4.2.1 makes a server that reads a request
not matching the handshake "stop processing" it and answer "an HTTP response
with an appropriate error code (such as 400 Bad Request)": any 4xx without a
101 passes; a connection dropped without any status is non-strict (10.7: the
server SHOULD return an HTTP status); a 101 fails. A refusal must itself be
correct HTTP: a 405 carries Allow (RFC 9110 15.5.6), a 426 carries Upgrade
(RFC 9110 15.5.22).

Decisions where the RFC leaves room, and why:

* Unsupported version (4.2.2 /version/, 4.4): the header
  ``Sec-WebSocket-Version`` listing 13 is a MUST of both sections; the status
  is not (4.2.2 names 426 "such as", and the example of 4.4 is a 400). So any
  4xx with the header passes, a 4xx without it fails, and so does a dropped
  connection (it carries no header). Version 8 belongs to an earlier draft
  that a server may still speak: a correct 101 there is informational. A
  missing version is a malformed request (4.2.1 item 6): any 4xx.
* A request target in absolute form (``GET http://host/path``): 4.2.1 item 1
  lists "an absolute HTTP/HTTPS URI containing the /resource name/" as a valid
  Request-URI and RFC 9112 3.2.2 says a server MUST accept the absolute form,
  so it must be accepted. A ``ws://`` absolute URI is neither: informational.
* HTTP/1.0 (4.2.1 item 1): any 4xx, or 505 HTTP Version Not Supported, which RFC
  2616 10.5.6 (the HTTP that RFC 6455 builds on) gives a server that "refuses to
  support" the request's version.
* Two Host fields are refused like a missing one: RFC 9112 3.2 answers both
  with 400, and 4.2.1 item 2 asks for one Host.
* Frames pipelined behind the request: 4.1 has the client wait for the 101
  before sending data, so a server need not process them; it should not lose
  bytes of the stream either. Echoed: pass; lost or refused: non-strict.
* A header block of 64 KiB is within what common servers accept (Go's
  net/http takes up to 1 MiB): accepting it is informational. 2 MiB is past
  every common default, so a 101 there means headers are buffered without
  bound: fail. RFC 9110 5.4 asks for a 4xx; a bare close is non-strict.
* A GET with content: RFC 6455 is silent and RFC 9110 9.3.1 gives such content
  no meaning; the answer is recorded (informational).

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from wsspec.cases import case
from wsspec.dsl import Client
from wsspec.protocol.handshake import generate_key
from wsspec.protocol.messages import Message
from wsspec.verdicts import Verdict, unsupported

from ._handshake_probes import (
    accepted_connection,
    check_refusal_headers,
    check_refused,
    describe_event,
    exchange,
    expect_refusal,
    expect_version_refusal,
    failure,
    handshake_with_frames,
    record_answer,
    text_frame,
    with_filler_headers,
    with_header_names,
)

# -- accepting a valid request (4.2.2) ------------------------------------------


@case(
    "handshake.accept.valid",
    title="a valid opening handshake is accepted with a correct Sec-WebSocket-Accept",
    rfc="RFC6455 4.2.2 MUST",
    requirement="A server accepting a valid request answers 101 with Upgrade: websocket, "
    "Connection: Upgrade and Sec-WebSocket-Accept = base64(SHA-1(key + GUID)).",
)
async def test_valid_handshake_is_accepted(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    wsspec_client.record.observe("101 with a correct Sec-WebSocket-Accept",
                          f"{ws.response.status}, Sec-WebSocket-Accept "
                          f"{ws.response.get('Sec-WebSocket-Accept')[0]}")
    await ws.close()


#: keys and the Sec-WebSocket-Accept they call for (4.2.2 step 5.4), kept literal so
#: that the suite's own hashing is not what checks them; the first is the example
#: of RFC 6455 1.3 and 4.2.2.
ACCEPT_TABLE = [
    ("rfc-sample", "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
    ("zero-bytes", "AAAAAAAAAAAAAAAAAAAAAA==", "ICX+Yqv66kxgM0FcWaLWlFLwTAI="),
    ("high-bytes", "/////////////////////w==", "XXpj4jYzLM2yUE0C7TIgMwTQh2g="),
    ("plus-signs", "+++++++++++++++++++++w==", "ixakkuXOmA6rnL940yFjkr2/Yxs="),
]


@case(
    "handshake.accept.key.{name}",
    title="Sec-WebSocket-Accept for the {name} key is {accept}",
    rfc="RFC6455 4.2.2 MUST",
    requirement="The 101 carries exactly one Sec-WebSocket-Accept, base64(SHA-1({key} + "
    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11)) = {accept}.",
)
@pytest.mark.parametrize(("name", "key", "accept"), ACCEPT_TABLE)
async def test_accept_value_for_known_keys(wsspec_client: Client, name: str, key: str,
                                           accept: str) -> None:
    ws = await wsspec_client.open(wsspec_client.request(key=key))
    values = ws.response.get("Sec-WebSocket-Accept")
    expected = f"one Sec-WebSocket-Accept: {accept} (RFC6455 4.2.2, 11.3.3)"
    wsspec_client.record.observe(
        expected, f"Sec-WebSocket-Accept: {', '.join(values) or '(absent)'}"
    )
    if values != [accept]:
        raise failure(
            wsspec_client, expected, f"Sec-WebSocket-Accept: {', '.join(values) or '(absent)'}"
        )
    await ws.close()


# -- what a valid request may look like (4.2.1) ---------------------------------


@case(
    "handshake.header_case.{style}",
    title="header names in {style} case are accepted",
    rfc="RFC6455 4.2.1 MUST",
    requirement="Header field names are case-insensitive (RFC 6455 4.1, 4.2.1 via RFC 2616): "
    "a request whose names are all in {style} case is accepted with 101.",
)
@pytest.mark.parametrize("style", ["lower", "upper", "mixed"])
async def test_header_names_are_case_insensitive(wsspec_client: Client, style: str) -> None:
    ws = await wsspec_client.open(with_header_names(wsspec_client.request(), style))
    wsspec_client.record.observe("101 Switching Protocols", f"{ws.response.status}")
    await ws.close()


@case(
    "handshake.token_case.{variant}",
    title="{header}: {value} is accepted",
    rfc="RFC6455 4.2.1 MUST",
    requirement="The {header} value is an ASCII case-insensitive token (4.2.1 items 3, 4): "
    "{header}: {value} is accepted with 101.",
)
@pytest.mark.parametrize(("variant", "header", "value"), [
    ("upgrade.mixed", "Upgrade", "WebSocket"),
    ("upgrade.upper", "Upgrade", "WEBSOCKET"),
    ("connection.upper", "Connection", "UPGRADE"),
    ("connection.lower", "Connection", "upgrade"),
])
async def test_header_tokens_are_case_insensitive(wsspec_client: Client, variant: str, header: str,
                                                  value: str) -> None:
    ws = await wsspec_client.open(wsspec_client.request().replace(header, value))
    wsspec_client.record.observe("101 Switching Protocols", f"{ws.response.status}")
    await ws.close()


@case(
    "handshake.connection.{variant}",
    title="Connection carrying Upgrade {shape} is accepted",
    rfc="RFC6455 4.2.1 MUST",
    requirement="Connection need only include the token Upgrade (4.2.1 item 4), in a list or "
    "split over several fields (RFC 9110 5.3): Upgrade {shape} is accepted with 101.",
)
@pytest.mark.parametrize(("variant", "shape", "fields"), [
    ("list", "after keep-alive in one list", ["keep-alive, Upgrade"]),
    ("split", "in a second Connection field", ["keep-alive", "Upgrade"]),
])
async def test_connection_token_in_a_list(wsspec_client: Client, variant: str, shape: str,
                                          fields: list[str]) -> None:
    request = wsspec_client.request().without("Connection")
    for value in fields:
        request = request.with_header("Connection", value)
    ws = await wsspec_client.open(request)
    wsspec_client.record.observe("101 Switching Protocols", f"{ws.response.status}")
    await ws.close()


@case(
    "handshake.unknown_header.{variant}",
    title="an unknown header field {header} is ignored",
    rfc="RFC6455 4.2.1 MUST",
    requirement="Unknown header fields are ignored (4.2.1 item 10, after RFC 2616): a valid "
    "request that also carries {header}: 1 is accepted with 101.",
)
@pytest.mark.parametrize(("variant", "header"), [
    ("extension-header", "X-Wsspec-Unknown"),
    ("sec-websocket-prefixed", "Sec-WebSocket-Unknown"),
])
async def test_unknown_header_fields_are_ignored(wsspec_client: Client, variant: str,
                                                 header: str) -> None:
    ws = await wsspec_client.open(wsspec_client.request().with_header(header, "1"))
    wsspec_client.record.observe("101 Switching Protocols", f"{ws.response.status}")
    await ws.close()


@case(
    "handshake.stream.byte_per_write",
    title="a request written one byte per TCP write is accepted",
    rfc="RFC6455 4.2.1 MUST",
    requirement="The request is read as a byte stream: written one byte at a time it is still "
    "a valid handshake and is accepted with 101.",
)
async def test_request_one_byte_at_a_time(wsspec_client: Client) -> None:
    ws = await wsspec_client.open(chunks=[1])
    wsspec_client.record.observe("101 Switching Protocols", f"{ws.response.status}")
    await ws.close()


@case(
    "handshake.target.absolute_http",
    title="a Request-URI in absolute form (http://host/path) is accepted",
    rfc="RFC6455 4.2.1 MUST",
    requirement="4.2.1 item 1 allows an absolute HTTP/HTTPS URI containing the resource name, "
    "and a server MUST accept the absolute form (RFC 9112 3.2.2): it is accepted with 101.",
)
async def test_absolute_http_uri_is_accepted(wsspec_client: Client) -> None:
    request = wsspec_client.request()
    address = wsspec_client.target.address
    scheme = "https" if address.secure else "http"
    absolute = f"{scheme}://{request.get('Host')[0]}{request.target}"
    ws = await wsspec_client.open(replace(request, target=absolute))
    wsspec_client.record.observe("101 Switching Protocols", f"{ws.response.status} for {absolute}")
    await ws.close()


@case(
    "handshake.target.absolute_ws",
    title="a Request-URI in absolute form with the ws scheme (ws://host/path)",
    rfc="RFC6455 4.2.1 informational",
    requirement="4.2.1 item 1 names absolute HTTP/HTTPS URIs only; whether ws://host/path is "
    "accepted is recorded, and a 101 must be a correct one.",
)
async def test_absolute_ws_uri_is_recorded(wsspec_client: Client) -> None:
    request = wsspec_client.request()
    scheme = "wss" if wsspec_client.target.address.secure else "ws"
    absolute = f"{scheme}://{request.get('Host')[0]}{request.target}"
    request = replace(request, target=absolute)
    driver, result = await wsspec_client.handshake(request)
    await record_answer(wsspec_client, driver, result, request,
                        "RFC 6455 names absolute http(s) URIs only: no answer is wrong")


@case(
    "handshake.body.content_length",
    title="a handshake GET carrying a body (Content-Length: 16)",
    rfc="RFC9110 9.3.1 informational",
    requirement="RFC 6455 does not say whether the handshake GET may carry content and RFC "
    "9110 9.3.1 gives it no meaning: the answer is recorded; a 101 must be a correct one.",
)
async def test_get_with_body_is_recorded(wsspec_client: Client) -> None:
    body = b"0123456789abcdef"
    request = wsspec_client.request().with_header("Content-Length", str(len(body)))
    request = replace(request, body=body)
    driver, result = await wsspec_client.handshake(request)
    await record_answer(wsspec_client, driver, result, request,
                        "RFC 6455 is silent on content in the handshake GET: no answer is wrong")


# -- requests that must be refused (4.2.1, 11.3) --------------------------------


#: keys that are not base64 of 16 bytes (4.2.1 item 5); None leaves the header out.
BAD_KEYS = [
    ("missing", None),
    ("empty", ""),
    ("not-base64", "@@@@@@@@@@@@@@@@@@@@@@=="),
    ("15-bytes", generate_key(bytes(range(15)))),
    ("17-bytes", generate_key(bytes(range(17)))),
]


@case(
    "handshake.key.{variant}",
    title="a Sec-WebSocket-Key that is {variant} is refused",
    rfc="RFC6455 4.2.1 MUST",
    requirement="Sec-WebSocket-Key must be base64 of 16 bytes (4.2.1 item 5); a request whose "
    "key is {variant} is refused with a 4xx and never upgraded.",
)
@pytest.mark.parametrize(("variant", "key"), BAD_KEYS)
async def test_invalid_key_is_refused(wsspec_client: Client, variant: str, key: str | None) -> None:
    request = wsspec_client.request().without("Sec-WebSocket-Key")
    if key is not None:
        request = request.with_header("Sec-WebSocket-Key", key)
    await expect_refusal(wsspec_client, request)


@case(
    "handshake.key.duplicated",
    title="two Sec-WebSocket-Key fields are refused",
    rfc="RFC6455 11.3.1 MUST NOT",
    requirement="Sec-WebSocket-Key must not appear more than once in a request (11.3.1), so a "
    "request with two is malformed and refused with a 4xx (4.2.1).",
)
async def test_duplicated_key_is_refused(wsspec_client: Client) -> None:
    request = wsspec_client.request().with_header("Sec-WebSocket-Key", generate_key())
    await expect_refusal(wsspec_client, request, rule="RFC6455 11.3.1, 4.2.1")


#: Sec-WebSocket-Extensions values that break the grammar of RFC 6455 9.1:
#: (variant, value). An empty list element is no such break: RFC 9110 5.6.1 lets a
#: recipient ignore it.
MALFORMED_EXTENSIONS = [
    ("trailing-semicolon", "permessage-deflate;"),
    ("nameless-parameter", "permessage-deflate; =15"),
    ("name-with-space", "permessage deflate"),
    ("quoted-value-not-a-token", 'permessage-deflate; client_max_window_bits="1 0"'),
    ("unclosed-quote", 'permessage-deflate; client_max_window_bits="10'),
    ("two-equals-signs", "permessage-deflate; server_max_window_bits=10=11"),
]


@pytest.mark.parametrize(("variant", "value"), MALFORMED_EXTENSIONS,
                         ids=[variant for variant, _ in MALFORMED_EXTENSIONS])
@case(
    "handshake.extensions.malformed.{variant}",
    title="a Sec-WebSocket-Extensions value breaking the 9.1 grammar ({variant}) is refused",
    rfc="RFC6455 4.2.1 MUST",
    requirement="A handshake that violates the ABNF of its components is refused with an "
    "error status such as 400 (4.2.1); Sec-WebSocket-Extensions follows the grammar of 9.1, "
    "so a value that breaks it ({value}) is refused, whether or not the server supports "
    "any extension.",
)
async def test_malformed_extension_header_is_refused(wsspec_client: Client, variant: str,
                                                     value: str) -> None:
    del variant  # in the case id
    request = wsspec_client.request().with_header("Sec-WebSocket-Extensions", value)
    await expect_refusal(wsspec_client, request, rule="RFC6455 4.2.1, 9.1")


#: requests breaking 4.2.1 items 2-4: (variant, what is wrong, header, values);
#: no values leaves the header out, two values send it twice.
BAD_FIELDS = [
    ("host.missing", "has no Host", "Host", []),
    ("host.duplicated", "has two Host fields", "Host", None),
    ("upgrade.missing", "has no Upgrade", "Upgrade", []),
    ("upgrade.wrong", "asks to upgrade to h2c", "Upgrade", ["h2c"]),
    ("connection.missing", "has no Connection", "Connection", []),
    ("connection.wrong", "has Connection: keep-alive only", "Connection", ["keep-alive"]),
]


@case(
    "handshake.{variant}",
    title="a request that {problem} is refused",
    rfc="RFC6455 4.2.1 MUST",
    requirement="A handshake needs one Host (item 2; RFC 9112 3.2), Upgrade: websocket (item 3) "
    "and Connection with Upgrade (item 4); one that {problem} is refused with a 4xx.",
)
@pytest.mark.parametrize(("variant", "problem", "header", "values"), BAD_FIELDS)
async def test_request_breaking_a_required_field_is_refused(
        wsspec_client: Client, variant: str, problem: str, header: str,
        values: list[str] | None) -> None:
    request = wsspec_client.request()
    if values is None:  # the same field twice
        values = request.get(header) * 2
    request = request.without(header)
    for value in values:
        request = request.with_header(header, value)
    await expect_refusal(wsspec_client, request)


@case(
    "handshake.method.{method}",
    title="a {method} request is refused",
    rfc="RFC6455 4.2.1 MUST",
    requirement="The handshake is a GET (4.2.1 item 1); a {method} request carrying every "
    "handshake header is refused with a 4xx (405 with Allow is the natural answer).",
)
@pytest.mark.parametrize("method", ["POST", "PUT", "HEAD"])
async def test_method_other_than_get_is_refused(wsspec_client: Client, method: str) -> None:
    await expect_refusal(wsspec_client, replace(wsspec_client.request(), method=method))


#: 505 fits too: RFC 2616 10.5.6, which RFC 6455 builds on, has it for a server that
#: "refuses to support" the request's HTTP version.
HTTP_1_0_REFUSALS = frozenset([*range(400, 500), 505])


@case(
    "handshake.http_version.http1_0",
    title="an HTTP/1.0 request is refused",
    rfc="RFC6455 4.2.1 MUST",
    requirement="The handshake is an HTTP/1.1 or higher request (4.2.1 item 1); the same "
    "request sent as HTTP/1.0 is refused with a 4xx, or 505 HTTP Version Not Supported.",
)
async def test_http_1_0_is_refused(wsspec_client: Client) -> None:
    _, result = await wsspec_client.handshake(replace(wsspec_client.request(), http_version="1.0"))
    check_refused(
        wsspec_client, result, wanted="a status 400-499 or 505", allowed=HTTP_1_0_REFUSALS
    )


@case(
    "handshake.version.wrong.{version}",
    title="Sec-WebSocket-Version: {version} is refused with Sec-WebSocket-Version: 13",
    rfc="RFC6455 4.2.2 MUST",
    requirement="A version the server does not understand is answered with an HTTP error "
    "(such as 426) carrying Sec-WebSocket-Version with the versions it speaks, 13 among "
    "them (4.2.2 /version/, 4.4).",
)
@pytest.mark.parametrize("version", ["8", "12", "14", "abc"])
async def test_unsupported_version_is_refused_with_versions(wsspec_client: Client,
                                                           version: str) -> None:
    request = wsspec_client.request().replace("Sec-WebSocket-Version", version)
    await expect_version_refusal(wsspec_client, request, draft_version=version == "8")


@case(
    "handshake.version.missing",
    title="a request without Sec-WebSocket-Version is refused",
    rfc="RFC6455 4.2.1 MUST",
    requirement="Sec-WebSocket-Version: 13 is part of the handshake (4.2.1 item 6); a request "
    "without it is refused with a 4xx.",
)
async def test_missing_version_is_refused(wsspec_client: Client) -> None:
    await expect_refusal(wsspec_client, wsspec_client.request().without("Sec-WebSocket-Version"))


@case(
    "handshake.version.duplicated",
    title="two Sec-WebSocket-Version: 13 fields are refused",
    rfc="RFC6455 11.3.5 MUST NOT",
    requirement="Sec-WebSocket-Version must not appear more than once in a request (11.3.5), "
    "so a request with two, both 13, is malformed and refused with a 4xx (4.2.1).",
)
async def test_duplicated_version_is_refused(wsspec_client: Client) -> None:
    request = wsspec_client.request().with_header("Sec-WebSocket-Version", "13")
    await expect_refusal(wsspec_client, request, rule="RFC6455 11.3.5, 4.2.1")


@case(
    "handshake.resource.unknown",
    title="a resource the server does not serve is refused with 404",
    rfc="RFC6455 4.2.2 MUST",
    requirement="If the requested service is not available the server sends an HTTP error "
    "such as 404 Not Found and aborts (4.2.2 /resource name/); the profile's paths say which "
    "exist, so any other gets 404.",
    needs=("paths",),
)
async def test_unknown_resource_is_refused(wsspec_client: Client) -> None:
    served = wsspec_client.profile.paths or ()
    path = "/wsspec-no-such-resource"
    while path in served:
        path += "-x"
    await expect_refusal(wsspec_client, wsspec_client.request(resource=path), statuses=(404,),
                         rule="RFC6455 4.2.2 /resource name/")


# -- what an accepting 101 may not carry (4.2.2) --------------------------------


@case(
    "handshake.subprotocol.not_offered",
    title="no Sec-WebSocket-Protocol is sent when the client offers none",
    rfc="RFC6455 4.2.2 MUST",
    requirement="Without a Sec-WebSocket-Protocol in the request the only acceptable "
    "subprotocol is null: the 101 carries no Sec-WebSocket-Protocol (4.2.2 /subprotocol/).",
)
async def test_no_subprotocol_unless_offered(wsspec_client: Client) -> None:
    if wsspec_client.profile.subprotocol_required:
        unsupported("the profile requires a subprotocol, so a request offering none is refused")
    ws = await wsspec_client.open(wsspec_client.request(subprotocols=()))
    values = ws.response.get("Sec-WebSocket-Protocol")
    wsspec_client.record.observe("no Sec-WebSocket-Protocol",
                          f"Sec-WebSocket-Protocol: {', '.join(values) or '(absent)'}")
    await ws.close()


@case(
    "handshake.subprotocol.unknown",
    title="an unknown subprotocol offered is not selected",
    rfc="RFC6455 4.2.2 MUST",
    requirement="A server selects a subprotocol it is willing to use among those offered, or "
    "none (4.2.2 /subprotocol/; at most one field, 11.3.4): offered only x-wsspec-unknown, "
    "it does not select it.",
)
async def test_unknown_subprotocol_is_not_selected(wsspec_client: Client) -> None:
    unknown = "x-wsspec-unknown"
    offered = [unknown]
    if wsspec_client.profile.subprotocol_required:
        offered.append(wsspec_client.profile.subprotocols[0])
    ws = await wsspec_client.open(wsspec_client.request(subprotocols=offered))
    selected = ws.subprotocol
    expected = f"no Sec-WebSocket-Protocol, or one naming an offered subprotocol but {unknown}"
    wsspec_client.record.observe(expected, f"Sec-WebSocket-Protocol: {selected or '(absent)'}")
    if selected == unknown:
        if wsspec_client.profile.subprotocols:
            raise failure(wsspec_client, expected + " (the profile's subprotocols: "
                          f"{', '.join(wsspec_client.profile.subprotocols)})",
                          f"Sec-WebSocket-Protocol: {selected}")
        wsspec_client.record.downgrade(
            Verdict.INFORMATIONAL,
            f"the server selected {unknown}: it seems to echo any offer (the profile declares "
            "no subprotocols to judge by)",
        )
    await ws.close()


@case(
    "handshake.extensions.{variant}",
    title="an extension the client did not offer is never accepted ({variant})",
    rfc="RFC6455 4.2.2 MUST",
    requirement="Extensions not listed by the client MUST NOT be listed (4.2.2 /extensions/): "
    "offered {offer}, the 101 lists nothing else.",
)
@pytest.mark.parametrize(("variant", "offer"), [
    ("not_offered", "none"),
    ("unknown", "x-wsspec-unknown; x-param=1"),
])
async def test_unoffered_extension_is_not_accepted(wsspec_client: Client, variant: str,
                                                   offer: str) -> None:
    extensions = [] if offer == "none" else [offer]
    ws = await wsspec_client.open(wsspec_client.request(extensions=extensions))
    values = ws.response.get("Sec-WebSocket-Extensions")
    wsspec_client.record.observe("no Sec-WebSocket-Extensions",
                          f"Sec-WebSocket-Extensions: {', '.join(values) or '(absent)'}")
    if values:
        raise failure(wsspec_client, "no Sec-WebSocket-Extensions (RFC6455 4.2.2 /extensions/)",
                      f"Sec-WebSocket-Extensions: {', '.join(values)}")
    await ws.close()


# -- the order of things on the wire (4.1, 4.2.2) -------------------------------


@case(
    "handshake.order.response_first",
    title="the 101 response is the first thing the server sends",
    rfc="RFC6455 4.2.2 MUST",
    requirement="The server replies to the request with a valid HTTP response and may begin "
    "sending data only once its handshake is complete (4.2.2 step 5): the first bytes are the "
    "101's status line.",
)
async def test_response_comes_before_any_frame(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    wsspec_client.record.observe("the status line of a 101 first, frames only after it",
                          f"HTTP/{ws.response.http_version} {ws.response.status} first")
    await ws.close()


@case(
    "handshake.refused.no_frames",
    title="a refused request is followed by no WebSocket data",
    rfc="RFC6455 4.2.1 MUST",
    requirement="A server refusing a handshake stops processing it (4.2.1) and aborts "
    "(4.2.2): after the 4xx and its declared body it sends no WebSocket frame, not even "
    "an echo of a text frame pipelined behind the request.",
)
async def test_refusal_is_not_followed_by_frames(wsspec_client: Client) -> None:
    request = wsspec_client.request().replace("Sec-WebSocket-Version", "14")
    raw = request.encode() + text_frame(wsspec_client, "must not be echoed")
    out = await exchange(wsspec_client, raw, to_end=True)
    expected = "a 4xx response and nothing after its body (RFC6455 4.2.1, 4.2.2)"
    wsspec_client.record.observe(expected, out.describe() + (
        f", then {len(out.after)} bytes" if out.after else ", then nothing"))
    response = out.response
    if response is None:
        if out.error or out.end is None:
            raise failure(wsspec_client, expected, out.describe())
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            "connection dropped without an HTTP status (RFC6455 10.7 SHOULD answer with one)")
        return
    if not 400 <= response.status <= 499:
        raise failure(wsspec_client, expected, out.describe())
    check_refusal_headers(wsspec_client, response)
    # Bytes read as a second HTTP request and answered in HTTP are no WebSocket data.
    if out.after and not out.after.startswith(b"HTTP/"):
        raise failure(wsspec_client, expected, f"{out.describe()}, then {len(out.after)} bytes: "
                      f"{out.after[:32].hex()}")


@case(
    "handshake.pipelined.text",
    title="a text frame sent in the same write as the request is echoed after the 101",
    rfc="RFC6455 6.2 MUST",
    requirement="Bytes that follow the request on the stream are the client's first frames: "
    "a text frame pipelined behind the request is echoed after the 101 (a client should wait "
    "for the 101, 4.1, so losing it is non-strict).",
    needs=("echo",),
)
async def test_pipelined_frame_is_processed(wsspec_client: Client) -> None:
    request = wsspec_client.request()
    driver, result = await handshake_with_frames(wsspec_client, request,
                                                 text_frame(wsspec_client, "pipelined"))
    response = result.response
    if response is None or response.status != 101:
        wsspec_client.record.observe("101, then the echo of the pipelined frame", result.describe())
        if result.timed_out or result.error or (response is not None
                                                and not 400 <= response.status <= 499):
            raise failure(
                wsspec_client, "101, then the echo of the pipelined frame", result.describe()
            )
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            f"a request followed by a frame in the same write was answered with "
            f"{result.describe()}")
        return
    ws = accepted_connection(wsspec_client, driver, result, request)
    await ws.send_message("after the 101")
    first = await ws.next_event()
    expected = "text message 'pipelined' echoed, then 'after the 101' (RFC6455 6.2)"
    wsspec_client.record.observe(expected, describe_event(first))
    if isinstance(first, Message) and first.data == b"after the 101":
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            "the frame pipelined behind the request was lost; the next one was echoed")
    elif isinstance(first, Message) and first.data == b"pipelined":
        await ws.expect_message("after the 101")
    else:
        raise failure(wsspec_client, expected, describe_event(first))
    await ws.close()


# -- header blocks too large to buffer (RFC 9110 5.4) ---------------------------

#: the largest header block a common server accepts by default (Go's net/http).
COMMON_HEADER_LIMIT = 2**20


@case(
    "handshake.headers.oversized.{size}",
    title="a request with {size} of header fields is refused or bounded",
    rfc="RFC9110 5.4 MUST",
    requirement="A server receiving more header fields than it wishes to process answers with "
    "a 4xx (431 or 400; RFC 9110 5.4) instead of buffering them without bound: {size} of "
    "headers {outcome}.",
)
@pytest.mark.parametrize(("size", "nbytes", "outcome"), [
    ("64KiB", 64 * 1024, "may be accepted (recorded) or refused"),
    ("2MiB", 2 * 1024 * 1024, "are refused, or the connection closed"),
])
async def test_oversized_header_block(wsspec_client: Client, size: str, nbytes: int,
                                      outcome: str) -> None:
    raw = with_filler_headers(wsspec_client.request(), nbytes)
    out = await exchange(wsspec_client, raw, piece=65536)
    expected = f"a 4xx refusal of {size} of headers, or the connection closed (RFC9110 5.4)"
    wsspec_client.record.observe(expected, out.describe())
    response = out.response
    if response is not None and 400 <= response.status <= 499:
        check_refusal_headers(wsspec_client, response)
        return
    if response is not None and response.status == 101 and nbytes <= COMMON_HEADER_LIMIT:
        wsspec_client.record.downgrade(Verdict.INFORMATIONAL,
                                f"the server accepts {size} of header fields")
        return
    if response is None and out.end is not None and not out.error:
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            "the connection was closed without a 4xx status (RFC9110 5.4 asks for one)")
        return
    raise failure(wsspec_client, expected, out.describe())
