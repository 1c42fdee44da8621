"""permessage-deflate (RFC 7692 sections 5 to 7; Autobahn|Testsuite 12.x and 13.x).

Negotiation: each offer parameter alone and in combination, several offers in
one header and across headers, and offers a server must decline (an unknown
parameter, a repeated one, a window of 7, 16, ``010`` or ``abc`` bits, a value
on a parameter that takes none). Every accepting response is checked strictly:
it accepts one offer, carries only parameters that offer allows, with valid
values (:func:`wsspec.protocol.deflate.check_deflate_response`).

Traffic: every message the server sends is inflated with exactly the agreed
parameters by the connection's receiver, which also fails RSV1 on a control
frame or a continuation frame: a server that keeps its LZ77 window across
messages after agreeing ``server_no_context_takeover`` fails whichever case
sees it. Where ``server_max_window_bits`` is agreed, the server's compressed
frames are also inflated one byte at a time, so every back-reference further
than the agreed window is found (:func:`._deflate_support.window_problem`).

Autobahn 12.x sends 1000 compressed messages of one size (16 B to 128 KiB, some
auto-fragmented) cut from one of five files; 13.x does the same with the JSON
file for seven offers. Here each of those 216 cases has one case, which sends
fewer messages: 16 of up to 2 KiB, fewer above, at least 3 (see
:func:`message_count`). That is enough for what the case checks: the first
message fills the LZ77 window and every later one may refer back into the
previous ones (or, without context takeover, must not), and the same sizes
and fragmentations cross the same code paths; more messages of the same kind
only add time. The corpora are generated, not Autobahn's files
(:mod:`._deflate_data`).

Beyond Autobahn: the negotiation rules, the exact window check, RSV1 misuse,
compressed messages fragmented down to one byte and with an empty final
fragment, uncompressed messages between compressed ones, the DEFLATE forms a
compliant sender may produce (RFC 7692 7.2.3), corrupt compressed data, and
decompression bombs against the profile's ``[limits] max_message_size``.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import pytest
from wsspec.cases import case
from wsspec.dsl import Client, Connection
from wsspec.failure_shapes import Level
from wsspec.protocol.close import CloseInfo, encode_close_payload
from wsspec.protocol.deflate import (
    CompressVariant,
    DeflateOffer,
    compress_variant,
    parse_extension_header,
)
from wsspec.protocol.errors import Violation
from wsspec.protocol.frames import Frame, Opcode
from wsspec.verdicts import CaseFailed, HarnessError, Verdict

from ._deflate_data import CORPORA, Corpus, messages, window_probe
from ._deflate_support import (
    AUTOBAHN_DEFAULT,
    TAIL,
    bomb,
    expect_declined,
    inflated_size,
    negotiate,
    open_deflate,
    window_problem,
)

TEXT, BINARY, CONTINUATION = Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION
KiB = 1024

HELLO = "Hello, permessage-deflate! Hello, permessage-deflate!"
#: a text that compresses well and has multi-byte characters to cut across frames.
GREETING = "κόσμε, compress me: " * 12
BINARY_DATA = bytes(range(256)) * 4


def raw(*params: tuple[str, str | None]) -> DeflateOffer:
    """An offer whose parameters are written as given (invalid ones included)."""
    return DeflateOffer(extra=tuple(params))


async def exchange(ws: Connection, items: list[tuple[str | bytes, bool]]) -> None:
    """Send each ``(data, compress)`` and expect it echoed, then close normally.

    Messages go compressed only where permessage-deflate was agreed.
    """
    for data, compress in items:
        await ws.send_message(data, compress=compress and ws.deflate is not None)
        await ws.expect_message(data, rule="RFC6455 6.2, RFC7692 6")
    await ws.close()


# =============================================================================
# Negotiation
# =============================================================================

#: valid offers: each parameter alone and in combination (RFC 7692 7.1).
VALID_OFFERS: dict[str, DeflateOffer] = {
    "plain": DeflateOffer(),
    "server-no-context-takeover": DeflateOffer(server_no_context_takeover=True),
    "client-no-context-takeover": DeflateOffer(client_no_context_takeover=True),
    "server-max-window-bits": DeflateOffer(server_max_window_bits=10),
    "client-max-window-bits": DeflateOffer(client_max_window_bits=True),
    "client-max-window-bits-value": DeflateOffer(client_max_window_bits=11),
    "both-no-context-takeover": DeflateOffer(server_no_context_takeover=True,
                                             client_no_context_takeover=True),
    "both-max-window-bits": DeflateOffer(server_max_window_bits=12, client_max_window_bits=9),
    "server-both": DeflateOffer(server_no_context_takeover=True, server_max_window_bits=11),
    "client-both": DeflateOffer(client_no_context_takeover=True, client_max_window_bits=13),
    "all-four": DeflateOffer(server_no_context_takeover=True, client_no_context_takeover=True,
                             server_max_window_bits=9, client_max_window_bits=14),
    "autobahn-default": AUTOBAHN_DEFAULT,
}

#: offers that ask nothing of the server: a server that does deflate takes them.
REQUIRED = {"plain", "client-no-context-takeover", "client-max-window-bits",
            "autobahn-default"}


@pytest.mark.parametrize("name", list(VALID_OFFERS))
@case(
    "deflate.negotiate.{name}",
    title="the permessage-deflate offer '{name}' is answered with a valid response, "
    "then compressed messages are echoed",
    rfc="RFC7692 7.1 MUST",
    requirement="A server accepting a permessage-deflate offer includes one element with "
    "only parameters that offer allows, with valid values: server_no_context_takeover when "
    "offered, server_max_window_bits no larger than offered, client_max_window_bits only "
    "when offered; then it inflates and compresses with them.",
    needs=("deflate", "echo"),
)
async def test_valid_offer(wsspec_client: Client, name: str) -> None:
    ws, _ = await open_deflate(wsspec_client, [VALID_OFFERS[name]], required=name in REQUIRED)
    await exchange(ws, [(HELLO, True), (HELLO, True), (BINARY_DATA, False), (HELLO, True)])


@case(
    "deflate.negotiate.quoted-value",
    title="server_max_window_bits=\"10\" (a quoted value) is a valid offer",
    rfc="RFC7692 7.1.2.1 MUST",
    requirement="A parameter value may be sent as a quoted string (RFC 6455 9.1); "
    "server_max_window_bits=\"10\" offers a window of 10 bits, so an accepting response "
    "carries server_max_window_bits of at most 10.",
    needs=("deflate", "echo"),
)
async def test_quoted_value(wsspec_client: Client) -> None:
    ws, params = await open_deflate(wsspec_client, [raw(("server_max_window_bits", '"10"'))])
    if params is not None:
        element = parse_extension_header(ws.response.extensions)[0][1]
        value = dict(element).get("server_max_window_bits")
        if value is None or int(value) > 10:
            raise CaseFailed("server_max_window_bits of at most 10 in the response "
                             "(RFC7692 7.1.2.1)", f"server_max_window_bits={value}")
    await exchange(ws, [(HELLO, True), (HELLO, True)])


#: offers a server must decline (RFC 7692 7): the offer, and why.
INVALID_OFFERS: dict[str, tuple[DeflateOffer, str]] = {
    "unknown-parameter": (raw(("x_wsspec_unknown", None)),
                          "it has a parameter not defined for offers"),
    "unknown-parameter-value": (raw(("x_wsspec_unknown", "1")),
                                "it has a parameter not defined for offers"),
    "repeated-server-no-context-takeover": (
        raw(("server_no_context_takeover", None), ("server_no_context_takeover", None)),
        "it has the same parameter twice"),
    "repeated-server-max-window-bits": (
        raw(("server_max_window_bits", "10"), ("server_max_window_bits", "11")),
        "it has the same parameter twice"),
    "repeated-client-max-window-bits": (
        raw(("client_max_window_bits", None), ("client_max_window_bits", "10")),
        "it has the same parameter twice"),
    "server-max-window-bits-7": (raw(("server_max_window_bits", "7")),
                                 "window bits are 8 to 15"),
    "server-max-window-bits-16": (raw(("server_max_window_bits", "16")),
                                  "window bits are 8 to 15"),
    "server-max-window-bits-010": (raw(("server_max_window_bits", "010")),
                                   "window bits have no leading zeros"),
    "server-max-window-bits-abc": (raw(("server_max_window_bits", "abc")),
                                   "window bits are a decimal integer"),
    "server-max-window-bits-no-value": (raw(("server_max_window_bits", None)),
                                        "server_max_window_bits needs a value"),
    "client-max-window-bits-7": (raw(("client_max_window_bits", "7")),
                                 "window bits are 8 to 15"),
    "client-max-window-bits-16": (raw(("client_max_window_bits", "16")),
                                  "window bits are 8 to 15"),
    "client-max-window-bits-010": (raw(("client_max_window_bits", "010")),
                                   "window bits have no leading zeros"),
    "client-max-window-bits-abc": (raw(("client_max_window_bits", "abc")),
                                   "window bits are a decimal integer"),
    "server-no-context-takeover-value": (raw(("server_no_context_takeover", "1")),
                                         "server_no_context_takeover takes no value"),
    "client-no-context-takeover-value": (raw(("client_no_context_takeover", "1")),
                                         "client_no_context_takeover takes no value"),
}


@pytest.mark.parametrize("name", list(INVALID_OFFERS))
@case(
    "deflate.decline.{name}",
    title="the invalid permessage-deflate offer '{name}' is declined",
    rfc="RFC7692 7 MUST",
    requirement="A server must decline a permessage-deflate offer with a parameter not "
    "defined for offers, an invalid value, or the same parameter twice; the connection "
    "then goes on uncompressed.",
    needs=("echo",),
)
async def test_invalid_offer_is_declined(wsspec_client: Client, name: str) -> None:
    offer, why = INVALID_OFFERS[name]
    ws = await expect_declined(wsspec_client, [offer], why)
    if ws is not None:
        await exchange(ws, [(HELLO, False)])


@case(
    "deflate.decline.not-offered",
    title="without an offer, permessage-deflate is not used",
    rfc="RFC6455 9.1 MUST",
    requirement="A server uses only extensions the client offered: without an offer its "
    "response has no permessage-deflate and it never sets RSV1 (RFC 6455 5.2).",
    needs=("echo",),
)
async def test_not_offered(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await exchange(ws, [(HELLO, False), (BINARY_DATA, False)])


#: several offers: (offers, layout of the header lines, what the server must do):
#: "accept" one of them (the plain offer is among them), "may-accept" one, "decline" all.
SEVERAL_OFFERS: dict[str, tuple[list[DeflateOffer], str, str]] = {
    "invalid-then-plain": ([raw(("x_wsspec_unknown", None)), DeflateOffer()], "one", "accept"),
    "invalid-then-plain-two-headers": (
        [raw(("server_max_window_bits", "16")), DeflateOffer()], "two", "accept"),
    "window-then-plain": (
        [DeflateOffer(server_max_window_bits=10), DeflateOffer()], "one", "accept"),
    "window-then-plain-two-headers": (
        [DeflateOffer(server_max_window_bits=10), DeflateOffer()], "two", "accept"),
    "no-context-then-plain": (
        [DeflateOffer(server_no_context_takeover=True), DeflateOffer()], "one", "accept"),
    "no-context-then-window-two-headers": (
        [DeflateOffer(server_no_context_takeover=True), DeflateOffer(server_max_window_bits=9)],
        "two", "may-accept"),
    "invalid-only": ([raw(("server_max_window_bits", "7")),
                      raw(("client_max_window_bits", "abc"))], "one", "decline"),
    "unknown-extension-first": ([DeflateOffer()], "unknown-first", "accept"),
}


def header_lines(offers: list[DeflateOffer], layout: str) -> list[str] | None:
    """The Sec-WebSocket-Extensions lines of a layout (None: one line of all offers)."""
    if layout == "two":
        return [offer.encode() for offer in offers]
    if layout == "unknown-first":
        return ["x-wsspec-unknown; mode=fast, " + offers[0].encode()]
    return None


@pytest.mark.parametrize("name", list(SEVERAL_OFFERS))
@case(
    "deflate.offers.{name}",
    title="several offers ({name}): one valid offer is accepted, the invalid ones never",
    rfc="RFC7692 5 MUST",
    requirement="Offers are listed in order of preference, in one Sec-WebSocket-Extensions "
    "header or across several; a server accepts at most one, never one it must decline, "
    "and its response must fit the offer it accepted.",
    needs=("deflate", "echo"),
)
async def test_several_offers(wsspec_client: Client, name: str) -> None:
    offers, layout, expect = SEVERAL_OFFERS[name]
    headers = header_lines(offers, layout)
    if expect == "decline":
        ws = await expect_declined(wsspec_client, offers, "every offer is invalid", headers=headers)
        if ws is not None:
            await exchange(ws, [(HELLO, False)])
        return
    ws, _ = await open_deflate(wsspec_client, offers, headers=headers, required=expect == "accept")
    await exchange(ws, [(HELLO, True), (HELLO, True)])


# =============================================================================
# Context takeover and window sizes
# =============================================================================

#: offers with server_no_context_takeover.
NO_CONTEXT_OFFERS: dict[str, DeflateOffer] = {
    "alone": DeflateOffer(server_no_context_takeover=True),
    "with-window": DeflateOffer(server_no_context_takeover=True, server_max_window_bits=12),
    "with-client": DeflateOffer(server_no_context_takeover=True,
                                client_no_context_takeover=True),
}


@pytest.mark.parametrize("name", list(NO_CONTEXT_OFFERS))
@case(
    "deflate.server-no-context-takeover.{name}",
    title="after agreeing server_no_context_takeover ({name}), the server compresses each "
    "message with an empty window",
    rfc="RFC7692 7.1.1.1 MUST",
    requirement="A server that accepts server_no_context_takeover includes it in its "
    "response and starts every message it compresses with an empty LZ77 window: the same "
    "message echoed twice inflates on its own each time.",
    needs=("deflate", "echo"),
)
async def test_server_no_context_takeover(wsspec_client: Client, name: str) -> None:
    ws, params = await open_deflate(wsspec_client, [NO_CONTEXT_OFFERS[name]])
    payloads = []
    for data in (GREETING, GREETING, HELLO + GREETING):
        await ws.send_message(data, compress=params is not None)
        _, frames = await ws.expect_message_frames(data, rule="RFC7692 7.1.1.1")
        if frames and frames[0].rsv1:
            payloads.append(b"".join(f.payload for f in frames))
    if params is not None:
        problem = window_problem(payloads, window_bits=params.server_max_window_bits,
                                 no_context_takeover=params.server_no_context_takeover)
        if problem:
            raise CaseFailed("each message compressed with an empty window (RFC7692 7.1.1.1)",
                             problem, wsspec_client.record.wirelog.tail())
    await ws.close()


@case(
    "deflate.context-takeover.client",
    title="the same message compressed twice with context takeover is inflated",
    rfc="RFC7692 7.2.2 MUST",
    requirement="Without client_no_context_takeover the client may refer back into its "
    "earlier messages (RFC 7692 7.2.3.2): the server keeps its LZ77 window across "
    "messages and inflates the second copy, a back-reference into the first.",
    needs=("deflate", "echo"),
)
async def test_client_context_takeover(wsspec_client: Client) -> None:
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer()], required=True)
    await exchange(ws, [(GREETING, True), (GREETING, True), (GREETING + HELLO, True)])


WINDOW_BITS = list(range(8, 16))


@pytest.mark.parametrize("bits", WINDOW_BITS)
@case(
    "deflate.server-window.{bits}",
    title="server_max_window_bits={bits}: declined, or every server message stays within "
    "the agreed window",
    rfc="RFC7692 7.1.2.1 MUST",
    requirement="A server accepting server_max_window_bits={bits} answers with a value of at "
    "most {bits} and never refers back further than that window; a server that cannot "
    "honour it (zlib cannot compress with 8 bits) declines the offer.",
    needs=("deflate", "echo"),
)
async def test_server_window(wsspec_client: Client, bits: int) -> None:
    outcome = await negotiate(wsspec_client, [DeflateOffer(server_max_window_bits=bits)])
    ws, params = outcome.connection, outcome.params
    if ws is None:
        raise CaseFailed(f"101 for a handshake offering server_max_window_bits={bits} "
                         "(RFC 7692 7.1.2.1: decline the offer, not the handshake)",
                         outcome.result.describe(), wsspec_client.record.wirelog.tail())
    expected = (f"server_max_window_bits={bits} declined, or accepted with at most {bits} "
                "and honoured (RFC7692 7.1.2.1)")
    if params is None:
        wsspec_client.record.observe(
            expected, f"declined: Sec-WebSocket-Extensions: {outcome.header}"
        )
        if bits != 8:
            wsspec_client.record.downgrade(Verdict.INFORMATIONAL,
                                    f"the server does not support server_max_window_bits={bits}")
        await exchange(ws, [(HELLO, False)])
        return
    data = window_probe()
    await ws.send_message(data)
    _, frames = await ws.expect_message_frames(data, rule="RFC7692 7.1.2.1")
    payloads = [b"".join(f.payload for f in frames)] if frames and frames[0].rsv1 else []
    problem = window_problem(payloads, window_bits=params.server_max_window_bits,
                             no_context_takeover=params.server_no_context_takeover)
    if problem:
        raise CaseFailed(expected, problem, wsspec_client.record.wirelog.tail())
    shown = "the compressed echo stays within it" if payloads else "the echo came uncompressed"
    wsspec_client.record.observe(expected, f"Sec-WebSocket-Extensions: {outcome.header}; {shown}")
    await ws.close()


@pytest.mark.parametrize("bits", ["bare", *WINDOW_BITS])
@case(
    "deflate.client-window.{bits}",
    title="client_max_window_bits ({bits}) offered: the server inflates what the client "
    "compresses with the agreed window",
    rfc="RFC7692 7.1.2.2 MUST",
    requirement="A server may answer client_max_window_bits with a value no larger than "
    "offered (or leave it out); it then inflates client messages compressed with that "
    "window, back-references across messages included.",
    needs=("deflate", "echo"),
)
async def test_client_window(wsspec_client: Client, bits: str | int) -> None:
    value: int | bool = True if isinstance(bits, str) else bits
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer(client_max_window_bits=value)],
                               required=bits == "bare")
    probe = window_probe()
    await exchange(ws, [(probe, True), (GREETING, True), (GREETING, True), (probe, True)])


# =============================================================================
# Autobahn 12.x and 13.x: payload sizes x compressibility, parameter combinations
# =============================================================================

#: Autobahn's message sizes: (n, label, size, auto-fragment size or None).
SIZES: list[tuple[int, str, int, int | None]] = [
    (1, "16B", 16, None),
    (2, "64B", 64, None),
    (3, "256B", 256, None),
    (4, "1KiB", KiB, None),
    (5, "4KiB", 4 * KiB, None),
    (6, "8KiB", 8 * KiB, None),
    (7, "16KiB", 16 * KiB, None),
    (8, "32KiB", 32 * KiB, None),
    (9, "64KiB", 64 * KiB, None),
    (10, "128KiB", 128 * KiB, None),
    (11, "8KiB-frames-256B", 8 * KiB, 256),
    (12, "16KiB-frames-256B", 16 * KiB, 256),
    (13, "32KiB-frames-256B", 32 * KiB, 256),
    (14, "64KiB-frames-256B", 64 * KiB, 256),
    (15, "128KiB-frames-256B", 128 * KiB, 256),
    (16, "128KiB-frames-1KiB", 128 * KiB, KiB),
    (17, "128KiB-frames-4KiB", 128 * KiB, 4 * KiB),
    (18, "128KiB-frames-32KiB", 128 * KiB, 32 * KiB),
]


_CORPUS = {c.name: c for c in CORPORA}


#: what each 12.x/13.x-style case keeps of its wire log: the head (bytes of payload)
#: and the tail (entries).
TRAFFIC_LOG_BYTES = 2 * KiB
TRAFFIC_LOG_TAIL = 20


def message_count(size: int) -> int:
    """Messages per case: 16 of up to 2 KiB, then fewer, at least 3 (Autobahn: 1000)."""
    return min(16, max(3, 32 * KiB // size))


async def echo_corpus(wsspec_client: Client, ws: Connection, corpus: Corpus, size: int,
                      fragment: int | None, header: str) -> None:
    """Send consecutive slices of ``corpus`` one at a time, each compressed when
    deflate was agreed (in frames of ``fragment`` compressed bytes), and expect
    each echoed unchanged before the next; then close."""
    opcode = BINARY if corpus.binary else TEXT
    count = message_count(size)
    # As Autobahn does for these cases, keep the wire log short: its head shows the
    # handshake and the first frames, its tail the last ones; the rest is counted.
    ws.wirelog.max_bytes = min(ws.wirelog.max_bytes, TRAFFIC_LOG_BYTES)
    ws.wirelog.tail_entries = min(ws.wirelog.tail_entries, TRAFFIC_LOG_TAIL)
    for data in messages(corpus.name, size, count):
        await ws.send_message(data, opcode=opcode, compress=ws.deflate is not None,
                              fragment_size=fragment)
        await ws.expect_message(data, opcode=opcode, rule="RFC6455 6.2, RFC7692 6")
    await ws.close()
    frames = f" in frames of {fragment} compressed bytes" if fragment else ""
    wsspec_client.record.observe(
        f"{count} {'binary' if corpus.binary else 'text'} messages of {size} bytes of "
        f"{corpus.description}{frames}, echoed unchanged (RFC7692 6, RFC6455 6.2)",
        f"all echoed; Sec-WebSocket-Extensions: {header}")


@pytest.mark.parametrize(("n", "label", "size", "fragment"), SIZES)
@pytest.mark.parametrize("corpus", [c.name for c in CORPORA])
@case(
    "deflate.traffic.{corpus}.{label}",
    title="compressed messages of {label} ({corpus}) are echoed",
    rfc="RFC7692 6 MUST",
    requirement="With permessage-deflate agreed on the offer client_no_context_takeover; "
    "client_max_window_bits, a server inflates compressed {corpus} messages of {label} "
    "(context taken over between its own messages) and echoes them unchanged.",
    autobahn=lambda corpus, n, **_: f"12.{_CORPUS[corpus].autobahn}.{n}",
    needs=("deflate", "echo"),
)
async def test_traffic(wsspec_client: Client, corpus: str, n: int, label: str, size: int,
                       fragment: int | None) -> None:
    ws, _ = await open_deflate(wsspec_client, [AUTOBAHN_DEFAULT], required=True)
    header = ", ".join(ws.response.get("Sec-WebSocket-Extensions"))
    await echo_corpus(wsspec_client, ws, _CORPUS[corpus], size, fragment, header)


def _autobahn_offer(*, server_no_context_takeover: bool = False,
                    server_max_window_bits: int | None = None) -> DeflateOffer:
    return DeflateOffer(client_no_context_takeover=True, client_max_window_bits=True,
                        server_no_context_takeover=server_no_context_takeover,
                        server_max_window_bits=server_max_window_bits)


#: Autobahn 13.x: (n, name, offers). Each offer also carries Autobahn's client
#: parameters (client_no_context_takeover; client_max_window_bits).
PARAMETER_SETS: list[tuple[int, str, list[DeflateOffer]]] = [
    (1, "default", [_autobahn_offer()]),
    (2, "no-context", [_autobahn_offer(server_no_context_takeover=True)]),
    (3, "window-8", [_autobahn_offer(server_max_window_bits=8)]),
    (4, "window-15", [_autobahn_offer(server_max_window_bits=15)]),
    (5, "no-context-window-8", [_autobahn_offer(server_no_context_takeover=True,
                                                server_max_window_bits=8)]),
    (6, "no-context-window-15", [_autobahn_offer(server_no_context_takeover=True,
                                                 server_max_window_bits=15)]),
    (7, "fallback", [_autobahn_offer(server_no_context_takeover=True, server_max_window_bits=8),
                     _autobahn_offer(server_no_context_takeover=True), _autobahn_offer()]),
]
_PARAMETERS = {name: (j, offers) for j, name, offers in PARAMETER_SETS}


@pytest.mark.parametrize(("n", "label", "size", "fragment"), SIZES)
@pytest.mark.parametrize("offer", [name for _, name, _ in PARAMETER_SETS])
@case(
    "deflate.params.{offer}.{label}",
    title="with the '{offer}' offer, compressed JSON messages of {label} are echoed",
    rfc="RFC7692 7.1 MUST",
    requirement="A server that accepts the '{offer}' offer compresses with the parameters it "
    "agreed (no context takeover, window bits) and inflates compressed JSON messages of "
    "{label}, echoing them unchanged; declining an offer asking for server parameters is "
    "allowed (informational).",
    autobahn=lambda offer, n, **_: f"13.{_PARAMETERS[offer][0]}.{n}",
    needs=("deflate", "echo"),
)
async def test_parameter_sets(wsspec_client: Client, offer: str, n: int, label: str, size: int,
                              fragment: int | None) -> None:
    _, offers = _PARAMETERS[offer]
    ws, _ = await open_deflate(wsspec_client, offers, required=offer in ("default", "fallback"))
    header = ", ".join(ws.response.get("Sec-WebSocket-Extensions")) or "(absent)"
    await echo_corpus(wsspec_client, ws, _CORPUS["json"], size, fragment, header)


# =============================================================================
# RSV1: only on a message's first frame
# =============================================================================

#: frames with RSV1 where it means nothing, sent after a valid compressed message.
RSV1_MISPLACED: dict[str, Callable[[], list[Frame]]] = {
    "continuation-of-compressed": lambda: [
        Frame(TEXT, compress_variant(b"Hello, world!", "sync")[:4], fin=False, rsv1=True),
        Frame(CONTINUATION, compress_variant(b"Hello, world!", "sync")[4:], rsv1=True)],
    "continuation-of-uncompressed": lambda: [
        Frame(TEXT, b"Hello, ", fin=False), Frame(CONTINUATION, b"world!", rsv1=True)],
    "ping": lambda: [Frame(Opcode.PING, b"compressed?", rsv1=True)],
    "pong": lambda: [Frame(Opcode.PONG, b"compressed?", rsv1=True)],
    "close": lambda: [Frame(Opcode.CLOSE, encode_close_payload(1000), rsv1=True)],
}


@pytest.mark.parametrize("where", list(RSV1_MISPLACED))
@case(
    "deflate.rsv1.{where}",
    title="RSV1 on a {where} frame fails the connection",
    rfc="RFC7692 6 MUST",
    requirement="permessage-deflate gives RSV1 a meaning only on a data message's first "
    "frame; on a {where} frame it means nothing, so the server fails the connection with "
    "1002 (RFC 6455 5.2), after echoing the message before it and without answering the "
    "ping after it.",
    needs=("deflate", "echo"),
)
async def test_misplaced_rsv1(wsspec_client: Client, where: str) -> None:
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer()], required=True)
    await ws.send_message(HELLO, compress=True)
    await ws.send_frames([*RSV1_MISPLACED[where](), Frame(Opcode.PING, b"must not be answered")])
    await ws.expect_failure_after_echo(HELLO, (1002,), rule="RFC7692 6, RFC6455 5.2")


@case(
    "deflate.rsv1.not-negotiated",
    title="a compressed message (RSV1) without permessage-deflate fails the connection",
    rfc="RFC6455 5.2 MUST",
    requirement="Without a negotiated extension defining RSV1, a frame with RSV1 set fails "
    "the connection with 1002, even when its payload is valid DEFLATE data.",
    needs=("echo",),
)
async def test_rsv1_without_negotiation(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.send_message(HELLO)
    await ws.send_frames([Frame(TEXT, compress_variant(HELLO.encode(), "sync"), rsv1=True),
                          Frame(Opcode.PING, b"must not be answered")])
    await ws.expect_failure_after_echo(HELLO, (1002,), rule="RFC6455 5.2")


@case(
    "deflate.control.no-rsv1",
    title="pongs and close frames on a deflate connection are never compressed",
    rfc="RFC7692 6 MUST NOT",
    requirement="An endpoint must not set RSV1 on control frames: the server's pong and "
    "close frame carry RSV1 clear (every server frame is checked).",
    needs=("deflate",),
)
async def test_control_frames_uncompressed(wsspec_client: Client) -> None:
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer()], required=True)
    await ws.send_frame(Opcode.PING, b"ping on a deflate connection")
    await ws.expect_pong(b"ping on a deflate connection")
    await ws.close()


# =============================================================================
# Message forms: mixed, fragmented, the variants a compliant sender may produce
# =============================================================================


@pytest.mark.parametrize("kind", ["text", "binary"])
@case(
    "deflate.mixed.{kind}",
    title="uncompressed {kind} messages between compressed ones are echoed",
    rfc="RFC7692 6 MUST",
    requirement="With permessage-deflate agreed a client may still send a message "
    "uncompressed (RSV1 clear); the server takes both kinds, and an uncompressed message "
    "does not enter the LZ77 window shared by the compressed ones.",
    needs=("deflate", "echo"),
)
async def test_mixed_messages(wsspec_client: Client, kind: str) -> None:
    data: str | bytes = GREETING if kind == "text" else BINARY_DATA
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer()], required=True)
    await exchange(ws, [(data, True), (data, False), (data, True), (data, False),
                        (data, True)])


def _frames_of(payload: bytes, size: int, opcode: Opcode = TEXT) -> list[Frame]:
    pieces = [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]
    return [Frame(opcode if i == 0 else CONTINUATION, piece, fin=i == len(pieces) - 1,
                  rsv1=i == 0) for i, piece in enumerate(pieces)]


def _fragmented(variant: str) -> list[Frame]:
    data = GREETING.encode()
    sync = compress_variant(data, "sync")
    if variant == "1-byte-frames":
        return _frames_of(sync, 1)
    if variant == "7-byte-frames":
        return _frames_of(sync, 7)
    if variant == "empty-first-frame":
        return [Frame(TEXT, b"", fin=False, rsv1=True), Frame(CONTINUATION, sync)]
    if variant == "empty-final-frame":
        # RFC 7692 7.2.3.6: the data flushed with its tail, then a final fragment
        # holding one empty DEFLATE block.
        body = compress_variant(data, "empty-final-block")
        return [Frame(TEXT, body[:-1], fin=False, rsv1=True), Frame(CONTINUATION, body[-1:])]
    frames = _frames_of(sync, 16)
    return [frames[0], Frame(Opcode.PING, b"between fragments"), *frames[1:]]


FRAGMENTED = ["1-byte-frames", "7-byte-frames", "empty-first-frame", "empty-final-frame",
              "ping-between-frames"]


@pytest.mark.parametrize("variant", FRAGMENTED)
@case(
    "deflate.fragmented.{variant}",
    title="a compressed text message in fragments ({variant}) is echoed",
    rfc="RFC7692 6.2 MUST",
    requirement="A compressed message may be fragmented anywhere, even inside a UTF-8 "
    "character or into an empty first or last fragment (RFC 7692 7.2.3.6), with control "
    "frames between fragments: the server joins the fragments' payloads, then inflates.",
    needs=("deflate", "echo"),
)
async def test_fragmented_compressed(wsspec_client: Client, variant: str) -> None:
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer()], required=True)
    await ws.send_frames(_fragmented(variant))
    if variant == "ping-between-frames":
        await ws.expect_pong(b"between fragments")
    await ws.expect_message(GREETING, rule="RFC7692 6.2")
    await ws.close()


def _two_blocks(data: bytes) -> bytes:
    """RFC 7692 7.2.3.5: two DEFLATE blocks in one message (tail removed)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    half = len(data) // 2
    body = compressor.compress(data[:half]) + compressor.flush(zlib.Z_BLOCK)
    body += compressor.compress(data[half:]) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return body[:-len(TAIL)]


VARIANTS = ["sync", "empty-final-block", "bfinal", "stored", "two-blocks"]


def _variant_payload(variant: str, data: bytes) -> bytes:
    if variant == "two-blocks":
        return _two_blocks(data)
    form: CompressVariant = variant  # type: ignore[assignment]
    return compress_variant(data, form)


@pytest.mark.parametrize("kind", ["text", "binary"])
@pytest.mark.parametrize("variant", VARIANTS)
@case(
    "deflate.variant.{variant}-{kind}",
    title="a {kind} message compressed as '{variant}' is inflated",
    rfc="RFC7692 7.2.2 MUST",
    requirement="A receiver appends 00 00 ff ff and inflates: it takes every form a "
    "compliant sender may produce (RFC 7692 7.2.3): a sync flush, an empty final block, a "
    "block with BFINAL set, stored blocks, several blocks.",
    needs=("deflate", "echo"),
)
async def test_compressed_variants(wsspec_client: Client, variant: str, kind: str) -> None:
    data = GREETING.encode() if kind == "text" else BINARY_DATA
    if variant == "stored":
        data = data * (70000 // len(data) + 1)  # more than one stored block (65535 bytes)
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer(client_no_context_takeover=True)],
                               required=True)
    opcode = TEXT if kind == "text" else BINARY
    await ws.send_frame(opcode, _variant_payload(variant, data), rsv1=True)
    await ws.expect_message(data, opcode=opcode, rule="RFC7692 7.2.2")
    await ws.close()


@pytest.mark.parametrize("kind", ["text", "binary"])
@case(
    "deflate.empty.{kind}",
    title="an empty compressed {kind} message is echoed",
    rfc="RFC7692 7.2.1 MUST",
    requirement="An empty message compresses to a single empty DEFLATE block (one byte "
    "00 once the tail is removed); the server inflates it to nothing and keeps going.",
    needs=("deflate", "echo"),
)
async def test_empty_message(wsspec_client: Client, kind: str) -> None:
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer()], required=True)
    empty: str | bytes = "" if kind == "text" else b""
    full: str | bytes = HELLO if kind == "text" else BINARY_DATA
    await exchange(ws, [(empty, True), (full, True), (empty, True), (full, True)])


# =============================================================================
# Invalid compressed data
# =============================================================================

INVALID_DATA: dict[str, tuple[bytes, tuple[int, ...]]] = {
    # BFINAL=1, BTYPE=11: a reserved block type (RFC 1951 3.2.3)
    "reserved-block-type": (b"\x07\x00\x00", Violation.BAD_COMPRESSED_DATA.close_codes),
    # a stored block whose LEN and NLEN do not match (RFC 1951 3.2.4)
    "stored-length-mismatch": (b"\x00\x05\x00\x00\x00hello",
                               Violation.BAD_COMPRESSED_DATA.close_codes),
    # valid DEFLATE data of a text message that is not UTF-8 (RFC 6455 8.1)
    "invalid-utf8-inside": (compress_variant(b"\xce\xba\xe1\xbd\xb9\xff", "sync"), (1007,)),
}


@pytest.mark.parametrize("name", list(INVALID_DATA))
@case(
    "deflate.invalid.{name}",
    title="a compressed text message whose payload is {name} fails the connection",
    rfc="RFC6455 10.7 MUST",
    requirement="A server validates what it inflates: compressed data that is not valid "
    "DEFLATE, or inflates to text that is not UTF-8 (1007, RFC 6455 8.1), fails the "
    "connection, after the message sent before it is echoed. (When the data is found "
    "invalid is not prescribed, so no frame follows it here.)",
    needs=("deflate", "echo"),
)
async def test_invalid_compressed_data(wsspec_client: Client, name: str) -> None:
    payload, codes = INVALID_DATA[name]
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer(client_no_context_takeover=True)],
                               required=True)
    await ws.send_message(HELLO, compress=True)
    await ws.send_frame(TEXT, payload, rsv1=True)
    await ws.expect_failure_after_echo(HELLO, codes, rule="RFC6455 10.7, 8.1")


# =============================================================================
# Decompression bombs
# =============================================================================


#: the inflating speed a server is given, beyond the case timeout, to refuse a bomb.
INFLATE_RATE = 16 * 2**20  # bytes per second
#: the rule a message inflating past the declared limit breaks.
LIMIT_RULE = "RFC6455 10.4, 7.4.1; profile [limits]"


def _limit(wsspec_client: Client) -> int:
    limits = wsspec_client.profile.limits
    assert limits is not None and limits.max_message_size is not None
    return limits.max_message_size


@case(
    "deflate.bomb.one-frame",
    title="one small compressed frame inflating beyond max_message_size is refused with 1009",
    rfc="RFC6455 10.4 MUST",
    requirement="A server with a message size limit protects itself against exceeding it: "
    "a compressed message of a few kilobytes that inflates to twice max_message_size "
    "is refused with close code 1009 (RFC 6455 7.4.1).",
    needs=("deflate", "limits"),
)
async def test_bomb_one_frame(wsspec_client: Client) -> None:
    limit = _limit(wsspec_client)
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer(client_no_context_takeover=True)],
                               required=True)
    await ws.send_frame(BINARY, bomb(2 * limit), rsv1=True)
    await ws.expect_failure((1009,), timeout=wsspec_client.timeout + 2 * limit / INFLATE_RATE,
                            rule=LIMIT_RULE, level=Level.POLICY)


@case(
    "deflate.bomb.fragmented",
    title="a compressed message whose first fragment inflates beyond max_message_size is "
    "refused at once",
    rfc="RFC6455 10.4 MUST",
    requirement="A size limit holds while a message is inflated: once the fragments received "
    "inflate beyond max_message_size the server refuses the message with 1009, without "
    "waiting for (or inflating) the rest.",
    needs=("deflate", "limits"),
)
async def test_bomb_fragmented(wsspec_client: Client) -> None:
    limit = _limit(wsspec_client)
    payload = bomb(2 * limit)
    cut = len(payload) * 3 // 4
    if inflated_size(payload[:cut], limit) <= limit:
        raise HarnessError("the first fragment of the bomb does not exceed the limit")
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer(client_no_context_takeover=True)],
                               required=True)
    await ws.send_frame(BINARY, payload[:cut], fin=False, rsv1=True)
    ended = await ws.poll_failure(wsspec_client.timeout, (1009,), rule=LIMIT_RULE,
                                  level=Level.POLICY)
    if ended is not None:
        return
    await ws.send_frame(CONTINUATION, payload[cut:])
    # The server may now inflate the whole message before it answers.
    wait = wsspec_client.timeout + 2 * limit / INFLATE_RATE
    ended = await ws.expect_failure((1009,), timeout=wait, rule=LIMIT_RULE, level=Level.POLICY)
    wsspec_client.record.downgrade(
        Verdict.NON_STRICT,
        f"refused only once the whole message had arrived, though its first fragment "
        f"inflates beyond max_message_size ({limit} bytes): a server that inflates as "
        "fragments come in stops at the limit",
    )


@case(
    "deflate.bomb.corrupt-tail",
    title="a bomb followed by corrupt data is refused for its size, not for the corruption",
    rfc="RFC6455 10.4 MUST",
    requirement="A server inflating with its size limit stops at the limit: a frame "
    "inflating to twice max_message_size, then corrupt DEFLATE data, is refused with 1009; "
    "a server that reports the corruption decoded everything before it, far past its limit.",
    needs=("deflate", "limits"),
)
async def test_bomb_corrupt_tail(wsspec_client: Client) -> None:
    limit = _limit(wsspec_client)
    ws, _ = await open_deflate(wsspec_client, [DeflateOffer(client_no_context_takeover=True)],
                               required=True)
    # The bomb ends with the header of an empty stored block; LEN and NLEN disagree.
    await ws.send_frame(BINARY, bomb(2 * limit) + b"\x12\x34\x56\x78", rsv1=True)
    wait = wsspec_client.timeout + 2 * limit / INFLATE_RATE
    ended = await ws.expect_failure((1009, 1002, 1007), timeout=wait,
                                    rule=LIMIT_RULE, level=Level.POLICY)
    if isinstance(ended, CloseInfo) and ended.code != 1009:
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            f"closed with {ended.code} for the corrupt data placed after {2 * limit} bytes of "
            f"output: the server inflated beyond max_message_size ({limit} bytes) before "
            "refusing the message",
        )
