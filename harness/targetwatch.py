"""Whether the target is still worth testing, and the one line that says why not.

Theory of operation. A run against a target that stopped answering would wait out
every case's deadline, one after the other: 1100 cases of 5 s. Each finished
case is read here instead, from its wire log alone (no I/O): :func:`read_case`
turns it into a :class:`CaseSigns`, which says whether a complete, valid opening
handshake went out, whether the target answered it with a status line (which
one), and when its last byte came. :class:`TargetWatch` keeps streaks over the
cases in the order they finish, and once :data:`STREAK` cases in a row show the
same sign it returns a :class:`Diagnosis`, one line, after which the plugin
grades every case left ``error`` without running it.

Only a case that did not pass counts towards a streak: a target that passes a
case is answering. A case that saw a 101 resets every streak (the target
answers; a ping flood or a broken frame is graded by the cases themselves), as
does a case that passed; a case that sent no valid request or never connected
(``unsupported``, a case on a raw socket) leaves the streaks as they are. The
signs:

* *no answer*: a valid request went out, complete, and no complete response
  head came back while the client waited (at least :data:`MIN_WAIT` s, or the
  case's deadline if shorter) and the target neither closed nor reset: a silent
  target, or one that trickles its answer a byte at a time;
* *same refusal*: every plain upgrade request of the case (valid, and asking for
  nothing a policy may refuse: no credentials, Origin, subprotocol, extension or
  query) was answered with one and the same non-101 status line
  (``HTTP/1.1 200 OK`` from a proxy that drops Upgrade);
* *unreachable*: the case could not connect at all.

A ``--target-cmd`` process that exited is diagnosed by :func:`exited_diagnosis`
from its status and the tail of its output, at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from wsspec.protocol.errors import HandshakeViolation
from wsspec.protocol.handshake import HandshakeRequest, RequestParser, check_request
from wsspec.wirelog import WireLog

__all__ = [
    "MIN_WAIT",
    "STREAK",
    "CaseSigns",
    "Diagnosis",
    "Sign",
    "TargetWatch",
    "exited_diagnosis",
    "read_case",
]

#: cases in a row showing the same sign before the run ends.
STREAK = 3
#: the shortest wait (s) after a complete request that counts as "not answered";
#: a shorter ``--case-timeout`` counts in full.
MIN_WAIT = 1.0
#: the most bytes of a request or a response head read from the wire log.
_HEAD_CAP = 16 * 1024

#: headers through which a case asks for more than an upgrade: a target's policy
#: (credentials, origins, subprotocols, extensions) may refuse such a request.
_POLICY_HEADERS = ("Authorization", "Cookie", "Origin", "Sec-WebSocket-Protocol",
                   "Sec-WebSocket-Extensions")
#: the verdicts that say the target answered the case as it should, or well enough.
_ANSWERED = frozenset({"pass", "non-strict", "informational"})

#: what a status usually means when it answers every upgrade request.
_HINTS = {
    200: "is a proxy dropping the Upgrade header, or is this a plain HTTP server?",
    301: "does the WebSocket endpoint live at another URL?",
    302: "does the WebSocket endpoint live at another URL?",
    307: "does the WebSocket endpoint live at another URL?",
    308: "does the WebSocket endpoint live at another URL?",
    400: "does a proxy in front of the target rewrite the request?",
    401: "does it need credentials ([auth] in the target profile)?",
    403: "does it need credentials or an allowed Origin ([auth], [origin] in the profile)?",
    404: "is the path of the URL the WebSocket endpoint?",
    426: "does it want another WebSocket version, or TLS (wss://)?",
    502: "is the proxy's backend down?",
    503: "is the target overloaded or starting?",
}


class Sign(Enum):
    """What one finished case says about the target."""

    ANSWERING = "answering"
    NO_ANSWER = "no answer"
    SAME_REFUSAL = "same refusal"
    UNREACHABLE = "unreachable"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class CaseSigns:
    """What one case's wire log shows of the target (see the module's theory)."""

    sign: Sign
    #: the status line of a refusal (SAME_REFUSAL), or the connect error (UNREACHABLE)
    detail: str = ""
    #: bytes received on the last connection left unanswered (NO_ANSWER)
    partial_bytes: int = 0
    #: how long the client waited on that connection (s)
    waited: float = 0.0
    #: when the last byte of the case came from the target (``time.monotonic()``)
    last_byte_at: float | None = None


@dataclass
class _Connection:
    request: bytearray = field(default_factory=bytearray)
    request_done_at: float | None = None
    head: bytearray = field(default_factory=bytearray)
    bytes_in: int = 0
    status_line: str | None = None
    head_complete: bool = False
    peer_ended: bool = False
    closed_at: float | None = None

    def take_out(self, data: bytes, at: float) -> None:
        if self.request_done_at is not None or len(self.request) >= _HEAD_CAP:
            return
        self.request += data
        if b"\r\n\r\n" in self.request:
            self.request_done_at = at

    @property
    def valid(self) -> bool:
        """Whether a complete opening handshake that RFC 6455 accepts went out."""
        return self.request_done_at is not None and _accepted(bytes(self.request)) is not None

    @property
    def plain(self) -> bool:
        """Whether that handshake was a plain upgrade, one no policy of a target may
        refuse: no credentials, Origin, subprotocol or extension offer, no query."""
        request = _accepted(bytes(self.request)) if self.request_done_at is not None else None
        return request is not None and "?" not in request.target and not any(
            request.get(name) for name in _POLICY_HEADERS)

    def take_in(self, data: bytes) -> None:
        self.bytes_in += len(data)
        if self.head_complete or len(self.head) >= _HEAD_CAP:
            return
        self.head += data
        line, newline, _ = self.head.partition(b"\r\n")
        if newline and self.status_line is None:
            self.status_line = line.decode("latin-1").strip()
        self.head_complete = b"\r\n\r\n" in self.head


def _accepted(data: bytes) -> HandshakeRequest | None:
    """The opening handshake ``data`` begins with, if it is complete and RFC 6455
    accepts it."""
    try:
        request = RequestParser().feed(data)
    except HandshakeViolation:
        return None
    return request if request is not None and check_request(request)[0] == 101 else None


def _status_code(line: str) -> int | None:
    parts = line.split(None, 2)
    if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit():
        return int(parts[1])
    return None


def read_case(verdict: str, wirelog: WireLog, *, case_timeout: float,
              now: float | None = None) -> CaseSigns:
    """The signs of one finished case, from its verdict and wire log.

    Bytes are attributed to the connection opened last, which is exact for the
    cases that open one connection at a time and harmless for the few that open
    several at once: they are cases against a target that answers, with a 101.
    """
    end = time.monotonic() if now is None else now
    started = wirelog.started
    entries = wirelog.all_entries()
    if verdict in _ANSWERED:
        last = next((e for e in reversed(entries) if e.kind == "bytes" and e.dir == "in"), None)
        return CaseSigns(Sign.ANSWERING,
                         last_byte_at=None if last is None else started + last.t)
    connections: list[_Connection] = []
    connect_error = ""
    last_in: float | None = None
    for entry in entries:
        at = started + entry.t
        if entry.kind == "event":
            text = str(entry.data)
            if text.startswith("connected to "):
                connections.append(_Connection())
            elif text.startswith("connect failed"):
                connect_error = text
            elif connections and text.startswith(("peer closed", "connection reset")):
                connections[-1].peer_ended = True
            elif connections and text.startswith("connection closed by the client"):
                connections[-1].closed_at = at
        elif entry.kind == "bytes" and connections:
            record = entry.data
            conn = connections[-1]
            data = bytes.fromhex(str(record.get("hex", ""))) if (
                entry.dir == "out" and conn.request_done_at is None) or (
                entry.dir == "in" and not conn.head_complete) else b""
            if entry.dir == "out":
                conn.take_out(data, at)
            else:
                if data:
                    conn.take_in(data)
                else:
                    conn.bytes_in += int(record.get("length", 0))
                last_in = at
    return _judge(verdict, connections, connect_error, last_in, case_timeout, end)


def _judge(verdict: str, connections: list[_Connection], connect_error: str,
           last_in: float | None, case_timeout: float, end: float) -> CaseSigns:
    if not connections:
        sign = Sign.UNREACHABLE if connect_error and verdict == "error" else Sign.NEUTRAL
        return CaseSigns(sign, detail=connect_error.removeprefix("connect failed: "))
    if any(c.status_line is not None and _status_code(c.status_line) == 101
            for c in connections):
        return CaseSigns(Sign.ANSWERING, last_byte_at=last_in)
    valid = [c for c in connections if c.request_done_at is not None and c.valid]
    min_wait = min(MIN_WAIT, case_timeout)
    unanswered = [c for c in valid if not c.head_complete and not c.peer_ended
                  and c.request_done_at is not None
                  and (c.closed_at or end) - c.request_done_at >= min_wait * 0.9]
    if unanswered:
        last = unanswered[-1]
        assert last.request_done_at is not None
        return CaseSigns(Sign.NO_ANSWER, partial_bytes=last.bytes_in,
                         waited=(last.closed_at or end) - last.request_done_at,
                         detail=last.status_line or "", last_byte_at=last_in)
    plain = [c for c in valid if c.plain]
    statuses = {c.status_line for c in plain if c.head_complete}
    if len(statuses) == 1 and all(c.head_complete for c in plain):
        line = statuses.pop()
        if line is not None and _status_code(line) not in (None, 101):
            return CaseSigns(Sign.SAME_REFUSAL, detail=line, last_byte_at=last_in)
    return CaseSigns(Sign.NEUTRAL, last_byte_at=last_in)


@dataclass(frozen=True)
class Diagnosis:
    """Why the run ends early, as one line."""

    line: str


class TargetWatch:
    """Streaks of signs over the cases in the order they finish (see the module's
    theory). :meth:`observe` returns the :class:`Diagnosis` once a streak reaches
    :data:`STREAK`, and the same one on every later call."""

    def __init__(self, streak: int = STREAK) -> None:
        self.streak = streak
        self.diagnosis: Diagnosis | None = None
        self.last_byte_at: float | None = None
        self._sign = Sign.NEUTRAL
        self._detail = ""
        self._count = 0

    def observe(self, signs: CaseSigns, *, now: float | None = None) -> Diagnosis | None:
        """Take the signs of the next finished case."""
        if signs.last_byte_at is not None:
            self.last_byte_at = max(signs.last_byte_at, self.last_byte_at or signs.last_byte_at)
        if self.diagnosis is not None or signs.sign is Sign.NEUTRAL:
            return self.diagnosis
        if signs.sign is Sign.ANSWERING:
            self._sign, self._detail, self._count = Sign.NEUTRAL, "", 0
            return None
        detail = signs.detail if signs.sign is Sign.SAME_REFUSAL else ""
        if signs.sign is self._sign and detail == self._detail:
            self._count += 1
        else:
            self._sign, self._detail, self._count = signs.sign, detail, 1
        if self._count >= self.streak:
            self.diagnosis = Diagnosis(self._describe(signs, time.monotonic()
                                                      if now is None else now))
        return self.diagnosis

    def _describe(self, signs: CaseSigns, now: float) -> str:
        count = f"{self._count} consecutive cases"
        if signs.sign is Sign.SAME_REFUSAL:
            code = _status_code(signs.detail)
            hint = _HINTS.get(code or 0, "")
            status = signs.detail.split(None, 1)[1] if " " in signs.detail else signs.detail
            return (f"the target answered {status} to every upgrade request ({count}, "
                    f"valid requests each){': ' + hint if hint else ''}")
        if signs.sign is Sign.UNREACHABLE:
            return f"the target cannot be reached: {count} could not connect ({signs.detail})"
        since = ("no byte from it yet" if self.last_byte_at is None
                 else f"last byte {now - self.last_byte_at:.1f} s ago")
        if signs.partial_bytes:
            what = ("without a complete response head" if signs.detail
                    else "without a complete status line")
            return (f"the target answers opening handshakes too slowly: {count} {what} "
                    f"(the last got {signs.partial_bytes} bytes in {signs.waited:.1f} s); "
                    f"{since}")
        return f"target stopped answering opening handshakes: {count} without a status line; " \
            f"{since}"


def exited_diagnosis(status: int, output_tail: Iterable[str]) -> Diagnosis:
    """The line for a ``--target-cmd`` process that exited with ``status``."""
    tail = " | ".join(line.strip() for line in output_tail if line.strip())
    return Diagnosis(f"the target command exited with status {status}"
                     + (f"; its last output: {tail}" if tail else " (no output)"))
