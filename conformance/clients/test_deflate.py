"""Client cases: the rules of permessage-deflate (RFC 7692), for a client that declares it
offers it (Autobahn's 12.x and 13.x traffic are in :mod:`.test_deflate_traffic`).

The offer: every element well formed. The response: the client takes the
answers a server may give (server parameters it did not ask for) and fails the
connection on the ones it must refuse (an unknown parameter, a window outside
8-15 or above what it offered, client_max_window_bits it did not offer, a
parameter twice, the extension accepted twice). What the server asks of it:
with client_no_context_takeover each compressed message inflates with an empty
window, with client_max_window_bits=N no back-reference reaches further than
2^N bytes (checked exactly on what it sends). What it receives: compressed
messages inflated and echoed (one, or several sharing the context), RSV1 only
on a data message's first frame, corrupt data refused; once the offer is
declined it compresses nothing.

Where a rule can only be broken against an offer the client did not make (a
window above the one it offered, when it offered none), the case is
``informational``: there is no invalid response of that kind to send it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from wsspec.clientside.cases import client_case
from wsspec.clientside.connection import ClientConnection
from wsspec.clientside.deflate import ClientOffer
from wsspec.clientside.script import Echo, Exchange, Fails, Send, Step, frame, play
from wsspec.clientside.session import ClientUnderTest
from wsspec.conformance._deflate_data import window_probe
from wsspec.protocol import Opcode, Violation, build_accept_response, compress_variant
from wsspec.verdicts import Verdict

from ._deflate import check_window, echo_compressed, grade_unmet

KINDS = {"text": (Opcode.TEXT, b"Hello, compressed world! "),
         "binary": (Opcode.BINARY, bytes(range(256)))}

#: (name, payload size, messages in a row)
SHAPES = [("16B", 16, 1), ("4KiB", 4096, 1), ("64KiB", 65536, 1), ("10x1KiB", 1024, 10)]


@client_case(
    "client.deflate.offer",
    title="the client offers permessage-deflate, well formed",
    rfc="RFC7692 5 MUST",
    requirement="A client offers permessage-deflate in Sec-WebSocket-Extensions with "
                "parameters of RFC 7692 §7.1, each once, with valid values.",
    needs=("deflate",),
)
def test_offer(wsspec_client_under_test: ClientUnderTest) -> None:
    connection = wsspec_client_under_test.connect()
    offered = connection.request_header("Sec-WebSocket-Extensions")
    invalid = [problem for offer in connection.deflate_offers() for problem in offer.problems]
    if invalid:
        raise connection.fail("every permessage-deflate element valid (RFC 7692 §7.1)",
                              " ".join(invalid))
    agreed = connection.accept_deflate()
    connection.record.observe("a valid permessage-deflate offer",
                              f"{', '.join(offered)}; answered {agreed.element!r}")
    connection.close()


@client_case(
    "client.deflate.echo.{kind}-{shape}",
    title="compressed {kind} messages ({shape}) are inflated and echoed",
    rfc="RFC7692 7.2.2 MUST",
    requirement="An endpoint inflates a message with RSV1 set by appending 00 00 ff ff to its "
                "payload and decompressing it with the agreed window and context takeover.",
    needs=("deflate", "echo"),
)
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("shape", [name for name, _, _ in SHAPES])
def test_compressed_echo(wsspec_client_under_test: ClientUnderTest, kind: str,
                         shape: str) -> None:
    opcode, pattern = KINDS[kind]
    _, size, count = next(row for row in SHAPES if row[0] == shape)
    connection = wsspec_client_under_test.connect()
    connection.accept_deflate()
    for n in range(count):
        data = (pattern * (size // len(pattern) + 1))[:size - 1] + bytes([0x30 + n])
        connection.send_compressed(opcode, data)
        connection.expect_echo(opcode, data)
    connection.close()


@client_case(
    "client.deflate.declined",
    title="after the server declines deflate, the client compresses nothing",
    rfc="RFC7692 6 MUST",
    requirement="Without a negotiated extension that defines RSV1, the client MUST NOT set it: "
                "a declined offer means plain frames.",
    needs=("deflate", "echo"),
)
def test_declined(wsspec_client_under_test: ClientUnderTest) -> None:
    connection = wsspec_client_under_test.open()  # a 101 without Sec-WebSocket-Extensions
    data = b"plain " * 200
    connection.send_frame(Opcode.TEXT, data)
    connection.expect_echo(Opcode.TEXT, data)
    connection.close()


# -- responses the client must refuse ---------------------------------------------------


def _fixed(element: str) -> Callable[[ClientOffer], str | None]:
    return lambda offer: element


def _above_offered_server_window(offer: ClientOffer) -> str | None:
    bits = offer.server_max_window_bits
    return (f"permessage-deflate; server_max_window_bits={bits + 1}"
            if bits is not None and bits < 15 else None)


def _unoffered_client_window(offer: ClientOffer) -> str | None:
    bits = offer.client_max_window_bits
    if bits is None:
        return "permessage-deflate; client_max_window_bits=15"
    if bits is not True and bits < 15:
        return f"permessage-deflate; client_max_window_bits={bits + 1}"
    return None


#: (why the client refuses it, the response element for the client's offer or None when
#: the offer leaves no such invalid response)
REFUSED: dict[str, tuple[str, Callable[[ClientOffer], str | None]]] = {
    "unknown-parameter": ("it has a parameter permessage-deflate does not define",
                          _fixed("permessage-deflate; x_wsspec_unknown")),
    "server-window-7": ("window bits are 8 to 15",
                        _fixed("permessage-deflate; server_max_window_bits=7")),
    "server-window-16": ("window bits are 8 to 15",
                         _fixed("permessage-deflate; server_max_window_bits=16")),
    "server-window-010": ("window bits have no leading zeros",
                          _fixed("permessage-deflate; server_max_window_bits=010")),
    "server-window-abc": ("window bits are a decimal integer",
                          _fixed("permessage-deflate; server_max_window_bits=abc")),
    "server-window-no-value": ("server_max_window_bits needs a value",
                               _fixed("permessage-deflate; server_max_window_bits")),
    "server-window-above-offer": ("server_max_window_bits is above the value offered",
                                  _above_offered_server_window),
    "client-window-16": ("window bits are 8 to 15",
                         _fixed("permessage-deflate; client_max_window_bits=16")),
    "client-window-no-value": ("a response's client_max_window_bits needs a value",
                               _fixed("permessage-deflate; client_max_window_bits")),
    "client-window-unoffered": ("client_max_window_bits the client did not offer (or above "
                                "the value it offered)", _unoffered_client_window),
    "no-context-takeover-value": ("client_no_context_takeover takes no value",
                                  _fixed("permessage-deflate; client_no_context_takeover=1")),
    "duplicate-parameter": ("it has the same parameter twice", _fixed(
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover")),
    "duplicate-window": ("it has the same parameter twice", _fixed(
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10")),
    "accepted-twice": ("a response accepts one offer",
                       _fixed("permessage-deflate, permessage-deflate")),
}


@client_case(
    "client.deflate.refuse.{variant}",
    title="a permessage-deflate response the client must refuse: {variant}",
    rfc="RFC7692 7.1 MUST",
    requirement="A client fails the WebSocket connection when the server's permessage-deflate "
                "response is invalid or does not fit its offer: {why}.",
    needs=("deflate",),
)
@pytest.mark.parametrize(("variant", "why"), [pytest.param(variant, why, id=variant)
                                              for variant, (why, _) in REFUSED.items()])
def test_refuses_response(wsspec_client_under_test: ClientUnderTest, variant: str,
                          why: str) -> None:
    connection = wsspec_client_under_test.connect()
    element = REFUSED[variant][1](connection.deflate_offer())
    if element is None:
        connection.record.downgrade(Verdict.INFORMATIONAL, f"the client's offer leaves no "
                                    f"response of this kind ({why}) to refuse")
        connection.accept_deflate()
        connection.close()
        return
    connection.answer(build_accept_response(connection.key, extensions=element))
    # A client that took the answer echoes this; a refusing one never reads it as a frame.
    connection.send_frame(Opcode.TEXT, b"wsspec: this connection must not be open")
    connection.expect_no_data_then_close(f"Sec-WebSocket-Extensions: {element}: {why}")


# -- responses the client must take ---------------------------------------------------------

GREETING = b"permessage-deflate, compress me: " * 12

#: what the suite grants itself unasked (RFC 7692 7.1.1.1, 7.1.2.1 let a server add it).
GRANTED: dict[str, dict[str, Any]] = {
    "server-no-context-takeover": {"server_no_context_takeover": True},
    "server-window-9": {"server_max_window_bits": 9},
    "server-window-12": {"server_max_window_bits": 12},
    "all-parameters": {"server_no_context_takeover": True, "server_max_window_bits": 11,
                       "client_no_context_takeover": True, "client_max_window_bits": 12},
}


@client_case(
    "client.deflate.accept.{variant}",
    title="a valid response the client did not ask for ({variant}) is taken",
    rfc="RFC7692 7.1.2.1 MAY",
    requirement="A server MAY include server_no_context_takeover and server_max_window_bits "
                "in its response though the offer did not have them: the client takes the "
                "response and inflates what the server compresses with them.",
    needs=("deflate", "echo"),
)
@pytest.mark.parametrize("variant", list(GRANTED))
def test_takes_response(wsspec_client_under_test: ClientUnderTest, variant: str) -> None:
    connection = wsspec_client_under_test.connect()
    agreed = connection.accept_deflate(**GRANTED[variant])
    echo_compressed(connection, Opcode.TEXT, [GREETING, GREETING, GREETING + b"!"])
    seen = check_window(connection, largest=len(GREETING) + 1)
    connection.record.observe("the response taken, compressed messages echoed",
                              f"answered {agreed.element!r}; {seen}")
    connection.close()
    grade_unmet(connection, agreed)


# -- what the server asks of the client -------------------------------------------------------


@client_case(
    "client.deflate.client-no-context-takeover",
    title="asked for client_no_context_takeover, the client compresses each message with an "
          "empty window",
    rfc="RFC7692 7.1 MUST",
    requirement="A client whose offer the server accepted with client_no_context_takeover "
                "starts every message it compresses with an empty LZ77 window: the same "
                "message echoed three times inflates on its own each time.",
    needs=("deflate", "echo"),
)
def test_client_no_context_takeover(wsspec_client_under_test: ClientUnderTest) -> None:
    connection = wsspec_client_under_test.connect()
    connection.accept_deflate(client_no_context_takeover=True)
    echo_compressed(connection, Opcode.BINARY, [GREETING] * 3)
    seen = check_window(connection, largest=len(GREETING))
    _grade_compressed(connection, "client_no_context_takeover")
    connection.record.observe("each compressed echo inflates with an empty window", seen)
    connection.close()


@client_case(
    "client.deflate.client-window.{bits}",
    title="asked for client_max_window_bits={bits}, the client refers back no further",
    rfc="RFC7692 7.1.2.2 MUST",
    requirement="A client that offered client_max_window_bits and got client_max_window_bits="
                "{bits} in the response compresses with a window of at most 2^{bits} bytes: no "
                "back-reference reaches further (a probe repeats blocks just beyond each window "
                "size; the client's echo is inflated one byte at a time).",
    needs=("deflate", "echo"),
)
@pytest.mark.parametrize("bits", list(range(8, 16)))
def test_client_window(wsspec_client_under_test: ClientUnderTest, bits: int) -> None:
    connection = wsspec_client_under_test.connect()
    agreed = connection.accept_deflate(client_max_window_bits=bits)
    probe = window_probe()
    echo_compressed(connection, Opcode.BINARY, [probe])
    seen = check_window(connection, largest=len(probe))
    _grade_compressed(connection, f"client_max_window_bits={bits}")
    connection.record.observe(f"the echo compressed within 2^{bits} bytes",
                              f"answered {agreed.element!r}; {seen}")
    connection.close()
    grade_unmet(connection, agreed)


def _grade_compressed(connection: ClientConnection, what: str) -> None:
    if not connection.compressed:
        connection.record.downgrade(Verdict.INFORMATIONAL, f"the client compressed none of "
                                    f"its echoes, so {what} was not exercised")


# -- what the client receives ------------------------------------------------------------------

HELLO = b"Hello, permessage-deflate!"


#: after a compressed message (echoed), frames a client must fail the connection on.
RECEIVED: list[Exchange] = [
    Exchange("ping-rsv1", None, "a ping with RSV1 set", (
        Send(frame(Opcode.PING, b"compressed?", rsv=4)),
        Fails("RSV1 on a control frame", frozenset({1002})))),
    Exchange("continuation-rsv1", None, "a continuation frame with RSV1 set", (
        Send(frame(Opcode.TEXT, compress_variant(HELLO, "sync")[:4], fin=False, rsv=4),
             frame(Opcode.CONTINUATION, compress_variant(HELLO, "sync")[4:], rsv=4)),
        Fails("RSV1 on a continuation frame", frozenset({1002})))),
    Exchange("reserved-block-type", None, "compressed data of a reserved block type", (
        Send(frame(Opcode.BINARY, b"\x07\x00\x00", rsv=4)),
        Fails("data that is not DEFLATE",
              frozenset(Violation.BAD_COMPRESSED_DATA.close_codes)))),
    Exchange("invalid-utf8-inside", None, "compressed text that inflates to invalid UTF-8", (
        Send(frame(Opcode.TEXT, compress_variant(b"\xce\xba\xe1\xbd\xb9\xff", "sync"), rsv=4)),
        Fails("text that is not UTF-8", frozenset({1007})))),
]


@client_case(
    "client.deflate.receive.{exchange}",
    title="after a compressed message, {exchange.title}: the connection is failed",
    rfc="RFC7692 6 MUST",
    requirement="permessage-deflate gives RSV1 a meaning only on a data message's first "
                "frame, and what it inflates must be DEFLATE data (and UTF-8 for text): "
                "otherwise the client fails the connection, after echoing the message before.",
    needs=("deflate", "echo"),
)
@pytest.mark.parametrize("exchange", RECEIVED, ids=str)
def test_receive(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    connection = wsspec_client_under_test.connect()
    connection.accept_deflate()
    steps: tuple[Step, ...] = (Send(frame(Opcode.TEXT, compress_variant(HELLO, "sync"), rsv=4)),
                               Echo(Opcode.TEXT, HELLO), *exchange.steps)
    play(connection, Exchange(exchange.name, None, exchange.title, steps))
