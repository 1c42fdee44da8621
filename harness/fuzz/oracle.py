"""The oracle: what a conforming server must do with any sequence of client frames.

Theory of operation
-------------------
The oracle does not hold a table of rules of its own. It plays the server's
side of the sans-IO core: every client frame is fed, one frame at a time,
into a :class:`~wsspec.protocol.messages.Receiver` built as a server builds
it (``expect_masked=True``, the profile's message cap, the negotiated
permessage-deflate inflater), and the server's reactions follow from what the
receiver returns:

* a completed :class:`~wsspec.protocol.messages.Message` is echoed, same
  opcode, same (inflated) data, when the profile says the target echoes;
* a PING is answered by a PONG with its payload (RFC 6455 5.5.2);
* a PONG needs no answer;
* a CLOSE (that passed the core's checks) is answered by a close frame and
  ends the conversation (5.5.1): frames after it are never processed;
* a :class:`~wsspec.protocol.errors.ProtocolViolation` fails the connection
  with the violation's close code at that frame (7.1.7): nothing after it is
  processed.

How the server ends the conversation (a :class:`ServerEnd`) is graded by one
method, :meth:`Ending.grade_end`, and what it left unanswered by
:meth:`Ending.grade_unanswered`: its ``codes`` pass; an answered close with
another code a close frame may carry is non-strict (5.5.1: the code received
is usually echoed); a failed connection ended another way is graded by the
catalogue's own table of failure shapes (:mod:`wsspec.failure_shapes`, the
MUST row): another valid code, a TCP close or a reset without a close frame
are non-strict (7.1.7 SHOULD send an appropriate close frame), except another
code answering the client's close frame the connection should fail at (that
is processing it); echoes left unsent by an answered close
are informational (5.5.1), other reactions left unsent non-strict. One rule,
for the close codes RFC 6455 leaves open to the server that answers a close
frame (:func:`_codes_left_open`), adds ``informational_codes`` or
``non_strict_codes``: a server that knows RFC 6455 alone fails the connection
with 1002 on 1012-1014, which IANA registered later in the range 7.4.2
reserves (informational); 7.4.2 defines no range above 4999, so answering
such a close with 1000 is the other reading of failing with 1002
(informational); and a close reason that is not UTF-8 fails the connection
(8.1) with 1007 or, the reason being no message, with 1002 (non-strict: 7.4.1
gives 1007 to data inconsistent with its type). Invalid UTF-8 in a text
message has no such rule: 1007 is its code, and 1002 fails.

Feeding one whole frame at a time fixes the frame at which each rule breaks;
the core's parser guarantees the verdict does not depend on how the bytes are
cut, so the same expectation holds whatever TCP writes the frames travel in.

Where the RFC leaves a server a choice of frame processing, the
expectation carries a ``lenient`` alternative, computed the same way on a
changed input (:meth:`Expectation.alternatives` lists the chain):

* RFC 6455 5.2 asks a *sender* for the minimal length encoding and says
  nothing of a receiver: failing the connection on a longer length field (the
  core's choice) or processing the frame are both right (graded ``pass``),
  so the alternative feeds that frame re-encoded minimally; with several such
  frames, each one processed adds one alternative, so a server that processes
  some and refuses a later one matches one of them;
* RFC 6455 8.1 lets an endpoint notice invalid UTF-8 in a fragmented text
  message at the fragment that breaks it or only once the message is
  complete (Autobahn|Testsuite grades the latter non-strict): the
  alternative judges UTF-8 on whole messages, text frames reaching the
  receiver as binary and each completed message checked with the core's
  validator.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, cast

from wsspec.failure_shapes import Level, Shape, reason_for, verdict_for
from wsspec.protocol.close import (
    is_beyond_rfc6455_ranges,
    is_registered_after_rfc6455,
    is_valid_on_wire,
    parse_close_payload,
)
from wsspec.protocol.deflate import DeflateParams, Inflater
from wsspec.protocol.errors import ProtocolViolation, Violation
from wsspec.protocol.frames import Frame, Opcode, opcode_name
from wsspec.protocol.handshake import HandshakeRequest, check_request, parse_header_list
from wsspec.protocol.messages import Message, Receiver
from wsspec.protocol.utf8 import is_valid_utf8
from wsspec.verdicts import Verdict

from .transcript import HandshakeAnswer

__all__ = [
    "Ending",
    "EndingKind",
    "Expectation",
    "Grade",
    "HandshakeExpectation",
    "Reaction",
    "ServerEnd",
    "predict",
    "predict_handshake",
    "worse",
]

#: A grade the oracle gives, named as the verdicts of :mod:`wsspec.verdicts`.
Grade = Literal["pass", "non-strict", "informational", "fail"]


def worse(one: Grade, other: Grade) -> Grade:
    """The worse of two grades (as :meth:`wsspec.verdicts.Verdict.worse` orders them)."""
    return cast(Grade, Verdict(one).worse(Verdict(other)).value)

#: The cap on a message when the profile declares none (the suite's own cap).
DEFAULT_MAX_MESSAGE = 64 * 2**20


class EndingKind(enum.Enum):
    """How the conversation ends, once every frame has been processed."""

    #: No close, no violation: the connection stays open.
    OPEN = "open"
    #: The client sent a close frame: the server answers it and closes TCP.
    CLOSE = "close"
    #: A frame broke a rule: the server fails the connection.
    FAIL = "fail"


@dataclass(frozen=True)
class ServerEnd:
    """How the server ended the conversation, as :meth:`Ending.grade_end` grades it:
    a close frame carrying ``code`` (None: an empty payload), a TCP close
    without one (``"fin"``), or a reset."""

    kind: Literal["close", "fin", "reset"]
    code: int | None = None


@dataclass(frozen=True)
class Reaction:
    """One frame the server must send: an echo or a pong, caused by frame ``frame_index``."""

    kind: str  # "echo" | "pong"
    opcode: int
    data: bytes
    frame_index: int

    def describe(self) -> str:
        shown = self.data[:24].hex(" ") + (" …" if len(self.data) > 24 else "")
        what = f"echo {opcode_name(self.opcode)}" if self.kind == "echo" else "PONG"
        return f"{what} of {len(self.data)} bytes [{shown}] (for frame #{self.frame_index + 1})"


@dataclass(frozen=True)
class Ending:
    """The end of the conversation: where (``frame_index``, or None when it stays
    open), how, the close codes the server may send, and the rule broken.

    ``codes`` are the close codes that pass; ``informational_codes`` and
    ``non_strict_codes`` (never the same code) those RFC 6455 leaves open at
    this frame, graded ``informational`` or ``non-strict`` for the reason
    ``informational_note`` or ``non_strict_note`` gives (see
    :func:`_codes_left_open`).
    """

    kind: EndingKind
    frame_index: int | None = None
    codes: tuple[int | None, ...] = ()
    violation: ProtocolViolation | None = field(default=None, compare=False)
    informational_codes: tuple[int, ...] = ()
    informational_note: str = field(default="", compare=False)
    non_strict_codes: tuple[int, ...] = ()
    non_strict_note: str = field(default="", compare=False)
    #: the frame the connection fails at is the client's close frame
    at_close: bool = False

    def describe(self) -> str:
        if self.kind is EndingKind.OPEN:
            return "the connection stays open"
        where = f"frame #{(self.frame_index or 0) + 1}"
        recorded = ""
        for codes, grade in ((self.non_strict_codes, "non-strict"),
                             (self.informational_codes, "informational")):
            if codes:
                shown = " or ".join(str(c) for c in codes)
                recorded += f" ({shown} recorded as {grade})"
        if self.kind is EndingKind.CLOSE:
            shown = " or ".join("an empty close" if c is None else str(c) for c in self.codes)
            return f"the close of {where} answered ({shown}{recorded}), then TCP closed"
        assert self.violation is not None
        return (f"the connection failed with close code {self.codes[0]}{recorded} at {where}: "
                f"{self.violation.violation.value} ({self.violation.violation.section}: "
                f"{self.violation.detail})")

    def grade_end(self, how: ServerEnd) -> tuple[Grade, str]:
        """The grade of a server that ends the conversation here as ``how`` says,
        and the reason for any grade but ``pass``. The one place the oracle grades
        the shape of an ending.

        A close frame: one of ``codes`` passes, one of ``informational_codes``
        is informational, one of ``non_strict_codes`` non-strict; a client's
        close answered with another code a close frame may carry is non-strict
        (RFC 6455 5.5.1: the code received is usually echoed). Where the
        connection must fail, another valid code, a TCP close or a reset get the
        failure-shape table's MUST row (non-strict: 7.1.7 SHOULD send an
        appropriate close frame), unless the code answers the client's close
        frame the connection fails at (processing it). Anything else fails (a
        code no close frame may carry, a close where none is due, a TCP close
        where a close must be answered, 5.5.1).
        """
        if how.kind != "close":
            if self.kind is EndingKind.FAIL:
                return self._shape_grade(
                    Shape.RESET if how.kind == "reset" else Shape.TCP_CLOSE)
            return "fail", ""
        code = how.code
        if code in self.codes:
            return "pass", ""
        if code in self.informational_codes:
            return "informational", self.informational_note
        if code in self.non_strict_codes:
            return "non-strict", self.non_strict_note
        if self.kind is EndingKind.CLOSE and (code is None or is_valid_on_wire(code)):
            shown = "an empty close frame" if code is None else f"close code {code}"
            return "non-strict", (f"the close was answered with {shown}; the code received is "
                                  "usually echoed (RFC6455 5.5.1)")
        if self.kind is EndingKind.FAIL and not self.at_close and (
                code is None or is_valid_on_wire(code)):
            # answering a close frame it should have failed on is processing it: fails
            return self._shape_grade(Shape.OTHER_CODE)
        return "fail", ""

    def _shape_grade(self, shape: Shape) -> tuple[Grade, str]:
        """A failed connection ended in ``shape``: the failure-shape table's grade,
        at the level the violation's rule asks for the end (RFC 6455 5.1 only
        closes the connection on an unmasked frame, the close frame being MAY;
        every other violation the core finds fails it, 7.1.7)."""
        unmasked = self.violation is not None and \
            self.violation.violation is Violation.UNMASKED_FRAME
        level = Level.MUST_CLOSE if unmasked else Level.MUST
        return verdict_for(level, shape).value, reason_for(level, shape)  # type: ignore[return-value]

    def grade_unanswered(self, reactions: Sequence[Reaction]) -> tuple[Grade, str]:
        """The grade of a server that ends the conversation here without sending
        ``reactions``, which earlier frames called for, and the reason.

        Echoes left unsent by an answered close are informational: RFC 6455
        5.5.1 lets an endpoint send its close before the message in progress
        (it MAY delay the close until that message is sent), and an echo server's
        application answers later than its protocol layer (the catalogue's
        ``close.order`` cases grade the same). Anything else left unanswered, a
        pong or a connection failed first, is non-strict.
        """
        if not reactions:
            return "pass", ""
        awaited = "; ".join(r.describe() for r in reactions)
        if self.kind is EndingKind.CLOSE and all(r.kind == "echo" for r in reactions):
            return "informational", ("the close was answered before every message sent ahead "
                                     f"of it was echoed (RFC6455 5.5.1): {awaited}")
        return "non-strict", ("the connection ended before the target answered earlier "
                              f"frames: {awaited}")


@dataclass(frozen=True)
class Expectation:
    """Everything a conforming server does with a sequence of client frames."""

    reactions: tuple[Reaction, ...]
    ending: Ending
    #: Another behaviour a server may have instead, or None: processing a frame
    #: whose length field is longer than needed (graded ``pass``), noticing
    #: invalid UTF-8 only at the end of its message (``non-strict``).
    lenient: Expectation | None = None
    #: ``"pass"`` or ``"non-strict"``: the grade of a server that behaves as ``lenient``.
    lenient_grade: Grade = field(default="pass", compare=False)
    #: What the lenient behaviour is, in words, for reports.
    lenient_note: str = field(default="", compare=False)

    def describe(self) -> list[str]:
        lines = [r.describe() for r in self.reactions]
        lines.append(self.ending.describe())
        return lines

    def reactions_for(self, start: int, end: int) -> list[Reaction]:
        """The reactions caused by frames ``start`` to ``end - 1``."""
        return [r for r in self.reactions if start <= r.frame_index < end]

    def ends_within(self, start: int, end: int) -> bool:
        index = self.ending.frame_index
        return index is not None and start <= index < end

    def alternatives(self) -> Iterator[tuple[Expectation, Grade, tuple[str, ...]]]:
        """Every behaviour this expectation allows, in the order to try them:
        itself (``pass``), then each ``lenient`` alternative in turn, each with
        the worst grade and the notes of the choices that lead to it.

        An alternative departs from the one before it only from the frame at
        which that one fails the connection (``ending.frame_index``) on: what
        comes before that frame is the same in all that follow. The chain is
        finite: one alternative per frame with a longer length field than
        needed, and one for UTF-8 judged on whole messages.
        """
        grade: Grade = "pass"
        notes: tuple[str, ...] = ()
        current: Expectation | None = self
        while current is not None:
            yield current, grade, notes
            if current.lenient is not None:
                grade = worse(grade, current.lenient_grade)
                notes = (*notes, current.lenient_note)
            current = current.lenient


def _receiver(max_message_size: int, deflate: DeflateParams | None) -> Receiver:
    decompressor = None
    if deflate is not None:
        # The server inflates what the client compressed: the client's parameters.
        decompressor = Inflater(window_bits=deflate.client_max_window_bits,
                                no_context_takeover=deflate.client_no_context_takeover)
    return Receiver(expect_masked=True, max_frame_size=max_message_size + 2**16,
                    max_message_size=max_message_size, decompressor=decompressor)


def _run(frames: Sequence[Frame], *, echo: bool, max_message_size: int,
         deflate: DeflateParams | None, utf8_per_message: bool) -> Expectation:
    receiver = _receiver(max_message_size, deflate)
    reactions: list[Reaction] = []
    texts: list[bool] = []  # whether each message in progress started as TEXT
    for index, frame in enumerate(frames):
        fed = frame
        if utf8_per_message and frame.opcode == Opcode.TEXT:
            fed = replace(frame, opcode=Opcode.BINARY)
        if fed.opcode in (Opcode.TEXT, Opcode.BINARY):
            texts.append(frame.opcode == Opcode.TEXT)
        try:
            events = receiver.feed(fed.encode())
        except ProtocolViolation as exc:
            failed = _fail(index, exc, at_close=frame.opcode == Opcode.CLOSE)
            return Expectation(tuple(reactions), _codes_left_open(failed, frame))
        for event in events:
            if isinstance(event, Message):
                opcode = Opcode.TEXT if texts and texts[-1] else event.opcode
                texts.clear()
                if utf8_per_message and opcode == Opcode.TEXT and not is_valid_utf8(event.data):
                    late = ProtocolViolation(
                        Violation.INVALID_UTF8, "text message is not UTF-8 (judged at its end)")
                    return Expectation(tuple(reactions), _fail(index, late))
                if echo:
                    reactions.append(Reaction("echo", opcode, event.data, index))
            elif event.opcode == Opcode.PING:
                reactions.append(Reaction("pong", Opcode.PONG, event.payload, index))
            elif event.opcode == Opcode.CLOSE:
                code = parse_close_payload(event.payload).code
                codes: tuple[int | None, ...] = (None, 1000) if code is None else (code, 1000)
                if code == 1000:
                    codes = (1000,)
                ending = Ending(EndingKind.CLOSE, index, codes)
                return Expectation(tuple(reactions), _codes_left_open(ending, frame))
    return Expectation(tuple(reactions), Ending(EndingKind.OPEN))


def _fail(index: int, exc: ProtocolViolation, *, at_close: bool = False) -> Ending:
    return Ending(EndingKind.FAIL, index, exc.violation.close_codes, exc, at_close=at_close)



def _codes_left_open(ending: Ending, frame: Frame) -> Ending:
    """``ending``, reached at the client's ``frame``, with the close codes RFC
    6455 leaves open to a server answering a close frame, as the catalogue
    grades them (the first that applies):

    * 1012-1014, registered with IANA after RFC 6455 in the range 1000-2999
      that 7.4.2 reserves for the protocol: a server that knows the RFC alone
      takes them for reserved codes and fails the connection with 1002,
      whatever the reason says: informational (``close.code.valid-1014``);
    * a code above 4999, where 7.4.2 defines no range: a server may take it
      for an application's code and answer the close with 1000 where the core
      fails the connection with 1002, as long as nothing else in the frame
      breaks a rule: informational (Autobahn|Testsuite 7.13.x;
      ``close.code.invalid-5000``);
    * a reason that is not UTF-8: the connection fails (8.1), with 1007 (the
      core's code) or with 1002, since the reason is no message whose type
      its data contradicts (7.4.1 gives 1007 to that): non-strict
      (``close.reason.invalid-utf8-*``). Accepting the close (1000) fails.
    """
    if frame.opcode != Opcode.CLOSE or len(frame.payload) < 2:
        return ending
    code = int.from_bytes(frame.payload[:2], "big")
    if is_registered_after_rfc6455(code) and 1002 not in ending.codes:
        return replace(ending, informational_codes=(1002,), informational_note=(
            f"close code {code} answered by failing with 1002: IANA registered it after RFC "
            "6455, whose 7.4.2 reserves 1000-2999; either answer is allowed"))
    violation = ending.violation
    if (is_beyond_rfc6455_ranges(code) and violation is not None
            and violation.violation is Violation.INVALID_CLOSE_CODE
            and is_valid_utf8(frame.payload[2:])):
        return replace(ending, informational_codes=(1000,), informational_note=(
            f"close code {code} answered with 1000: RFC 6455 7.4.2 defines no range above "
            "4999, so either answer is allowed"))
    if violation is not None and violation.violation is Violation.INVALID_UTF8:
        return replace(ending, non_strict_codes=(1002,), non_strict_note=(
            "a close reason that is not UTF-8 failed the connection with 1002; 1007 is the "
            "code for data that is not valid UTF-8 (RFC6455 7.4.1, 8.1)"))
    return ending


def _predict(frames: Sequence[Frame], *, echo: bool, max_message_size: int,
             deflate: DeflateParams | None, utf8_per_message: bool) -> Expectation:
    expectation = _run(frames, echo=echo, max_message_size=max_message_size, deflate=deflate,
                       utf8_per_message=utf8_per_message)
    violation = expectation.ending.violation
    index = expectation.ending.frame_index
    if violation is None or index is None:
        return expectation
    failing = frames[index]
    if violation.violation is Violation.NON_MINIMAL_LENGTH:
        # RFC 6455 5.2 binds the sender only: processing the frame is as good.
        fixed = [*frames[:index], replace(failing, length_form=None), *frames[index + 1:]]
        alternative = _predict(fixed, echo=echo, max_message_size=max_message_size,
                               deflate=deflate, utf8_per_message=utf8_per_message)
        return replace(expectation, lenient=alternative, lenient_grade="pass",
                       lenient_note=f"frame #{index + 1}'s longer than needed length field was "
                       "accepted (RFC6455 5.2 binds only the sender)")
    if (violation.violation is Violation.INVALID_UTF8 and not utf8_per_message
            and failing.opcode != Opcode.CLOSE
            and not (failing.fin and failing.opcode == Opcode.TEXT)):
        alternative = _predict(frames, echo=echo, max_message_size=max_message_size,
                               deflate=deflate, utf8_per_message=True)
        if alternative != expectation:
            return replace(expectation, lenient=alternative, lenient_grade="non-strict",
                           lenient_note="invalid UTF-8 was noticed only at the end of its "
                           "message (RFC6455 8.1 prefers failing at once)")
    return expectation


def predict(
    frames: Sequence[Frame],
    *,
    echo: bool = True,
    max_message_size: int | None = None,
    deflate: DeflateParams | None = None,
) -> Expectation:
    """What a conforming server does with ``frames`` (see the module docstring).

    ``echo`` says the target echoes messages (profile ``echo``);
    ``max_message_size`` is the profile's cap (``limits.max_message_size``);
    ``deflate`` the permessage-deflate parameters agreed in the handshake.
    """
    return _predict(frames, echo=echo, max_message_size=max_message_size or DEFAULT_MAX_MESSAGE,
                    deflate=deflate, utf8_per_message=False)


@dataclass(frozen=True)
class HandshakeExpectation:
    """What a conforming server answers to one opening handshake request, from the
    core's server-side rules (:func:`~wsspec.protocol.handshake.check_request`),
    graded as the catalogue grades the same request (``conformance/test_handshake.py``).

    ``status`` is the core's answer (101: acceptable); ``problems`` why not.
    Where RFC 6455 leaves the server a choice, the shape of the request says
    which: ``foreign_host`` (acceptable but for a Host naming another
    authority than the target's: a 101 or a 4xx, 4.2.1 item 2),
    ``only_version`` (refused only for its Sec-WebSocket-Version: a 4xx
    listing 13 in Sec-WebSocket-Version, 4.2.2 /version/ and 4.4), with
    ``draft_version`` for version 8 (a correct 101 is informational),
    ``only_http_version`` (refused only for not being HTTP/1.1: a 4xx or 505).
    """

    status: int
    problems: tuple[str, ...]
    foreign_host: bool = False
    only_version: bool = False
    draft_version: bool = False
    only_http_version: bool = False

    def describe(self) -> str:
        if self.status == 101 and not self.foreign_host:
            return "101 Switching Protocols with a correct Sec-WebSocket-Accept (RFC6455 4.2.2)"
        if self.foreign_host:
            return ("a correct 101 or a 4xx refusal: the Host names another authority than the "
                    "target's (RFC6455 4.2.1 item 2)")
        if self.only_version:
            draft = " (or a correct 101 for a draft version)" if self.draft_version else ""
            return ("a 4xx refusal carrying Sec-WebSocket-Version: 13 (RFC6455 4.2.2 /version/, "
                    f"4.4){draft}: {self.problems[0]}")
        statuses = "a 4xx or 505" if self.only_http_version else "a 4xx"
        return f"a refusal with {statuses} status, no 101 ({self.problems[0]})"

    def grade(self, answer: HandshakeAnswer, accept_problems: Sequence[str]) -> tuple[Grade, str]:
        """The grade of ``answer`` (``accept_problems``: what is wrong in its 101),
        and the reason for any grade but ``pass``."""
        refusable = self.status != 101 or self.foreign_host
        if answer.status is None:
            if answer.ending in ("closed", "reset") and refusable and not self.only_version:
                return "non-strict", ("connection dropped without an HTTP status (RFC6455 10.7 "
                                      "SHOULD answer with one)")
            return "fail", ""
        if answer.status == 101:
            if accept_problems:
                return "fail", "; ".join(accept_problems)
            if self.status == 101:
                return "pass", ""
            if self.draft_version:
                return "informational", ("the server accepted version 8 of an earlier draft, "
                                         "which RFC 6455 4.2.2 allows for a version it "
                                         "understands")
            return "fail", ""
        if not refusable:
            return "fail", ""
        if not (400 <= answer.status < 500 or (self.only_http_version and answer.status == 505)):
            return "fail", ""
        for status, header, rule in ((405, "Allow", "RFC9110 15.5.6"),
                                     (426, "Upgrade", "RFC9110 15.5.22")):
            if answer.status == status and not answer.header(header):
                return "fail", f"a {status} without {header} ({rule})"
        if self.only_version and "13" not in parse_header_list(
                answer.header("Sec-WebSocket-Version")):
            return "fail", "the refusal does not list Sec-WebSocket-Version: 13"
        return "pass", ""


def predict_handshake(request: HandshakeRequest | None, host: str) -> HandshakeExpectation:
    """What a conforming server answers to ``request`` (None: bytes that are no
    complete HTTP/1.1 request), sent to a target whose own requests carry Host
    ``host`` (see :class:`HandshakeExpectation`)."""
    if request is None:
        return HandshakeExpectation(400, ("not a complete HTTP/1.1 request",))
    status, problems = check_request(request)
    hosts = request.get("Host")
    versions = request.get("Sec-WebSocket-Version")
    only_version = status == 426 and bool(versions)
    return HandshakeExpectation(
        status, tuple(problems),
        foreign_host=status == 101 and hosts[0].lower() != host.lower(),
        only_version=only_version,
        draft_version=only_version and versions == ["8"],
        only_http_version=(status != 101 and request.http_version != "1.1"
                           and check_request(replace(request, http_version="1.1"))[0] == 101),
    )
