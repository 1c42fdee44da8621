"""Client cases: what a server sends, read by the client (Autobahn|Testsuite sections 1-5, 10).

Each table row is one case: the frames the suite sends, in the writes it
chooses, and what a conforming client does: echo, answer a ping, or fail
the connection (RFC 6455 §7.1.7). Autobahn's client mode runs the same
case ids, so each row names the one it corresponds to.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from wsspec.clientside.cases import client_case
from wsspec.clientside.connection import Chop
from wsspec.clientside.script import (
    Echo,
    Exchange,
    Fails,
    Pong,
    Send,
    Step,
    binary,
    cont,
    frame,
    ping,
    pong,
    run,
    text,
)
from wsspec.clientside.session import ClientUnderTest
from wsspec.protocol import Frame, Opcode

TEXT, BINARY = Opcode.TEXT, Opcode.BINARY

# -- 1.x: messages of every length form ------------------------------------------------

_SIZES = (0, 125, 126, 127, 128, 65535, 65536)


def _echo_rows(kind: str, opcode: int, byte: bytes, section: int) -> list[Exchange]:
    rows = [Exchange(f"{kind}-{size}", f"1.{section}.{n}", f"a {kind} message of {size} bytes",
                     (Send(frame(opcode, byte * size)), Echo(opcode, byte * size)))
            for n, size in enumerate(_SIZES, start=1)]
    payload = byte * 65536
    rows.append(Exchange(f"{kind}-65536-chopped", f"1.{section}.8",
                         f"a {kind} message of 65536 bytes in writes of 997 bytes",
                         (Send(frame(opcode, payload), chop=997), Echo(opcode, payload))))
    return rows


ECHO = [*_echo_rows("text", TEXT, b"*", 1), *_echo_rows("binary", BINARY, b"\xfe", 2)]


@client_case(
    "client.framing.echo.{exchange}",
    title="{exchange.title}, echoed",
    rfc="RFC6455 5.2 MUST",
    requirement="The client reads the payload length in its 7-bit, 16-bit and 64-bit forms "
                "and receives the message whole (it echoes it back).",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", ECHO, ids=str)
def test_echo(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


# -- 2.x: pings and pongs --------------------------------------------------------------

_PINGS = [f"payload-{n}".encode() for n in range(10)]

PINGS = [
    Exchange("empty", "2.1", "a ping without payload", (Send(ping()), Pong(b""))),
    Exchange("text", "2.2", "a ping with a text payload",
             (Send(ping("Hello, world!")), Pong(b"Hello, world!"))),
    Exchange("binary", "2.3", "a ping with a binary payload",
             (Send(ping(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")),
              Pong(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))),
    Exchange("125", "2.4", "a ping with a 125-byte payload",
             (Send(ping(b"\xfe" * 125)), Pong(b"\xfe" * 125))),
    Exchange("125-chopped", "2.6", "a ping with a 125-byte payload, one byte a write",
             (Send(ping(b"\xfe" * 125), chop=1), Pong(b"\xfe" * 125))),
    Exchange("pong-then-ping", "2.9", "an unsolicited pong, then a ping",
             (Send(pong("unsolicited"), ping("ping payload")), Pong(b"ping payload"))),
    Exchange("ten", "2.10", "ten pings in one write",
             (Send(*(ping(p) for p in _PINGS)), *(Pong(p) for p in _PINGS))),
    Exchange("ten-chopped", "2.11", "ten pings, one byte a write",
             (Send(*(ping(p) for p in _PINGS), chop=1), *(Pong(p) for p in _PINGS))),
]


@client_case(
    "client.ping.pong.{exchange}",
    title="{exchange.title}: a pong with its payload",
    rfc="RFC6455 5.5.2 MUST",
    requirement="Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response "
                "with the same Application data.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", PINGS, ids=str)
def test_ping(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


UNSOLICITED = [
    Exchange("empty", "2.7", "an unsolicited pong without payload", (Send(pong()),)),
    Exchange("payload", "2.8", "an unsolicited pong with a payload",
             (Send(pong("unsolicited pong payload")),)),
]


@client_case(
    "client.ping.unsolicited-pong.{exchange}",
    title="{exchange.title}: no answer, the connection goes on",
    rfc="RFC6455 5.5.3 MAY",
    requirement="A Pong frame MAY be sent unsolicited; a response to it is not expected (the "
                "client ignores it and still completes the close handshake).",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", UNSOLICITED, ids=str)
def test_unsolicited_pong(wsspec_client_under_test: ClientUnderTest,
                          exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


# -- control frames: too long, fragmented ------------------------------------------------

CONTROL = [
    Exchange("ping-126", "2.5", "a ping with a 126-byte payload",
             (Send(ping(b"\xfe" * 126)), Fails("a control frame longer than 125 bytes"))),
    Exchange("ping-fragmented", "5.1", "a ping in two fragments",
             (Send(ping("fragment1", fin=False), cont("fragment2")),
              Fails("a fragmented control frame"))),
    Exchange("pong-fragmented", "5.2", "a pong in two fragments",
             (Send(pong("fragment1", fin=False), cont("fragment2")),
              Fails("a fragmented control frame"))),
]


@client_case(
    "client.framing.control.{exchange}",
    title="{exchange.title}: the connection is failed",
    rfc="RFC6455 5.5 MUST",
    requirement="All control frames MUST have a payload length of 125 bytes or less and MUST "
                "NOT be fragmented.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", CONTROL, ids=str)
def test_control(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


# -- 3.x: RSV bits -----------------------------------------------------------------------


def _then_bad(bad: Frame, chop: Chop, why: str, name: str, autobahn: str,
              title: str) -> Exchange:
    """A good text message, then ``bad`` and a ping: an echo, then a failed connection."""
    return Exchange(name, autobahn, title, (
        Send(text("small"), bad, ping(), chop=chop), Echo(TEXT, b"small", or_fails=True),
        Fails(why)))


RSV = [
    Exchange("text-rsv1", "3.1", "a text frame with RSV = 1",
             (Send(text("Hello, world!", rsv=1)), Fails("RSV bits set"))),
    _then_bad(text("small", rsv=2), "one-write", "RSV bits set", "text-rsv2-then-ping",
              "3.2", "a text message, then one with RSV = 2, then a ping"),
    _then_bad(text("small", rsv=3), "per-frame", "RSV bits set", "text-rsv3-per-frame",
              "3.3", "the same with RSV = 3, a write per frame"),
    _then_bad(text("small", rsv=4), 1, "RSV bits set", "text-rsv4-chopped",
              "3.4", "the same with RSV = 4, one byte a write"),
    Exchange("binary-rsv5", "3.5", "a binary frame with RSV = 5",
             (Send(binary(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=5)), Fails("RSV bits"))),
    Exchange("ping-rsv6", "3.6", "a ping with RSV = 6",
             (Send(ping("Hello, world!", rsv=6)), Fails("RSV bits set"))),
    Exchange("close-rsv7", "3.7", "a close frame with RSV = 7",
             (Send(frame(Opcode.CLOSE, b"\x03\xe8", rsv=7)), Fails("RSV bits set"))),
]


@client_case(
    "client.rsv.{exchange}",
    title="{exchange.title}: the connection is failed",
    rfc="RFC6455 5.2 MUST",
    requirement="If a nonzero RSV value is received and no negotiated extension defines it, "
                "the receiving endpoint MUST Fail the WebSocket Connection.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", RSV, ids=str)
def test_rsv(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


# -- 4.x: reserved opcodes ---------------------------------------------------------------


def _opcode_rows(first: int, group: int) -> list[Exchange]:
    why = "a reserved opcode"
    ops = range(first, first + 5)
    return [
        Exchange(f"0x{ops[0]:x}", f"4.{group}.1", f"a frame with reserved opcode {ops[0]}",
                 (Send(frame(ops[0])), Fails(why))),
        Exchange(f"0x{ops[1]:x}-payload", f"4.{group}.2",
                 f"a frame with reserved opcode {ops[1]} and a payload",
                 (Send(frame(ops[1], b"reserved opcode payload")), Fails(why))),
        *(_then_bad(frame(op, b"reserved opcode payload" if n > 3 else b""), "one-write", why,
                    f"0x{op:x}-after-text", f"4.{group}.{n}",
                    f"a text message, then reserved opcode {op}, then a ping")
          for n, op in zip(range(3, 6), ops[2:], strict=True)),
    ]


OPCODES = [*_opcode_rows(3, 1), *_opcode_rows(11, 2)]


@client_case(
    "client.opcodes.reserved.{exchange}",
    title="{exchange.title}: the connection is failed",
    rfc="RFC6455 5.2 MUST",
    requirement="If an unknown opcode is received, the receiving endpoint MUST Fail the "
                "WebSocket Connection.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", OPCODES, ids=str)
def test_reserved_opcode(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


# -- 5.x: fragmentation ------------------------------------------------------------------

_CHOPS: tuple[tuple[Chop, int], ...] = (("one-write", 0), ("per-frame", 1), (1, 2))


def _chopped(name: str, first: int, title: str,
             make: Callable[[Chop], tuple[Step, ...]]) -> list[Exchange]:
    """The three writings of one exchange: one write, a write per frame, one byte a write;
    ``make(chop)`` gives its steps."""
    return [Exchange(f"{name}-{chop if isinstance(chop, str) else 'chopped'}",
                     f"5.{first + offset}", f"{title} ({chop} writes)"
                     if isinstance(chop, str) else f"{title} (one byte a write)",
                     make(chop))
            for chop, offset in _CHOPS]


_FIVE_FRAGMENT_WRITES: tuple[tuple[str, int, Chop], ...] = (
    ("one-write", 19, "one-write"), ("per-frame", 20, "per-frame"))

REASSEMBLY = [
    *_chopped("two-fragments", 3, "a text message in two fragments", lambda chop: (
        Send(text("fragment1", fin=False), cont("fragment2"), chop=chop),
        Echo(TEXT, b"fragment1fragment2"))),
    *_chopped("ping-between", 6, "a text message in two fragments, a ping between them",
              lambda chop: (
                  Send(text("fragment1", fin=False), ping("pongme 2!"), cont("fragment2"),
                       chop=chop),
                  Pong(b"pongme 2!"), Echo(TEXT, b"fragment1fragment2"))),
    *(Exchange(f"five-fragments-pings-{name}", f"5.{number}",
               f"a text message in five fragments, a ping after the first and the fourth "
               f"({name} writes)", (
                   Send(text("fragment1", fin=False), ping("pongme 1!"), cont("fragment2",
                        fin=False), cont("fragment3", fin=False), cont("fragment4", fin=False),
                        ping("pongme 2!"), cont("fragment5"), chop=chop),
                   Pong(b"pongme 1!"), Pong(b"pongme 2!"),
                   Echo(TEXT, b"fragment1fragment2fragment3fragment4fragment5")))
      for name, number, chop in _FIVE_FRAGMENT_WRITES),
]


@client_case(
    "client.fragmentation.reassembly.{exchange}",
    title="{exchange.title}, reassembled",
    rfc="RFC6455 5.4 MUST",
    requirement="An endpoint MUST be capable of handling control frames in the middle of a "
                "fragmented message, and reassembles the fragments in order.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", REASSEMBLY, ids=str)
def test_reassembly(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


_NO_START = "a continuation frame without a message to continue"

BAD_FRAGMENTS = [
    *_chopped("continuation-fin-first", 9, "a final continuation frame with no message "
              "started, then a text message", lambda chop: (
                  Send(cont("non-continuation payload"), text("Hello, world!"), chop=chop),
                  Fails(_NO_START))),
    *_chopped("continuation-first", 12, "a non-final continuation frame with no message "
              "started, then a text message", lambda chop: (
                  Send(cont("non-continuation payload", fin=False), text("Hello, world!"),
                       chop=chop), Fails(_NO_START))),
    Exchange("continuation-after-message", "5.15", "a message in two fragments, then a "
             "continuation frame after its end", (
                 Send(text("fragment1", fin=False), cont("fragment2"),
                      cont("fragment3", fin=False), text("fragment4")),
                 Echo(TEXT, b"fragment1fragment2", or_fails=True), Fails(_NO_START))),
    Exchange("continuation-then-message", "5.16", "a non-final continuation frame, then a "
             "fragmented message", (
                 Send(cont("fragment1", fin=False), text("fragment2", fin=False),
                      cont("fragment3")), Fails(_NO_START))),
    Exchange("final-continuation-then-message", "5.17", "a final continuation frame, then a "
             "fragmented message", (
                 Send(cont("fragment1"), text("fragment2", fin=False), cont("fragment3")),
                 Fails(_NO_START))),
    Exchange("text-inside-message", "5.18", "a text frame where a continuation is due", (
        Send(text("fragment1", fin=False), text("fragment2")),
        Fails("a new data message inside a fragmented one"))),
]


@client_case(
    "client.fragmentation.order.{exchange}",
    title="{exchange.title}: the connection is failed",
    rfc="RFC6455 5.4 MUST",
    requirement="A fragmented message is an initial frame with FIN clear, continuation frames, "
                "and a final one with FIN set; frames out of that order are a protocol error.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", BAD_FRAGMENTS, ids=str)
def test_fragment_order(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


# -- 10.1.1: a message auto-fragmented by the sender ---------------------------------------

_BIG = b"*" * 65536

AUTO_FRAGMENTED = [
    Exchange("text-65536-in-1300-byte-frames", "10.1.1",
             "a text message of 65536 bytes in frames of 1300 bytes", (
                 Send(*(text(_BIG[i:i + 1300], fin=i + 1300 >= len(_BIG)) if i == 0
                        else cont(_BIG[i:i + 1300], fin=i + 1300 >= len(_BIG))
                        for i in range(0, len(_BIG), 1300))),
                 Echo(TEXT, _BIG))),
]


@client_case(
    "client.misc.auto-fragmented.{exchange}",
    title="{exchange.title}, echoed",
    rfc="RFC6455 5.4 MUST",
    requirement="The client reassembles a message the server fragmented, whatever the "
                "fragment size.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", AUTO_FRAGMENTED, ids=str)
def test_auto_fragmented(wsspec_client_under_test: ClientUnderTest,
                         exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)
