"""Playing one fuzz example against a live target and judging it by the oracle.

Theory of operation
-------------------
A :class:`~wsspec.fuzz.script.Conversation` is played step by step on one
connection opened through the case DSL, so every frame the target
sends is parsed by the suite's strict receiver. After each step the client
waits, under one deadline (the case timeout), for the reactions the oracle
predicts for that step:

* a step after which the connection stays open ends with a *sync ping* of
  the client's own (payload ``wsspec-sync-N``): its pong proves the target
  has processed the step, so what has not come by then never will, and
  anything unexpected has shown itself. Echoes may still follow the pong
  (an application echoes later than the protocol layer pongs), and are
  waited for;
* the step in which the oracle ends the conversation waits for the close
  frame (or the TCP close) that ends it, then for the TCP close. When the
  connection should fail and nothing has come after a short grace, a ping
  asks whether the target is still processing: its pong is a failure.

Echoes must arrive in order and exactly; a pong answers a ping of this
conversation (a skipped pong is allowed when a later one came: RFC 6455
5.5.3), or is an unsolicited pong (allowed, and ignored), except that a pong
for a ping sent after the frame that ends the conversation is a failure:
nothing after a failing frame (7.1.7) or a close (1.4, 5.5.1) is processed. Grading follows the
DSL's ``expect_*``, through the oracle's :class:`~wsspec.fuzz.oracle.Ending`:
a MUST broken fails; a failure without a close frame, or before the
reactions to earlier frames were sent, is non-strict; a close answered
before the echoes of earlier messages is informational; a close answered
with another valid code than the client's is non-strict, with a code RFC
6455 leaves open informational; a close reason that is not UTF-8 failed
with 1002 rather than 1007 is non-strict.

A deviation from the oracle's expectation sends the runner through the
oracle's alternatives (:meth:`~wsspec.fuzz.oracle.Expectation.alternatives`),
each played on a new connection, as long as the deviation was seen in a step
that reaches the frame where the next alternative departs: before that frame
every alternative expects the same, so none could match.

Every play is written down as a :class:`~wsspec.fuzz.transcript.Transcript`,
and the verdict is confirmed by the independent judge
(:mod:`wsspec.fuzz.crosscheck`): a disagreement raises ``JudgesDisagree``.

Every byte the client writes is fixed by the example (frames carry their
mask keys, sync pings and close replies use fixed keys, the handshake a fixed
key), so a replay puts the same bytes on the wire.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from wsspec.driver import DeadlineExceeded, get_runtime
from wsspec.driver.base import StreamEnd
from wsspec.dsl import Client, Connection, HandshakeResult, Target, describe_event
from wsspec.protocol.close import encode_close_payload, parse_close_payload
from wsspec.protocol.deflate import DeflateOffer
from wsspec.protocol.errors import HandshakeViolation
from wsspec.protocol.frames import Frame, Opcode
from wsspec.protocol.handshake import HandshakeRequest, RequestParser, check_response
from wsspec.protocol.messages import Message
from wsspec.verdicts import CaseFailed, CaseRecord, HarnessError, Verdict
from wsspec.wirelog import frame_entry

from .crosscheck import confirm, confirm_handshake
from .judge import Judgement
from .oracle import (
    Ending,
    EndingKind,
    Expectation,
    Grade,
    Reaction,
    ServerEnd,
    predict,
    predict_handshake,
    worse,
)
from .rules import handshake_rule
from .script import Conversation, HandshakeProbe, Step
from .transcript import HandshakeAnswer, Transcript

__all__ = [
    "HANDSHAKE_KEY",
    "SYNC_MASK",
    "Outcome",
    "play_conversation",
    "play_example",
    "play_handshake",
    "run_example",
]

#: The Sec-WebSocket-Key of every fuzz handshake (RFC 6455 1.3's example), so
#: that a replay sends the same bytes.
HANDSHAKE_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
#: Mask key of the frames the runner adds itself: sync pings, close replies.
SYNC_MASK = b"\x5a\xa5\x0f\xf0"
#: Seconds the step that should fail the connection waits before a ping asks
#: whether the target is still processing.
_GRACE = 0.05
#: The payload of that ping: its pong is a failure.
_AFTER_FAILURE = b"wsspec-sync-after-failure"


@dataclass
class Outcome:
    """The verdict on one example, with what was expected and observed."""

    verdict: Verdict = Verdict.PASS
    expected: str = ""
    observed: str = ""
    notes: list[str] = field(default_factory=list)
    #: The independent judge's grade of the same play, once confirmed.
    judgement: Judgement | None = None
    #: The rule a failure breaks, named as :mod:`wsspec.fuzz.rules` names them.
    rule: str = ""

    @property
    def failed(self) -> bool:
        return self.verdict is Verdict.FAIL

    def downgrade(self, grade: Grade, note: str) -> None:
        """Lower the verdict to the oracle's ``grade`` (not ``pass`` nor ``fail``),
        with the reason."""
        self.verdict = self.verdict.worse(Verdict(grade))
        self.notes.append(note)


class _Mismatch(Exception):
    def __init__(self, expected: str, observed: str, rule: str) -> None:
        super().__init__(observed)
        self.expected = expected
        self.observed = observed
        self.rule = rule


class _Judge:
    """Matches the target's events against one step's expected reactions.

    ``ending_rule`` names the rule broken by what comes where nothing more is
    due (see :mod:`wsspec.fuzz.rules`): the rule of the step's ending, or
    ``message-delivery`` in a step that leaves the connection open.

    ``ignored`` holds the payloads of the pings sent after the frame that ends
    the conversation: a pong for one of them is a failure (RFC 6455 7.1.7: an
    endpoint failing the connection MUST NOT go on processing data; 1.4 and
    5.5.1: after a close, further data is discarded).
    """

    def __init__(self, conn: Connection, reactions: list[Reaction], outcome: Outcome,
                 transcript: Transcript, ignored: list[bytes] | None = None,
                 ending_rule: str = "message-delivery",
                 matched: list[Reaction] | None = None) -> None:
        self.conn = conn
        #: every expected reaction the target sent, across the play's steps
        self.matched = matched if matched is not None else []
        self.ending_rule = ending_rule
        self.echoes = deque(r for r in reactions if r.kind == "echo")
        self.pongs = deque(r for r in reactions if r.kind == "pong")
        self.outcome = outcome
        self.transcript = transcript
        self.ignored = ignored if ignored is not None else []
        self.seen: list[str] = []
        #: how the target ended the conversation, once it has
        self.ended: ServerEnd | None = None

    def awaited(self) -> str:
        parts = [r.describe() for r in self.echoes] + [r.describe() for r in self.pongs]
        return "; ".join(parts) if parts else "nothing more"

    async def next_event(self, timeout: float) -> Frame | Message | StreamEnd | None:
        """The connection's next event, written into the transcript (a deadline
        is written by the caller, which knows whether it is one)."""
        try:
            event = await self.conn.next_event(timeout)
        except CaseFailed as exc:
            self.transcript.receive("invalid", detail=exc.observed)
            raise
        record(self.transcript, event)
        return event

    def take(self, event: Frame | Message, expected: str) -> None:
        """Account for an echo or a pong; anything else is a mismatch."""
        self.seen.append(describe_event(event, 0))
        if isinstance(event, Message):
            if not self.echoes:
                raise _Mismatch(expected, f"an unexpected {describe_event(event, 0)}",
                                self.ending_rule)
            want = self.echoes[0]
            if event.opcode != want.opcode or event.data != want.data:
                raise _Mismatch(want.describe() + " (RFC6455 6.2)",
                                describe_event(event, 0), "message-delivery")
            self.matched.append(self.echoes.popleft())
            return
        if event.opcode == Opcode.PONG:
            payloads = [r.data for r in self.pongs]
            if event.payload in payloads:
                # Pongs for earlier pings may be skipped (RFC 6455 5.5.3 MAY).
                while self.pongs[0].data != event.payload:
                    self.pongs.popleft()
                self.matched.append(self.pongs.popleft())
            elif event.payload in self.ignored:
                raise _Mismatch(expected, ", ".join(
                    [*self.seen[:-1], f"a PONG [{event.payload[:24].hex(' ')}] for a ping sent "
                     "after the connection ended (RFC6455 7.1.7, 5.5.1: nothing after it is "
                     "processed)"]), self.ending_rule)
            return  # otherwise an unsolicited pong (RFC 6455 5.5.3): ignored
        if event.opcode == Opcode.PING:
            return  # a heartbeat after the client's close, when pings are no longer answered
        raise _Mismatch(expected, f"an unexpected {describe_event(event, 0)}",
                        "message-delivery")


def record(transcript: Transcript, event: Frame | Message | StreamEnd | None) -> None:
    """Write one event the connection returned into ``transcript`` (None: nothing)."""
    if event is None:
        return
    if isinstance(event, StreamEnd):
        transcript.receive("fin" if event is StreamEnd.FIN else "reset")
    elif isinstance(event, Message):
        transcript.receive("message", opcode=event.opcode, data=event.data)
    elif event.opcode == Opcode.CLOSE:
        parsed = parse_close_payload(event.payload)
        transcript.receive("close", code=parsed.code, data=event.payload[2:])
    elif event.opcode in (Opcode.PING, Opcode.PONG):
        transcript.receive("ping" if event.opcode == Opcode.PING else "pong", data=event.payload)
    else:
        transcript.receive("message", opcode=event.opcode, data=event.payload)


async def _write_step(conn: Connection, step: Step, transcript: Transcript) -> None:
    for frame in step.frames:
        conn.wirelog.frame("out", frame_entry(frame))
        transcript.send(frame)
        if frame.opcode == Opcode.CLOSE:
            conn.close_sent = True
    for piece in step.writes:
        if await conn.send_raw(piece) is not None:
            return  # the target has gone; what it sent before is judged next


async def _send_own(conn: Connection, transcript: Transcript, opcode: int,
                    payload: bytes) -> None:
    frame = Frame(opcode, payload, mask_key=SYNC_MASK)
    conn.wirelog.frame("out", frame_entry(frame, note=" (sent by the fuzzer)"))
    transcript.send(frame)
    if opcode == Opcode.CLOSE:
        conn.close_sent = True
    await conn.send_raw(frame.encode())


async def _sync(judge: _Judge, number: int, wait: float) -> None:
    """Ping, then take events until its pong and every expected echo came."""
    conn = judge.conn
    payload = f"wsspec-sync-{number}".encode("ascii")
    await _send_own(conn, judge.transcript, Opcode.PING, payload)
    expected = ("the reactions to the step (" + judge.awaited() + "), then the pong of the "
                f"fuzzer's ping {payload.decode()!r}; the connection stays open")
    deadline = conn.driver.clock() + wait
    synced = False
    while not synced or judge.echoes:
        remaining = max(0.0, deadline - conn.driver.clock())
        event = await judge.next_event(remaining)
        if event is None or isinstance(event, StreamEnd):
            if event is None:
                judge.transcript.receive("timeout")
            observed = describe_event(event, wait)
            if judge.seen:
                observed = ", ".join(judge.seen) + ", then " + observed
            late = event is None and not judge.echoes
            raise _Mismatch(expected, observed, "pong" if late else "message-delivery")
        if isinstance(event, Frame) and event.opcode == Opcode.PONG and event.payload == payload:
            synced = True
            continue
        judge.take(event, expected)


async def _finish(judge: _Judge, expectation: Expectation, wait: float) -> None:
    """The step that ends the conversation: reactions, then the close or the failure."""
    conn = judge.conn
    ending = expectation.ending
    expected = "; ".join([r.describe() for r in judge.echoes] + [r.describe() for r in
                                                                  judge.pongs]
                         + [ending.describe()])
    deadline = conn.driver.clock() + wait
    outcome = judge.outcome
    # A target that goes on processing past the frame that should fail the
    # connection is caught by a ping after a short grace, not at the deadline.
    probe = ending.kind is EndingKind.FAIL and not conn.close_sent
    while True:
        remaining = max(0.0, deadline - conn.driver.clock())
        event = await judge.next_event(min(remaining, _GRACE) if probe else remaining)
        if event is None and probe:
            probe = False
            judge.ignored.append(_AFTER_FAILURE)
            await _send_own(conn, judge.transcript, Opcode.PING, _AFTER_FAILURE)
            continue
        if event is None:
            judge.transcript.receive("timeout")
            raise _Mismatch(expected, ", ".join([*judge.seen, describe_event(None, wait)]),
                            judge.ending_rule)
        if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
            code: int | None = parse_close_payload(event.payload).code
            how = ServerEnd("close", code)
        elif isinstance(event, StreamEnd):
            how = ServerEnd("fin" if event is StreamEnd.FIN else "reset")
        else:
            judge.take(event, expected)
            continue
        judge.ended = how
        grade, note = ending.grade_end(how)
        if grade == "fail":
            observed = describe_event(event, wait)
            raise _Mismatch(expected, observed if how.kind == "close"
                            else observed + " without a close frame", judge.ending_rule)
        if grade != "pass":
            outcome.downgrade(grade, note)
        _missing(judge, ending, outcome)
        if how.kind != "close":
            return
        if not conn.close_sent:
            await _send_own(conn, judge.transcript, Opcode.CLOSE, encode_close_payload(code))
        await _tcp_close(judge, wait)
        return


async def _tcp_close(judge: _Judge, wait: float) -> None:
    """After the close frames the server closes TCP, and sends nothing more (RFC
    6455 5.5.1, 7.1.1)."""
    event = await judge.next_event(wait)
    if isinstance(event, StreamEnd):
        return
    if event is None:
        judge.transcript.receive("timeout")
    raise _Mismatch("the server closes the TCP connection after the close handshake "
                    "(RFC6455 5.5.1)", describe_event(event, wait) + " after the close frames",
                    "close-answer")


def _missing(judge: _Judge, ending: Ending, outcome: Outcome) -> None:
    grade, note = ending.grade_unanswered([*judge.echoes, *judge.pongs])
    if grade != "pass":
        outcome.downgrade(grade, note)


def _ignored(conversation: Conversation, expectation: Expectation, start: int,
             end: int) -> list[bytes]:
    """The payloads of the pings of frames ``start`` to ``end - 1`` sent after the frame
    that ends the conversation."""
    index = expectation.ending.frame_index
    if index is None:
        return []
    return [frame.payload for position, frame in enumerate(conversation.frames[start:end], start)
            if position > index and frame.opcode == Opcode.PING]


def _ending_rule(conversation: Conversation, expectation: Expectation) -> str:
    """The rule a server breaks by not ending the conversation as ``expectation`` does."""
    ending = expectation.ending
    if ending.kind is EndingKind.CLOSE:
        return "close-answer"
    if ending.violation is None or ending.frame_index is None:
        return "message-delivery"
    violation = ending.violation.violation.value
    if conversation.frames[ending.frame_index].opcode == Opcode.CLOSE \
            and violation == "invalid-utf8":
        return "invalid-utf8-close-reason"
    return violation


@dataclass
class _Play:
    """One play of a conversation: its outcome, whether the next alternative may
    match, and the transcript the independent judge reads."""

    outcome: Outcome
    may_match: bool
    transcript: Transcript
    #: the oracle's alternatives, the reactions the target sent, and how it ended
    chain: list[tuple[Expectation, Grade, tuple[str, ...]]] = field(default_factory=list)
    matched: list[Reaction] = field(default_factory=list)
    ended: ServerEnd | None = None


async def _play_once(client: Client, conversation: Conversation, *, depth: int,
                     request: HandshakeRequest | None) -> _Play:
    """The outcome against the oracle's alternative number ``depth`` (0: the
    expectation itself), and whether the next alternative may match: there is
    one, and a deviation was seen in a step that reaches the frame where it
    departs from this one."""
    target = client.target
    profile = target.profile
    limits = profile.limits
    cap = limits.max_message_size if limits else None
    transcript = Transcript(echo=profile.echo, max_message_size=cap)
    if request is None:
        request = client.request(key=HANDSHAKE_KEY)
    elif conversation.deflate:
        request = request.without("Sec-WebSocket-Extensions")  # open() adds the offer back
    try:
        conn = await client.open(request,
                                 deflate=(DeflateOffer(),) if conversation.deflate else ())
    except CaseFailed as exc:
        transcript.receive("invalid", detail=f"the opening handshake failed: {exc.observed}")
        return _Play(Outcome(Verdict.FAIL, exc.expected, exc.observed, rule="handshake.accept"),
                     False, transcript)
    transcript.deflate = conn.deflate
    expectation = predict(conversation.frames, echo=profile.echo, max_message_size=cap,
                          deflate=conn.deflate)
    chain = list(expectation.alternatives())
    expectation, grade, notes = chain[min(depth, len(chain) - 1)]
    outcome = Outcome(Verdict(grade), notes=list(notes))
    departs = expectation.ending.frame_index if expectation.lenient is not None else None
    outcome.expected = "; ".join(expectation.describe())
    wait = client.timeout
    end = 0
    matched: list[Reaction] = []
    judge: _Judge | None = None
    # bytes the client refuses, read where the connection should fail, break that rule
    refused_rule = "server-frames"
    try:
        for number, (step, start, end) in enumerate(conversation.step_spans(), 1):
            await _write_step(conn, step, transcript)
            if expectation.ends_within(start, end):
                refused_rule = _ending_rule(conversation, expectation)
            judge = _Judge(conn, expectation.reactions_for(start, end), outcome, transcript,
                           _ignored(conversation, expectation, start, end),
                           _ending_rule(conversation, expectation)
                           if expectation.ends_within(start, end) else "message-delivery",
                           matched)
            if expectation.ends_within(start, end):
                await _finish(judge, expectation, wait)
                break
            await _sync(judge, number, wait)
        else:
            if not conversation.steps:
                await _sync(_Judge(conn, [], outcome, transcript), 0, wait)
    except _Mismatch as exc:
        may_match = departs is not None and end > departs
        return _Play(Outcome(Verdict.FAIL, exc.expected, exc.observed, outcome.notes,
                             rule=exc.rule), may_match, transcript)
    except CaseFailed as exc:
        # the client's own reading refused what the server sent (a frame breaking the
        # RFC, a ping flood): the transcript says so, for the judge to see
        if not transcript.received or transcript.received[-1].kind != "invalid":
            transcript.receive("invalid", detail=exc.observed)
        return _Play(Outcome(Verdict.FAIL, exc.expected, exc.observed, outcome.notes,
                             rule=refused_rule), False, transcript)
    outcome.observed = "as expected" if outcome.verdict is Verdict.PASS else "; ".join(
        outcome.notes)
    return _Play(outcome, False, transcript, chain, matched,
                 judge.ended if judge is not None else None)


def _best_alternative(play: _Play, depth: int) -> Outcome:
    """The best grade among the alternatives up to ``depth`` that ``play`` (which
    matched alternative ``depth``) matches too.

    An earlier alternative fails the connection at a frame this one processes;
    the play matches it as well when the target sent no reaction to that frame or
    any after it, and ended in a way that alternative's ending allows: a target
    that fails a frame with a longer length field than needed looks the same as
    one that processed it and failed the next frame before answering it.
    """
    outcome = play.outcome
    if play.ended is None:
        return outcome
    last = max((r.frame_index for r in play.matched), default=-1)
    for expectation, grade, notes in play.chain[:depth]:
        ending = expectation.ending
        if ending.frame_index is None or last >= ending.frame_index:
            continue
        end_grade, end_note = ending.grade_end(play.ended)
        if end_grade == "fail":
            continue
        unanswered = [r for r in expectation.reactions if r not in play.matched]
        missing_grade, missing_note = ending.grade_unanswered(unanswered)
        found = worse(worse(grade, end_grade), missing_grade)
        if Verdict(found).worse(outcome.verdict) is outcome.verdict \
                and Verdict(found) is not outcome.verdict:
            notes_found = [*notes, *(n for n in (end_note, missing_note) if n)]
            outcome = Outcome(Verdict(found), "; ".join(expectation.describe()),
                              "as expected" if found == "pass" else "; ".join(notes_found),
                              notes_found)
    return outcome


async def play_conversation(client: Client, conversation: Conversation, *,
                            request: HandshakeRequest | None = None) -> Outcome:
    """Play ``conversation`` on a new connection and judge it (see the module docstring).

    ``request`` is the opening handshake to send (default: the profile's valid
    request with a fixed key); a replay passes the one recorded.

    A conversation that deviates from the oracle's expectation is played again
    on a new connection against each of the oracle's alternatives in turn (a
    longer length field processed: pass; invalid UTF-8 noticed at the end of
    its message: non-strict), while one may still match (see the module
    docstring); the first one met gives the verdict, or the better grade of an
    earlier alternative the same play matches too (:func:`_best_alternative`).
    The oracle's chain is finite, so the number of plays is bounded by the
    conversation's frames.

    The transcript of the last play is graded again by the independent judge
    (:func:`wsspec.fuzz.crosscheck.confirm`), which raises
    :class:`~wsspec.fuzz.crosscheck.JudgesDisagree` when it grades otherwise.
    """
    play = await _play_once(client, conversation, depth=0, request=request)
    outcome = play.outcome
    depth = 0
    while play.outcome.failed and play.may_match:
        depth += 1
        play = await _play_once(client, conversation, depth=depth, request=request)
        if not play.outcome.failed:
            outcome = _best_alternative(play, depth)
            break
    confirm(outcome, play.transcript)
    return outcome


def _answer(result: HandshakeResult) -> HandshakeAnswer:
    response = result.response
    if response is not None:
        return HandshakeAnswer(response.status, tuple(response.headers))
    ending = ("timeout" if result.timed_out else "invalid" if result.error
              else "reset" if result.end is StreamEnd.RESET else "closed")
    return HandshakeAnswer(None, ending=ending, detail=result.error or "")


async def play_handshake(client: Client, probe: HandshakeProbe) -> Outcome:
    """Send a mutated opening handshake and grade the answer as the oracle's
    :class:`~wsspec.fuzz.oracle.HandshakeExpectation` says; the independent judge
    confirms the grade (:func:`~wsspec.fuzz.crosscheck.confirm_handshake`)."""
    parser = RequestParser()
    try:
        request = parser.feed(probe.request)
    except HandshakeViolation:
        request = None
    host = client.request(key=HANDSHAKE_KEY).get("Host")[0]
    expectation = predict_handshake(request, host)
    _driver, result = await client.handshake(probe.request, chunks=probe.chunks or None)
    answer = _answer(result)
    problems: list[str] = []
    if result.response is not None and result.response.status == 101 and request is not None:
        keys = request.get("Sec-WebSocket-Key")
        problems = check_response(result.response, key=keys[0] if keys else "",
                                  subprotocols=[s.strip() for v in request.get(
                                      "Sec-WebSocket-Protocol") for s in v.split(",")],
                                  extensions_offered=[])
    grade, note = expectation.grade(answer, problems)
    observed = result.describe() + (f" ({note})" if note else "")
    outcome = Outcome(Verdict(grade), expectation.describe(), observed,
                      [note] if grade not in ("pass", "fail") else [])
    if grade == "fail":
        outcome.rule = handshake_rule(probe.mutations, must_accept=expectation.status == 101
                                      and not expectation.foreign_host)
    confirm_handshake(outcome, probe.request, host, answer)
    return outcome


def play_example(target: Target, record: CaseRecord, example: Conversation | HandshakeProbe,
                 *, request: HandshakeRequest | None = None) -> Outcome:
    """Play one example, a conversation (opened with ``request``, default the
    profile's) or a handshake probe, on a fresh client: :func:`run_example`."""
    if isinstance(example, HandshakeProbe):
        probe = example

        async def play_probe(client: Client) -> Outcome:
            return await play_handshake(client, probe)

        return run_example(target, record, play_probe)
    conversation = example

    async def play(client: Client) -> Outcome:
        return await play_conversation(client, conversation, request=request)

    return run_example(target, record, play, steps=len(conversation.steps))


def run_example(target: Target, record: CaseRecord,
                play: Callable[[Client], Awaitable[Outcome]], *, steps: int = 1) -> Outcome:
    """Run ``play`` on a fresh client (recording into ``record``) on the target's
    driver, bounded in time; the client's connections are closed afterwards."""
    budget = target.timeout * (2 * steps + 6)

    async def body() -> Outcome:
        client = Client(target, record)
        try:
            return await play(client)
        finally:
            await client.aclose()

    try:
        return get_runtime(target.driver).run(body, timeout=budget)
    except DeadlineExceeded:
        raise HarnessError(f"a fuzz example did not finish within {budget:g} s") from None
    except CaseFailed as exc:
        return Outcome(Verdict.FAIL, exc.expected, exc.observed)
