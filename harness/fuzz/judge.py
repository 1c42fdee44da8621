"""The independent judge: grading a fuzz transcript with wsproto, without the oracle.

Theory of operation
-------------------
The oracle (:mod:`wsspec.fuzz.oracle`) predicts a server's reactions with the
suite's own sans-IO core, which the reference server runs too: a bug in the
core would make both agree and every fuzz case pass. This module judges the
same conversations with code that shares nothing with that core: wsproto's
server-side :class:`wsproto.connection.Connection` plays the server, a UTF-8
table of its own (Unicode Table 3-7) checks text, and the grading rules are
written out here, one by one, from RFC 6455. It reads a
:class:`~wsspec.fuzz.transcript.Transcript` (the client's frames as sent on
the wire, the server's events as the client read them) and says whether the
server's answers were acceptable, and how: ``pass``, ``non-strict``,
``informational`` or ``fail``, or that the transcript stops before it can
tell (:attr:`Judgement.grade` None).

A *model* is what one acceptable server does with the frames: the messages
it echoes in order, the pings it answers, and how it ends (stays open,
answers the client's close at frame i, or fails the connection at frame i
with some close codes). The judge builds every model the RFC allows, matches
the server's events against each, and keeps the best grade. The choices where
RFC 6455 leaves a server room, and the grade each gets, are encoded here
explicitly (the catalogue grades the same answers the same way):

* a length field longer than needed (5.2 binds the sender only): refusing the
  frame with 1002 (wsproto's choice) or processing it both pass; the models
  process the first k such frames and refuse the next, for every k;
* invalid UTF-8 in text (8.1): failing with 1007 at the frame whose bytes
  can no longer begin valid UTF-8 passes; failing only at the end of the
  message is non-strict (Autobahn's fail-fast grading), judged on the whole
  message by Python's decoder;
* a client's close with a code IANA registered after RFC 6455 (1012-1014,
  in the 1000-2999 range 7.4.2 reserves; wsproto 1.3 does not know 1014):
  answering it passes, failing with 1002 is informational;
* a close code above 4999 (7.4.2 defines no range there) in a close frame
  otherwise valid: failing with 1002 passes, answering with 1000 is
  informational;
* a close reason that is not UTF-8: failing with 1007 passes, with 1002 is
  non-strict (7.4.1 gives 1007 to data inconsistent with its type);
* data that does not inflate (RFC 7692 6.2 names no code): 1002 or 1007;
  inflating is the judge's own (:class:`_Inflate`, on zlib), since wsproto's
  mishandles two forms RFC 7692 allows;
* the answer to a close (5.5.1): the client's code or 1000 passes, another
  code a close frame may carry (wsproto's client-side check of a server's
  close, plus 1014) is non-strict, any other fails;
* a failure without a close frame, by a TCP close or reset, is non-strict
  (7.1.7 SHOULD send one), except on an unmasked frame, where RFC 6455 5.1
  only closes the connection (the close frame is MAY): it passes; no close
  frame and no TCP close fails;
* a failure with a close frame carrying another code a server may send is
  non-strict (7.1.7: the close frame and an appropriate code are SHOULD),
  unless the frame failed at is the client's close: answering that is
  processing it;
* reactions left unsent when the connection ends: echoes before an answered
  close are informational (5.5.1 lets the close go first), anything else
  non-strict;
* a pong may answer only the latest of several pings (5.5.3); an
  unsolicited pong is allowed; a server's pings are heartbeats, ignored.

What may never happen, in any model: a message the model does not echo (or
echoed out of order or changed), an event before the client frame that
causes it was sent (``Event.after``), a pong for a ping sent after the frame
that ended the connection (7.1.7: an endpoint failing the connection MUST NOT
go on processing data; 1.4 and 5.5.1: after a close, further data is
discarded), anything but the TCP close after the server's close frame (5.5.1;
the suite's DSL waits for the TCP close there), bytes the client's parser
refuses.
"""

from __future__ import annotations

import functools
import itertools
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.extensions import Extension
from wsproto.frame_protocol import CloseReason, FrameDecoder, FrameProtocol, Opcode, RsvBits
from wsspec.protocol.deflate import DeflateParams
from wsspec.verdicts import Verdict

from .transcript import Event, Transcript

__all__ = ["Judgement", "judge"]

Grade = Literal["pass", "non-strict", "informational", "fail"]

#: The judge's cap on a message when the transcript names none (as the suite's own).
DEFAULT_CAP = 64 * 2**20

#: Close codes IANA registered after RFC 6455, in the range its 7.4.2 reserves.
REGISTERED_LATER = frozenset({1012, 1013, 1014})

_TEXT, _BINARY, _CONTINUATION, _CLOSE, _PING = 0x1, 0x2, 0x0, 0x8, 0x9


def _worse(one: Grade, other: Grade) -> Grade:
    return one if Verdict(one).worse(Verdict(other)) is Verdict(one) else other


@dataclass(frozen=True)
class Judgement:
    """The judge's verdict on one transcript: ``grade`` (None when the transcript
    stops before the judge can tell) and ``reason`` in words."""

    grade: Grade | None
    reason: str


# -- the client's frames, read with the judge's own minimal reader ---------------


@dataclass(frozen=True)
class _Wire:
    """One client frame as sent: its first byte, mask key, unmasked payload, and
    the size of its extended length field."""

    first: int
    key: bytes | None
    payload: bytes
    #: the length field's extra bytes as sent: 0, 2 or 8
    extended: int

    @property
    def non_minimal(self) -> bool:
        size = len(self.payload)
        return (self.extended == 2 and size <= 125) or (self.extended == 8 and size <= 0xFFFF)

    @property
    def opcode(self) -> int:
        return self.first & 0x0F

    def encode(self, *, first: int | None = None, payload: bytes | None = None,
               extended: int = 0) -> bytes:
        """The frame re-encoded with the changes given: the minimal length field, or
        with ``extended`` (2 or 8) a 16- or 64-bit one."""
        data = self.payload if payload is None else payload
        size = len(data)
        mask = 0x80 if self.key is not None else 0
        if extended == 8 or size > 0xFFFF:
            head = bytes([mask | 127]) + size.to_bytes(8, "big")
        elif extended == 2 or size > 125:
            head = bytes([mask | 126]) + size.to_bytes(2, "big")
        else:
            head = bytes([mask | size])
        body = data if self.key is None else _xor(data, self.key)
        return bytes([self.first if first is None else first]) + head + (self.key or b"") + body


def _xor(data: bytes, key: bytes) -> bytes:
    return bytes(byte ^ key[index % 4] for index, byte in enumerate(data))


def _read(wire: bytes) -> _Wire:
    length = wire[1] & 0x7F
    offset = 2
    if length == 126:
        length, offset = int.from_bytes(wire[2:4], "big"), 4
    elif length == 127:
        length, offset = int.from_bytes(wire[2:10], "big"), 10
    key = wire[offset:offset + 4] if wire[1] & 0x80 else None
    start = offset + (4 if key is not None else 0)
    body = wire[start:start + length]
    return _Wire(wire[0], key, _xor(body, key) if key is not None else body, offset - 2)


# -- UTF-8, as Unicode Table 3-7 (well-formed byte sequences) gives it -----------

#: For each lead byte: the range of the second byte, and how many bytes follow.
_LEADS: dict[range, tuple[range, int]] = {
    range(0xC2, 0xE0): (range(0x80, 0xC0), 1),
    range(0xE0, 0xE1): (range(0xA0, 0xC0), 2),
    range(0xE1, 0xED): (range(0x80, 0xC0), 2),
    range(0xED, 0xEE): (range(0x80, 0xA0), 2),
    range(0xEE, 0xF0): (range(0x80, 0xC0), 2),
    range(0xF0, 0xF1): (range(0x90, 0xC0), 3),
    range(0xF1, 0xF4): (range(0x80, 0xC0), 3),
    range(0xF4, 0xF5): (range(0x80, 0x90), 3),
}


class _Utf8:
    """A fail-fast UTF-8 check: :meth:`feed` is False from the first byte that
    no valid continuation could follow."""

    def __init__(self) -> None:
        self.need = 0  # continuation bytes still due
        self.second: range | None = None  # the range of the next byte, if narrowed

    def feed(self, data: bytes) -> bool:
        for byte in data:
            if self.need:
                allowed = self.second or range(0x80, 0xC0)
                if byte not in allowed:
                    return False
                self.need -= 1
                self.second = None
                continue
            if byte < 0x80:
                continue
            lead = next((spec for lead, spec in _LEADS.items() if byte in lead), None)
            if lead is None:
                return False
            self.second, self.need = lead
        return True

    @property
    def complete(self) -> bool:
        return self.need == 0


# -- the models -----------------------------------------------------------------


@dataclass(frozen=True)
class _Reaction:
    kind: str  # "echo" | "pong"
    index: int
    data: bytes
    opcode: int = 0


@dataclass(frozen=True)
class _Model:
    """What one acceptable server does: reactions, then how it ends.

    ``end`` is "open", "close" (the client's close at ``index`` answered) or
    "fail"; ``codes`` maps the close codes it may end with to their grade and
    the reason (None: a close frame without a code); ``grade`` and ``notes``
    are those of the choices that lead to this model.
    """

    reactions: tuple[_Reaction, ...]
    end: str
    index: int | None = None
    codes: dict[int | None, tuple[Grade, str]] = field(default_factory=dict)
    grade: Grade = "pass"
    notes: tuple[str, ...] = ()
    cause: str = ""
    #: the frame the connection fails at is the client's close frame
    at_close: bool = False
    #: the rule only closes the connection, the close frame being optional (RFC
    #: 6455 5.1: an unmasked frame closes it; the server MAY send 1002 first)
    close_frame_optional: bool = False


class _Inflate(Extension):
    """permessage-deflate as the receiving server applies it (RFC 7692 7.2.2), on
    wsproto's extension interface.

    wsproto's own ``PerMessageDeflate`` (1.3) gets two things wrong here: a
    control frame between the fragments of a compressed message drops the
    message's inflate state, and a message following one that ended with a
    BFINAL block (7.2.3.4 lets a sender end it so) no longer inflates. This
    one keeps the state across control frames, and after a BFINAL block goes
    on with a new stream that has what came before as its dictionary (the
    window, unless the client agreed to no context takeover).
    """

    name = "permessage-deflate"

    def __init__(self, params: DeflateParams) -> None:
        self.reset = params.client_no_context_takeover
        self._stream: zlib._Decompress | None = None
        self._window = b""
        self._compressed = False  # the message in progress
        self._control = False  # the frame in progress

    def enabled(self) -> bool:
        return True

    def offer(self) -> bool | str:
        return True  # agreed already: the judge never negotiates

    def frame_inbound_header(self, proto: FrameDecoder | FrameProtocol, opcode: Opcode,
                             rsv: RsvBits, payload_length: int) -> CloseReason | RsvBits:
        self._control = opcode.iscontrol()
        if rsv.rsv1 and (self._control or opcode is Opcode.CONTINUATION):
            return CloseReason.PROTOCOL_ERROR  # RFC 7692 6: RSV1 on the first frame only
        if opcode in (Opcode.TEXT, Opcode.BINARY):
            self._compressed = rsv.rsv1
        return RsvBits(True, False, False)

    def frame_inbound_payload_data(self, proto: FrameDecoder | FrameProtocol,
                                   data: bytes) -> bytes | CloseReason:
        if self._control or not self._compressed:
            return data
        return self._inflate(data)

    def frame_inbound_complete(self, proto: FrameDecoder | FrameProtocol,
                               fin: bool) -> bytes | CloseReason | None:
        if self._control or not self._compressed or not fin:
            return None
        tail = self._inflate(b"\x00\x00\xff\xff")  # RFC 7692 7.2.2
        self._compressed = False
        if self.reset:
            self._stream, self._window = None, b""
        return tail

    def _inflate(self, data: bytes) -> bytes | CloseReason:
        out = b""
        try:
            while data:
                if self._stream is None:
                    # The widest window decodes whatever window the client used.
                    self._stream = zlib.decompressobj(-15, zdict=self._window) \
                        if self._window else zlib.decompressobj(-15)
                out += self._stream.decompress(data)
                data = b""
                if self._stream.eof:  # a BFINAL block: a new stream may follow
                    data, self._stream = self._stream.unused_data, None
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        self._window = (self._window + out)[-32768:]
        return out


def _deflate(params: DeflateParams | None) -> list[Extension]:
    return [] if params is None else [_Inflate(params)]


def _server(deflate: DeflateParams | None) -> Connection:
    return Connection(ConnectionType.SERVER, extensions=_deflate(deflate))


def _close_payload(code: int, reason: bytes) -> bytes:
    return code.to_bytes(2, "big") + reason


@functools.cache
def _server_may_send(code: int) -> bool:
    """Whether a close frame may carry ``code`` (RFC 6455 7.4): as wsproto's client
    checks a server's close, with the codes IANA registered later (1014)."""
    if code in REGISTERED_LATER:
        return True
    client = Connection(ConnectionType.CLIENT)
    client.receive_data(bytes([0x88, 2]) + code.to_bytes(2, "big"))
    list(client.events())
    return client.state is ConnectionState.REMOTE_CLOSING


def _close_model(index: int, code: int | None, reactions: list[_Reaction],
                 grade: Grade, notes: tuple[str, ...]) -> _Model:
    codes: dict[int | None, tuple[Grade, str]] = {code: ("pass", ""), 1000: ("pass", "")}
    if code in REGISTERED_LATER:
        codes[1002] = ("informational", f"close code {code} answered by failing with 1002: "
                       "IANA registered it after RFC 6455, whose 7.4.2 reserves 1000-2999")
    return _Model(tuple(reactions), "close", index, codes, grade, notes, "the client's close")


def _fail_model(index: int, wire: _Wire, code: int, cause: str, reactions: list[_Reaction],
                grade: Grade, notes: tuple[str, ...], deflate: DeflateParams | None) -> _Model:
    codes: dict[int | None, tuple[Grade, str]] = {code: ("pass", "")}
    if wire.opcode == _CLOSE and len(wire.payload) >= 2:
        sent = int.from_bytes(wire.payload[:2], "big")
        if sent in REGISTERED_LATER:
            codes.setdefault(1002, ("informational", f"close code {sent} answered by failing "
                                    "with 1002: IANA registered it after RFC 6455"))
        elif cause == "close reason":
            codes.setdefault(1002, ("non-strict", "a close reason that is not UTF-8 failed with "
                                    "1002; 1007 is the code for data that is not UTF-8 "
                                    "(RFC6455 7.4.1)"))
        if sent > 4999 and _accepted(wire.encode(payload=_close_payload(
                4999, wire.payload[2:])), deflate):
            codes.setdefault(1000, ("informational", f"close code {sent} answered with 1000: "
                                    "RFC 6455 7.4.2 defines no range above 4999"))
    if cause == "inflate":
        codes.setdefault(1002, ("pass", ""))
    return _Model(tuple(reactions), "fail", index, codes, grade, notes, cause,
                  at_close=wire.opcode == _CLOSE, close_frame_optional=wire.key is None)


def _accepted(wire: bytes, deflate: DeflateParams | None) -> bool:
    """Whether wsproto takes this close frame, on its own, as a valid close."""
    server = _server(deflate)
    server.receive_data(wire)
    list(server.events())
    return server.state is ConnectionState.REMOTE_CLOSING


def _fed(wire: _Wire, index: int, processed: frozenset[int]) -> bytes:
    """The bytes wsproto is given for one client frame, with the judge's choices applied.

    A text frame goes in as binary: UTF-8 is the judge's to check. A longer
    length field than needed stays (wsproto refuses it) unless the model
    processes that frame. A close code IANA registered after RFC 6455 that
    wsproto does not know goes in as 1013, a code it knows of the same kind.
    """
    first = wire.first
    if wire.opcode == _TEXT:
        first = (first & 0xF0) | _BINARY
    payload = wire.payload
    if wire.opcode == _CLOSE and len(payload) >= 2:
        code = int.from_bytes(payload[:2], "big")
        if code in REGISTERED_LATER and code not in CloseReason._value2member_map_:
            payload = _close_payload(1013, payload[2:])
    longer = wire.non_minimal and index not in processed
    return wire.encode(first=first, payload=payload, extended=wire.extended if longer else 0)


def _model(wires: Sequence[_Wire], *, echo: bool, cap: int, deflate: DeflateParams | None,
           processed: frozenset[int], utf8_at_end: bool) -> _Model:
    grade: Grade = "non-strict" if utf8_at_end else "pass"
    notes: tuple[str, ...] = ("invalid UTF-8 noticed only at the end of its message "
                              "(RFC6455 8.1 prefers failing at once)",) if utf8_at_end else ()
    if processed:
        notes += (f"{len(processed)} longer than needed length field(s) accepted "
                  "(RFC6455 5.2 binds only the sender)",)
    server = _server(deflate)
    reactions: list[_Reaction] = []
    text = False  # whether the message in progress is text
    validator = _Utf8()
    message = bytearray()
    for index, wire in enumerate(wires):
        if wire.opcode in (_TEXT, _BINARY):
            text = wire.opcode == _TEXT
        server.receive_data(_fed(wire, index, processed))
        for event in server.events():
            if isinstance(event, CloseConnection):
                if server.state is ConnectionState.REMOTE_CLOSING:
                    # The code as sent: wsproto may have been given another (see _fed).
                    code = int.from_bytes(wire.payload[:2], "big") if wire.payload else None
                    return _close_model(index, code, reactions, grade, notes)
                reason = event.reason or ""
                cause = ("inflate" if reason == "error in extension"
                         and event.code == CloseReason.INVALID_FRAME_PAYLOAD_DATA else
                         "close reason" if reason.startswith("Error decoding CLOSE")
                         else reason)
                return _fail_model(index, wire, int(event.code), cause, reactions, grade,
                                   notes, deflate)
            if isinstance(event, Ping):
                reactions.append(_Reaction("pong", index, bytes(event.payload)))
            elif isinstance(event, (BytesMessage, TextMessage)):
                data = event.data.encode() if isinstance(event.data, str) else bytes(event.data)
                message += data
                if len(message) > cap:
                    return _fail_model(index, wire, 1009, "message too big", reactions, grade,
                                       notes, deflate)
                if text and not utf8_at_end and not validator.feed(data):
                    return _fail_model(index, wire, 1007, "invalid UTF-8", reactions, grade,
                                       notes, deflate)
                if not event.message_finished:
                    continue
                whole = bytes(message)
                message.clear()
                if text and not (validator.complete if not utf8_at_end else _decodes(whole)):
                    return _fail_model(index, wire, 1007, "invalid UTF-8", reactions, grade,
                                       notes, deflate)
                validator = _Utf8()
                if echo:
                    reactions.append(_Reaction("echo", index, whole, _TEXT if text else _BINARY))
    return _Model(tuple(reactions), "open", None, {}, grade, notes)


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _models(transcript: Transcript) -> Iterator[_Model]:
    wires = [_read(wire) for wire in transcript.sent]
    longer = [index for index, wire in enumerate(wires) if wire.non_minimal]
    cap = transcript.max_message_size or DEFAULT_CAP
    for utf8_at_end, count in itertools.product((False, True), range(len(longer) + 1)):
        yield _model(wires, echo=transcript.echo, cap=cap, deflate=transcript.deflate,
                     processed=frozenset(longer[:count]), utf8_at_end=utf8_at_end)


# -- matching the server's events against a model --------------------------------


class _Mismatch(Exception):
    pass


def _unanswered(model: _Model, echoes: Sequence[_Reaction],
                pongs: Sequence[_Reaction]) -> tuple[Grade, str]:
    if not echoes and not pongs:
        return "pass", ""
    if model.end == "close" and not pongs:
        return "informational", "the close was answered before earlier messages were echoed " \
                                "(RFC6455 5.5.1)"
    return "non-strict", "the connection ended before earlier frames were answered"


def _end_grade(model: _Model, event: Event) -> tuple[Grade, str]:
    """How the server ended (a close frame, a TCP close or reset), graded for ``model``."""
    if event.kind == "close":
        if event.code in model.codes:
            return model.codes[event.code]
        if model.end == "close" and (event.code is None or _server_may_send(event.code)):
            return "non-strict", "the close was answered with another code than the client's " \
                                 "(RFC6455 5.5.1: it is usually echoed)"
        if model.end == "fail" and not model.at_close and (
                event.code is None or _server_may_send(event.code)):
            return "non-strict", "the connection was failed with another code than the one " \
                                 "for its cause (RFC6455 7.1.7 SHOULD send an appropriate one)"
        raise _Mismatch(f"{event.describe()}: the model ends with "
                        + " or ".join(str(c) for c in model.codes) + f" ({model.cause})")
    if model.end == "fail" and model.close_frame_optional:
        return "pass", ""
    if model.end == "fail":
        return "non-strict", "the connection was failed without a close frame (RFC6455 7.1.7)"
    raise _Mismatch(f"{event.describe()} where the client's close must be answered "
                    "(RFC6455 5.5.1)")


def _pings_after(wires: Sequence[_Wire], index: int) -> list[tuple[int, bytes]]:
    return [(i, w.payload) for i, w in enumerate(wires) if i > index and w.opcode == _PING]


def _match(model: _Model, transcript: Transcript, wires: Sequence[_Wire]) -> Judgement:
    echoes = deque(r for r in model.reactions if r.kind == "echo")
    pongs = [r for r in model.reactions if r.kind == "pong"]
    end = model.index if model.index is not None else len(wires)
    ignored = _pings_after(wires, end) if model.end != "open" else []
    grade = model.grade
    closed = False
    for event in transcript.received:
        if event.kind == "invalid":
            raise _Mismatch(event.describe())
        if closed and event.kind not in ("fin", "reset", "timeout"):
            raise _Mismatch(f"{event.describe()} after the server's close frame (RFC6455 5.5.1)")
        if event.kind == "message":
            if not echoes or (echoes[0].opcode, echoes[0].data) != (event.opcode, event.data):
                want = f"opcode {echoes[0].opcode}, {len(echoes[0].data)} bytes" if echoes \
                    else "no message"
                raise _Mismatch(f"{event.describe()} where the model echoes {want}")
            echoes.popleft()
        elif event.kind == "pong":
            found = next((n for n, r in enumerate(pongs)
                          if r.data == event.data and r.index < event.after), None)
            if found is not None:
                del pongs[:found + 1]  # earlier pings may go unanswered (RFC6455 5.5.3)
            elif any(i < event.after and data == event.data for i, data in ignored):
                raise _Mismatch(f"{event.describe()} answers a ping sent after frame #{end + 1}, "
                                "which ended the connection (RFC6455 7.1.7, 5.5.1)")
        elif event.kind in ("close", "fin", "reset"):
            if closed:
                return Judgement(grade, "; ".join(model.notes))
            if model.end == "open" or end >= event.after:
                raise _Mismatch(f"{event.describe()} before any frame that ends the connection "
                                "was sent")
            found_grade, note = _end_grade(model, event)
            missing = _unanswered(model, list(echoes), pongs)
            grade = _worse(_worse(grade, found_grade), missing[0])
            notes = [n for n in (*model.notes, note, missing[1]) if n]
            model = _Model(model.reactions, model.end, model.index, model.codes, grade,
                           tuple(notes), model.cause, model.at_close,
                           model.close_frame_optional)
            if event.kind != "close":
                return Judgement(grade, "; ".join(notes))
            closed = True
        elif event.kind == "timeout":
            if closed:
                raise _Mismatch("no TCP close after the close frames (RFC6455 5.5.1)")
            if model.end != "open" and end < event.after:
                raise _Mismatch(f"neither a close frame nor a TCP close after frame #{end + 1} "
                                f"({model.cause})")
            due = [r for r in (*echoes, *pongs) if r.index < event.after]
            if due:
                raise _Mismatch(f"nothing before the deadline while {len(due)} reaction(s) "
                                f"were due, the first for frame #{due[0].index + 1}")
            return Judgement(None, "a deadline passed with nothing due")
    if closed or (model.end != "open" and end < len(wires)):
        return Judgement(None, "the transcript stops before the connection ended")
    if echoes or pongs:
        return Judgement(None, "the transcript stops before every reaction came")
    return Judgement(grade, "; ".join(model.notes))


def judge(transcript: Transcript) -> Judgement:
    """Grade ``transcript`` (see the module docstring): the best grade among the
    models the server's events match; ``fail`` with the strict model's reason when
    none matches; ``grade`` None when none fails outright but the transcript stops
    before any can be graded."""
    wires = [_read(wire) for wire in transcript.sent]
    best: Judgement | None = None
    first_failure: str | None = None
    undecided: Judgement | None = None
    for model in _models(transcript):
        try:
            found = _match(model, transcript, wires)
        except _Mismatch as exc:
            first_failure = first_failure or str(exc)
            continue
        if found.grade is None:
            undecided = undecided or found
        elif best is None or _worse(best.grade or "fail", found.grade) != found.grade:
            best = found
    if best is not None:
        return best
    if undecided is not None:
        return undecided
    return Judgement("fail", first_failure or "no model matches")
