"""A small language for client cases: what the suite sends, and what the client must do.

A client case that plays the server's side of Autobahn|Testsuite's sections
1-7 is a :class:`Exchange`: a name, the Autobahn case it corresponds to, and
a script of steps. :func:`play` runs the script on an open connection;
unless the script ends the connection itself (:class:`Fails`,
:class:`Closes`), the suite then closes it with the close handshake, which
the client must complete too. The tables of cases are data; no case repeats
another's code.

Frames are built with the sans-IO core, valid or not::

    Exchange("text-rsv1", "3.1", "a text frame with RSV = 1",
             (Send(text(b"Hello", rsv=1)), Fails("RSV bits set"))),
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from wsspec.driver.base import StreamEnd
from wsspec.protocol import Frame, Opcode, encode_close_payload, parse_close_payload
from wsspec.verdicts import Verdict, unsupported

from .connection import INVALID_DATA, PROTOCOL_ERROR, Chop, ClientConnection
from .session import ClientUnderTest

__all__ = [
    "Closes", "Echo", "EitherCloses", "Exchange", "Fails", "FailsFast", "Pong", "Send", "Step",
    "binary", "close", "cont", "frame", "ping", "play", "pong", "run", "text",
]

def frame(opcode: int, payload: bytes | str = b"", *, fin: bool = True, rsv: int = 0,
          mask_key: bytes | None = None) -> Frame:
    """Any frame a server could send, valid or not: ``rsv`` is the 3-bit RSV value (4 is
    RSV1), ``mask_key`` masks it (which a server must not)."""
    data = payload.encode() if isinstance(payload, str) else payload
    return Frame(opcode, data, fin, bool(rsv & 4), bool(rsv & 2), bool(rsv & 1),
                 mask_key=mask_key)


def text(payload: bytes | str = b"", *, fin: bool = True, rsv: int = 0,
         mask_key: bytes | None = None) -> Frame:
    return frame(Opcode.TEXT, payload, fin=fin, rsv=rsv, mask_key=mask_key)


def binary(payload: bytes = b"", *, fin: bool = True, rsv: int = 0) -> Frame:
    return frame(Opcode.BINARY, payload, fin=fin, rsv=rsv)


def cont(payload: bytes | str = b"", *, fin: bool = True) -> Frame:
    return frame(Opcode.CONTINUATION, payload, fin=fin)


def ping(payload: bytes | str = b"", *, fin: bool = True, rsv: int = 0) -> Frame:
    return frame(Opcode.PING, payload, fin=fin, rsv=rsv)


def pong(payload: bytes | str = b"", *, fin: bool = True) -> Frame:
    return frame(Opcode.PONG, payload, fin=fin)


def close(code: int | None = 1000, reason: bytes | str = b"") -> Frame:
    return frame(Opcode.CLOSE, encode_close_payload(code, reason))


@dataclass(frozen=True)
class Send:
    """The suite sends these frames (or raw bytes: a frame cut short), written as ``chop``
    says."""

    items: tuple[Frame | bytes, ...]
    chop: Chop = "one-write"

    def __init__(self, *items: Frame | bytes, chop: Chop = "one-write") -> None:
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "chop", chop)


@dataclass(frozen=True)
class Echo:
    """The client echoes one message (the profile must declare ``echo``). With
    ``or_fails``, the message came just before an offence in the same write: a client
    that fails the connection before echoing it is ``non-strict`` (its reader may meet the
    offence before its application has the message), as in Autobahn."""

    opcode: int
    payload: bytes
    or_fails: bool = False


@dataclass(frozen=True)
class Pong:
    """The client answers a ping with this payload."""

    payload: bytes


@dataclass(frozen=True)
class Fails:
    """The client fails the connection, saying why with one of ``codes``."""

    why: str
    codes: frozenset[int] = PROTOCOL_ERROR


@dataclass(frozen=True)
class FailsFast:
    """The client fails the connection before the rest of the message arrives; a client
    that waits for the rest is ``non-strict`` if it fails once ``rest`` is sent."""

    why: str
    rest: tuple[Frame | bytes, ...]
    codes: frozenset[int] = INVALID_DATA


@dataclass(frozen=True)
class Closes:
    """The client answers the suite's close frame (sent just before) with its own."""

    code: int | None


@dataclass(frozen=True)
class EitherCloses:
    """No right answer (``informational``): the client answers the close or fails the
    connection; either is recorded."""

    code: int


Step = Send | Echo | Pong | Fails | FailsFast | Closes | EitherCloses


@dataclass(frozen=True)
class Exchange:
    """One client case of a table: the tail of its id, its Autobahn case, a title, and
    its script."""

    name: str
    autobahn: str | None
    title: str
    steps: tuple[Step, ...]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_echo(self) -> bool:
        return any(isinstance(step, Echo) for step in self.steps)


def play(connection: ClientConnection, exchange: Exchange) -> None:
    """Run ``exchange`` on an open connection (see the module docstring)."""
    for step in exchange.steps:
        match step:
            case Send(items=items, chop=chop):
                connection.send(items, chop)
            case Echo(opcode=opcode, payload=payload, or_fails=True):
                _echo_or_fails(connection, opcode, payload)
            case Echo(opcode=opcode, payload=payload):
                connection.expect_echo(opcode, payload)
            case Pong(payload=payload):
                connection.expect_pong(payload)
            case Fails(why=why, codes=codes):
                connection.expect_failure(codes, why=why)
                return
            case FailsFast(why=why, rest=rest, codes=codes):
                _fails_fast(connection, why, rest, codes)
                return
            case Closes(code=code):
                connection.close(code)
                return
            case EitherCloses(code=code):
                _either(connection, code)
                return
    connection.close()


def _echo_or_fails(connection: ClientConnection, opcode: int, payload: bytes) -> None:
    event = connection.next_event(time.monotonic() + connection.timeout)
    if event is not None:
        connection.push_back(event)
    failing = isinstance(event, StreamEnd) or (
        isinstance(event, Frame) and event.opcode == Opcode.CLOSE)
    if failing:
        connection.record.downgrade(Verdict.NON_STRICT, "the client failed the connection "
                                    "without echoing the valid message sent before the offence")
    else:
        connection.expect_echo(opcode, payload)


def _fails_fast(connection: ClientConnection, why: str, rest: tuple[Frame | bytes, ...],
                codes: frozenset[int]) -> None:
    event = connection.next_event(time.monotonic() + connection.timeout)
    if event is None:
        connection.record.downgrade(Verdict.NON_STRICT, f"the client did not fail the "
                                    f"connection before the rest of the message ({why})")
        connection.send(rest)
    else:
        connection.push_back(event)
    connection.expect_failure(codes, why=why)


def _either(connection: ClientConnection, code: int) -> None:
    event = connection.next_event(time.monotonic() + connection.timeout)
    if event is None:
        raise connection.fail("a close frame, or the connection failed", "nothing")
    connection.push_back(event)
    if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
        info = parse_close_payload(event.payload)
        if info.code == code:
            connection.record.downgrade(Verdict.INFORMATIONAL,
                                        f"the client accepted close code {code}")
            connection.close(code)
            return
    connection.record.downgrade(Verdict.INFORMATIONAL, f"the client refused close code {code}")
    connection.expect_failure(frozenset({1002, 1007}), why=f"close code {code}")


def run(client: ClientUnderTest, exchange: Exchange) -> None:
    """One client case of a table: the client's next connection, accepted, then
    ``exchange`` played on it."""
    if exchange.needs_echo and not client.profile.echo:
        unsupported("the case needs a client that echoes (the client profile says echo = false)")
    play(client.open(), exchange)
