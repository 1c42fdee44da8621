"""Client cases: UTF-8 in the text messages a server sends (RFC 6455 §8.1; Autobahn 6.x).

Valid text, however fragmented, is echoed; invalid text fails the connection
with 1007, and should fail it as soon as the invalid byte arrives. The stress
table of Autobahn 6.5-6.23 is the server catalogue's own
(:mod:`wsspec.conformance._utf8_sequences`), played from the server's side.
"""

from __future__ import annotations

import itertools

import pytest
from wsspec.clientside.cases import client_case
from wsspec.clientside.script import Echo, Exchange, Fails, FailsFast, Send, cont, run, text
from wsspec.clientside.session import ClientUnderTest
from wsspec.conformance._utf8_sequences import KOSME, SEQUENCES
from wsspec.protocol import Frame, Opcode

TEXT = Opcode.TEXT
HELLO = "Hello-µ@ßöäüàá-UTF-8!!".encode()
_INVALID = frozenset({1007})


def _fragments(payload: bytes, cuts: list[int]) -> tuple[Frame, ...]:
    """``payload`` as one text message cut at ``cuts``."""
    bounds = [0, *cuts, len(payload)]
    parts = [payload[a:b] for a, b in itertools.pairwise(bounds)]
    return tuple((text if n == 0 else cont)(part, fin=n == len(parts) - 1)
                 for n, part in enumerate(parts))


def _bytewise(payload: bytes) -> list[int]:
    return list(range(1, len(payload)))


VALID = [
    Exchange("empty", "6.1.1", "an empty text message", (Send(text()), Echo(TEXT, b""))),
    Exchange("empty-fragments", "6.1.2", "an empty text message in three empty fragments",
             (Send(text(fin=False), cont(fin=False), cont()), Echo(TEXT, b""))),
    Exchange("empty-first-and-last", "6.1.3", "a text message with empty first and last "
             "fragments", (Send(text(fin=False), cont("middle", fin=False), cont()),
                           Echo(TEXT, b"middle"))),
    Exchange("one-frame", "6.2.1", "valid UTF-8 text in one frame",
             (Send(text(HELLO)), Echo(TEXT, HELLO))),
    Exchange("cut-between-characters", "6.2.2", "valid UTF-8 text in two fragments cut "
             "between characters", (Send(*_fragments(HELLO, [len("Hello-µ@ßöä".encode())])),
                                    Echo(TEXT, HELLO))),
    Exchange("bytewise", "6.2.3", "valid UTF-8 text, one byte a fragment",
             (Send(*_fragments(HELLO, _bytewise(HELLO))), Echo(TEXT, HELLO))),
    Exchange("kosme-bytewise", "6.2.4", "κόσμε, one byte a fragment",
             (Send(*_fragments(KOSME, _bytewise(KOSME))), Echo(TEXT, KOSME))),
]


@client_case(
    "client.utf8.valid-fragmented.{exchange}",
    title="{exchange.title}, echoed",
    rfc="RFC6455 5.6 MUST",
    requirement="A text message is valid when its whole payload is UTF-8, whatever the "
                "fragments; fragments may end inside a character.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", VALID, ids=str)
def test_valid_text(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


#: valid text, an encoded surrogate (invalid at its second byte), valid text.
SURROGATE_INSIDE = KOSME + b"\xed\xa0\x80" + b"edited"
#: valid text, U+110000 in the 4-byte form (invalid at its second byte), valid text.
BEYOND_UNICODE_INSIDE = KOSME + b"\xf4\x90\x80\x80" + b"edited"
_END = len(KOSME)


def _fail_fast_frames(name: str, autobahn: str, cuts: tuple[int, int]) -> Exchange:
    first, second = BEYOND_UNICODE_INSIDE[:cuts[0]], BEYOND_UNICODE_INSIDE[cuts[0]:cuts[1]]
    rest = BEYOND_UNICODE_INSIDE[cuts[1]:]
    return Exchange(name, autobahn, "invalid text in three fragments, the rest withheld", (
        Send(text(first, fin=False), cont(second, fin=False)),
        FailsFast("invalid UTF-8 in a fragment", (cont(rest),), _INVALID)))


def _fail_fast_chops(name: str, autobahn: str, cut: int) -> Exchange:
    wire = text(BEYOND_UNICODE_INSIDE).encode()
    end = len(wire) - len(BEYOND_UNICODE_INSIDE) + cut
    return Exchange(name, autobahn, "invalid text in one frame, its end withheld", (
        Send(wire[:end]), FailsFast("invalid UTF-8 inside a frame", (wire[end:],), _INVALID)))


INVALID = [
    Exchange("one-frame", "6.3.1", "text with an encoded surrogate in one frame",
             (Send(text(SURROGATE_INSIDE)), Fails("invalid UTF-8", _INVALID))),
    Exchange("bytewise", "6.3.2", "text with an encoded surrogate, one byte a fragment",
             (Send(*_fragments(SURROGATE_INSIDE, _bytewise(SURROGATE_INSIDE))),
              Fails("invalid UTF-8", _INVALID))),
    _fail_fast_frames("fail-fast-frames", "6.4.1", (_END, _END + 4)),
    _fail_fast_frames("fail-fast-frames-cut-at-invalid-byte", "6.4.2", (_END + 1, _END + 2)),
    _fail_fast_chops("fail-fast-chops", "6.4.3", _END + 4),
    _fail_fast_chops("fail-fast-chops-cut-at-invalid-byte", "6.4.4", _END + 2),
]


@client_case(
    "client.utf8.invalid.{exchange}",
    title="{exchange.title}: the connection is failed",
    rfc="RFC6455 8.1 MUST",
    requirement="An endpoint that finds a text message is not valid UTF-8 MUST Fail the "
                "WebSocket Connection (1007), and should as soon as the invalid byte arrives.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", INVALID, ids=str)
def test_invalid_text(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


STRESS = [
    Exchange(sequence.id, sequence.autobahn, f"{sequence.kind}: {sequence.hex}", (
        Send(text(sequence.payload)),
        Echo(TEXT, sequence.payload) if sequence.valid
        else Fails("invalid UTF-8", _INVALID)))
    for sequence in SEQUENCES
]


@client_case(
    "client.utf8.sequence.{exchange}",
    title="{exchange.title}",
    rfc="RFC6455 8.1 MUST",
    requirement="The client echoes text that is well-formed UTF-8 (RFC 3629) and fails the "
                "connection on any other, byte for byte as the decoder stress test says.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", STRESS, ids=str)
def test_utf8_sequence(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)
