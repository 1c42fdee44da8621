"""Probes of the opening handshake (RFC 6455 section 4) beyond ``Client.open`` and
``Client.expect_refused``: refusals judged with the HTTP rules their status
carries, the version refusal of RFC 6455 4.2.2 / 4.4, a request with frames
pipelined behind it, and an exchange read to the end of the stream (for what
follows a refusal, and for header blocks too large to buffer).
"""

from __future__ import annotations

import os
from collections.abc import Container, Sequence
from dataclasses import dataclass, replace

import h11
from wsspec.driver.base import Driver, DriverError, StreamEnd
from wsspec.dsl import Client, Connection, HandshakeResult
from wsspec.protocol.errors import HandshakeViolation
from wsspec.protocol.frames import Frame, Opcode, encode_frame
from wsspec.protocol.handshake import (
    BODY_GRACE,
    HandshakeRequest,
    HandshakeResponse,
    ResponseParser,
    check_response,
    parse_header_list,
)
from wsspec.protocol.messages import Message
from wsspec.verdicts import CaseFailed, Verdict
from wsspec.wirelog import frame_entry

#: Header fields RFC 9110 requires in a refusal with this status: a 405 names
#: the allowed methods (15.5.6), a 426 the protocol to upgrade to (15.5.22).
REQUIRED_BY_STATUS = {
    405: ("Allow", "RFC9110 15.5.6"),
    426: ("Upgrade", "RFC9110 15.5.22"),
}


def failure(wsspec_client: Client, expected: str, observed: str) -> CaseFailed:
    """A failure to raise, carrying the tail of the case's wire log."""
    return CaseFailed(expected, observed, wsspec_client.record.wirelog.tail())


def check_refusal_headers(wsspec_client: Client, response: HandshakeResponse | None) -> None:
    """A 405 must carry Allow and a 426 Upgrade (RFC 9110): the refusal is HTTP too."""
    if response is None or response.status not in REQUIRED_BY_STATUS:
        return
    name, rule = REQUIRED_BY_STATUS[response.status]
    if not response.get(name):
        raise failure(
            wsspec_client,
            f"a {response.status} response carrying a {name} header ({rule})",
            f"{response.status} without {name}",
        )


async def expect_refusal(
    wsspec_client: Client,
    request: HandshakeRequest | bytes,
    *,
    statuses: Sequence[int] | range = range(400, 500),
    rule: str = "RFC6455 4.2.1",
    chunks: Sequence[int] | None = None,
) -> HandshakeResult:
    """``Client.expect_refused``, and the refusal must carry what its status requires."""
    result = await wsspec_client.expect_refused(
        request, statuses=statuses, rule=rule, chunks=chunks
    )
    check_refusal_headers(wsspec_client, result.response)
    return result


def check_refused(wsspec_client: Client, result: HandshakeResult, *, wanted: str,
                  allowed: Container[int], rule: str = "RFC6455 4.2.1") -> None:
    """Grade a handshake result like ``Client.expect_refused`` with statuses of
    any shape: one of ``allowed`` passes, a drop without a status is
    non-strict (RFC 6455 10.7), anything else fails."""
    expected = f"refusal with {wanted} ({rule})"
    wsspec_client.record.observe(expected, result.describe())
    response = result.response
    if response is None:
        if result.timed_out or result.error:
            raise failure(wsspec_client, expected, result.describe())
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            "connection dropped without an HTTP status (RFC6455 10.7 SHOULD answer with one)")
        return
    if response.status not in allowed:
        raise failure(wsspec_client, expected, result.describe())
    check_refusal_headers(wsspec_client, response)


def advertised_versions(response: HandshakeResponse) -> list[str]:
    """The versions a refusal advertises in Sec-WebSocket-Version (one or several fields)."""
    return parse_header_list(response.get("Sec-WebSocket-Version"))


async def expect_version_refusal(wsspec_client: Client, request: HandshakeRequest, *,
                                 draft_version: bool = False) -> None:
    """A version the server does not speak is refused with an HTTP error carrying
    ``Sec-WebSocket-Version`` that lists 13 (RFC 6455 4.2.2 /version/, 4.4).

    The status is the server's choice: 4.2.2 names 426 as an example and the
    example of 4.4 is a 400, so any 4xx passes. The header is a MUST of both
    sections, so a refusal without it fails, and so does a dropped connection,
    which carries no header at all. ``draft_version`` marks a version of an
    earlier draft (8): a server that also speaks that draft may accept it, so
    a correct 101 is informational there and a failure anywhere else.
    """
    expected = ("a 4xx refusal carrying Sec-WebSocket-Version: 13 "
                "(RFC6455 4.2.2 /version/, 4.4)")
    driver, result = await wsspec_client.handshake(request)
    response = result.response
    if response is None:
        wsspec_client.record.observe(expected, result.describe())
        raise failure(wsspec_client, expected, result.describe())
    versions = advertised_versions(response)
    shown = f"{result.describe()}, Sec-WebSocket-Version: {', '.join(versions) or '(absent)'}"
    wsspec_client.record.observe(expected, shown)
    if response.status == 101 and draft_version:
        await accepted_connection(wsspec_client, driver, result, request).close()
        wsspec_client.record.downgrade(
            Verdict.INFORMATIONAL,
            f"the server accepted version {request.get('Sec-WebSocket-Version')[0]} of an "
            "earlier draft, which RFC 6455 4.2.2 allows for a version it understands",
        )
        return
    if not 400 <= response.status <= 499:
        raise failure(wsspec_client, expected, shown)
    if "13" not in versions:
        raise failure(wsspec_client, expected, shown)
    check_refusal_headers(wsspec_client, response)


async def record_answer(wsspec_client: Client, driver: Driver, result: HandshakeResult,
                        request: HandshakeRequest, note: str) -> None:
    """Record the answer to a request RFC 6455 leaves open (informational).

    A correct 101 (then closed properly), a 4xx, or a dropped connection are
    all fine, and ``note`` says why; no answer within the deadline, a status
    of another class, invalid HTTP or an incorrect 101 fail.
    """
    expected = "a correct 101, a 4xx refusal or a closed connection, recorded"
    wsspec_client.record.observe(expected, result.describe())
    response = result.response
    if result.timed_out or result.error or (
            response is not None and not (response.status == 101
                                          or 400 <= response.status <= 499)):
        raise failure(wsspec_client, expected, result.describe())
    if response is not None and response.status == 101:
        ws = accepted_connection(wsspec_client, driver, result, request)
        # a body the server took for frames may have ended the connection: the
        # close here only tidies up, it proves nothing about processing
        ws.check_liveness = not request.body
        await ws.close()
    wsspec_client.record.downgrade(Verdict.INFORMATIONAL, note)


def accepted_connection(wsspec_client: Client, driver: Driver, result: HandshakeResult,
                        request: HandshakeRequest) -> Connection:
    """The open connection behind a 101, which must follow RFC 6455 4.2.2 for ``request``."""
    response = result.response
    if response is None or response.status != 101:
        raise failure(wsspec_client, "101 Switching Protocols (RFC6455 4.2.2)", result.describe())
    key = request.get("Sec-WebSocket-Key")
    problems = check_response(
        response,
        key=key[0] if key else "",
        subprotocols=parse_header_list(request.get("Sec-WebSocket-Protocol")),
        extensions_offered=[item.split(";")[0].strip() for item in
                            parse_header_list(request.get("Sec-WebSocket-Extensions"))],
    )
    if problems:
        raise failure(
            wsspec_client, "a 101 response that follows RFC 6455 4.2.2", "; ".join(problems)
        )
    connection = Connection(wsspec_client, driver, response)
    if result.trailing:
        connection.feed(result.trailing)
    return connection


def masked_frame(wsspec_client: Client, opcode: int, payload: bytes) -> bytes:
    """A final, masked frame's bytes, recorded in the wire log as sent."""
    key = os.urandom(4)
    frame = Frame(opcode, payload, fin=True, masked=True, mask_key=key)
    wsspec_client.record.wirelog.frame("out", frame_entry(frame))
    return encode_frame(opcode, payload, mask_key=key)


async def handshake_with_frames(wsspec_client: Client, request: HandshakeRequest,
                                frames: bytes) -> tuple[Driver, HandshakeResult]:
    """Send ``request`` and ``frames`` in one write, then read the response."""
    driver, result = await wsspec_client.handshake(request.encode() + frames)
    result.request = request
    return driver, result


def describe_event(event: Frame | Message | StreamEnd | None) -> str:
    """One line for what ``Connection.next_event`` returned."""
    if event is None:
        return "nothing before the deadline"
    if isinstance(event, StreamEnd):
        return "TCP connection closed (FIN)" if event is StreamEnd.FIN else "connection reset"
    if isinstance(event, Message):
        kind = "text" if event.opcode == Opcode.TEXT else "binary"
        return f"{kind} message {event.data[:48]!r}"
    return event.describe()


def text_frame(wsspec_client: Client, text: str) -> bytes:
    """A masked text frame carrying ``text``."""
    return masked_frame(wsspec_client, Opcode.TEXT, text.encode("utf-8"))


# --------------------------------------------------------------------------
# An exchange read to the end of the stream.
# --------------------------------------------------------------------------


@dataclass
class Exchange:
    """What the server did with one request: its response, and what followed it.

    ``stalled`` means the server stopped reading before the request was
    written; ``end`` how the stream ended (None: still open at the deadline);
    ``after`` the bytes that followed the response and its declared body.
    """

    response: HandshakeResponse | None = None
    error: str | None = None
    stalled: bool = False
    end: StreamEnd | None = None
    after: bytes = b""

    def describe(self) -> str:
        if self.response is not None:
            r = self.response
            return f"HTTP/{r.http_version} {r.status} {r.reason}".rstrip()
        if self.error:
            return f"an invalid HTTP response ({self.error})"
        how = {StreamEnd.FIN: "closed the connection", StreamEnd.RESET: "reset the connection",
               None: "sent nothing before the deadline"}
        stalled = "stopped reading the request and " if self.stalled else ""
        return f"the server {stalled}{how[self.end]}" + (" without a response" if self.end
                                                          else "")


#: the most of an answer an exchange keeps (bytes): every buffer has a cap.
_MAX_ANSWER = 1 << 20


class _Answer:
    """The server's side of an :class:`Exchange`, fed as it arrives."""

    def __init__(self, method: str, to_end: bool) -> None:
        self.out = Exchange()
        self.method = method
        self.to_end = to_end
        self.parser = ResponseParser(request_method=method)
        self.received = bytearray()
        self.done = False

    def take(self, data: bytes | StreamEnd) -> None:
        """Feed what ``Driver.receive`` returned; sets ``done`` once nothing more matters."""
        out = self.out
        try:
            if isinstance(data, StreamEnd):
                out.end = data
                self.done = True
                if out.response is None:
                    out.response = self.parser.feed_eof()
                return
            self.received += data
            if out.response is None:
                out.response = self.parser.feed(data)
                self.done = out.response is not None and not self.to_end
            # A server streaming without end: what followed the response is known.
            self.done = self.done or len(self.received) > _MAX_ANSWER
        except HandshakeViolation as exc:
            out.error = "; ".join(exc.problems)
            self.done = True

    def finish(self) -> Exchange:
        if self.out.response is None and self.out.error is None:
            self.out.response = self.parser.settle()
        if self.out.response is not None and self.to_end:
            self.out.after = bytes_after_response(bytes(self.received), self.method,
                                                  self.out.end is not None)
        return self.out


async def exchange(wsspec_client: Client, raw: bytes, *, method: str = "GET",
                   piece: int | None = None, to_end: bool = False) -> Exchange:
    """Write ``raw`` on a new connection (in writes of ``piece`` bytes) and read the answer.

    A server may answer before the request is complete (refusing an oversized
    head, say): between writes its answer is looked for, and once it is there
    or the server has closed, writing stops. A server that stops taking the
    bytes is noted (``stalled``), not an error: the answer is still read,
    until the case's deadline. With ``to_end`` the stream is read on after the
    response until the server closes it or the deadline passes, and what
    followed the response is kept in ``after``.
    """
    driver = await wsspec_client.connect()
    answer = _Answer(method, to_end)
    size = piece or max(len(raw), 1)
    for start in range(0, len(raw), size):
        try:
            if (
                await driver.send(raw[start : start + size], timeout=wsspec_client.timeout)
                is not None
            ):
                break
        except DriverError:
            answer.out.stalled = True
            break
        # A zero wait gives the event loop a turn to take what has arrived.
        data = await driver.receive(0)
        if data is not None:
            answer.take(data)
            if answer.out.response is not None or answer.done:
                break
    deadline = driver.clock() + wsspec_client.timeout
    while not answer.done:
        if answer.out.response is None and answer.parser.head_complete:
            # The head settles the answer: a body without an end in sight
            # (no Content-Length) is waited for only briefly.
            deadline = min(deadline, driver.clock() + BODY_GRACE)
        remaining = deadline - driver.clock()
        if remaining <= 0:
            break
        data = await driver.receive(remaining)
        if data is not None:
            answer.take(data)
    out = answer.finish()
    if out.response is None or out.response.status != 101:
        wsspec_client.note_refusal(out.describe())
    return out


def bytes_after_response(data: bytes, method: str, eof: bool) -> bytes:
    """The bytes of ``data`` that follow the first HTTP response and its body.

    A body delimited by the end of the stream takes everything, so nothing
    follows it; a response h11 cannot read is not split at all.
    """
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method=method if method in ("GET", "HEAD") else "GET", target="/",
                          headers=[("Host", "wsspec")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(data)
    if eof:
        conn.receive_data(b"")
    try:
        while True:
            event = conn.next_event()
            if isinstance(event, h11.InformationalResponse):
                continue
            if event is h11.NEED_DATA or event is h11.PAUSED or isinstance(
                    event, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
    except h11.RemoteProtocolError:
        return b""
    return bytes(conn.trailing_data[0])


# --------------------------------------------------------------------------
# Requests built for the cases.
# --------------------------------------------------------------------------


def with_header_names(request: HandshakeRequest, style: str) -> HandshakeRequest:
    """``request`` with every header name in ``style``: lower, upper or mixed case."""
    def restyle(name: str) -> str:
        if style == "lower":
            return name.lower()
        if style == "upper":
            return name.upper()
        return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(name))
    return replace(request, headers=[(restyle(name), value) for name, value in request.headers])


def with_filler_headers(request: HandshakeRequest, size: int, line: int = 4096) -> bytes:
    """``request`` with about ``size`` bytes of extra header fields of ``line`` bytes each."""
    headers = list(request.headers)
    index = 0
    total = 0
    while total < size:
        name = f"X-Wsspec-Filler-{index:05d}"
        value = "a" * (line - len(name) - 4)
        headers.append((name, value))
        total += line
        index += 1
    return replace(request, headers=headers).encode()
