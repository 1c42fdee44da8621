"""Declared limits: message size and handshake deadline (RFC 6455 sections 7.4.1
and 10.4; the profile's ``[limits]`` table). Autobahn|Testsuite 9.x sends large
messages to an echo server (see ``test_limits.py``); it never checks a limit.

RFC 6455 10.4: an implementation with limits on frame or message size MUST
protect itself against exceeding them, and 7.4.1 gives it close code 1009 for
"a message that is too big for it to process". With ``max_message_size``:

* a message of exactly that size, text or binary, is echoed (the limit is
  "beyond this");
* one byte more, in one frame or in fragments, fails the connection with 1009.
  The way the server ends the connection is graded by the failure-shape table
  as a profile policy (docs/failure-shapes.md): a TCP close without a close
  frame or another code is non-strict, an echo fails;
* the server reacts while the message is still arriving: the bytes are sent
  in paced pieces and the case records how much had been sent when the close
  came. A server that holds an oversized message whole before refusing it can
  be made to buffer whatever a client sends: a close that comes only after the
  last byte is non-strict. A frame whose header declares more than the limit
  can be refused at its header; a message of many frames once the frames that
  arrived exceed it. A message one byte over the limit in fragments crosses it
  only with its last byte, so there it is only recorded.

A frame whose header declares 2^62 bytes (4 EiB) must be refused with 1009 or
1002 (10.4: protect yourself) at its header, or once the payload received
passes the limit (a server may count bytes): never waited for whole.

With ``handshake_timeout``, a client that opens TCP and never sends a
handshake, or sends it one byte at a time, is dropped within the deadline (plus
``--heartbeat-tolerance``); an HTTP refusal such as 408 counts as dropped. The
slow client sends a byte every quarter of the deadline (at most every second),
so a server that restarts its deadline on every byte never drops it. These two
cases run at once (:class:`~wsspec.dsl.ConcurrentObservations`).

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import pytest
from wsspec.cases import TimerCases, case
from wsspec.driver.base import StreamEnd
from wsspec.dsl import Client, ConcurrentObservations, Connection, Observation
from wsspec.failure_shapes import Level
from wsspec.protocol.close import CloseInfo
from wsspec.protocol.errors import HandshakeViolation
from wsspec.protocol.frames import Frame, Opcode, encode_frame
from wsspec.protocol.handshake import ResponseParser
from wsspec.verdicts import CaseFailed, Verdict

RULE = "RFC6455 10.4, 7.4.1; profile [limits]"
#: pieces an oversized message is sent in; the server is given PACE s after each.
PIECES = 8
PACE = 0.1
KINDS = ["text", "binary"]


def limit(wsspec_client: Client) -> int:
    limits = wsspec_client.profile.limits
    assert limits is not None and limits.max_message_size is not None
    return limits.max_message_size


def payload(kind: str, size: int) -> tuple[Opcode, bytes]:
    """``size`` bytes: ASCII text, or every byte value in turn."""
    if kind == "text":
        return Opcode.TEXT, b"wsspec-limit-" * (size // 13) + b"x" * (size % 13)
    return Opcode.BINARY, (bytes(range(256)) * (size // 256 + 1))[:size]


def frames_of(opcode: Opcode, data: bytes, count: int) -> list[Frame]:
    """``data`` as one message of ``count`` frames (the last one the largest)."""
    size = max(len(data) // count, 1)
    cuts = [i * size for i in range(count)] + [len(data)]
    return [Frame(opcode if i == 0 else Opcode.CONTINUATION, data[cuts[i]:cuts[i + 1]],
                  fin=i == count - 1) for i in range(count)]


async def send_paced(ws: Connection, wire: bytes, *, poll_from: int
                     ) -> tuple[int, CloseInfo | StreamEnd | None]:
    """Write ``wire`` in :data:`PIECES` pieces; once ``poll_from`` bytes are out,
    give the server :data:`PACE` s after each piece to fail the connection.
    Returns the bytes sent when the failure came (or all of them) and the
    failure, if any.

    Pings that arrive meanwhile are answered once the last piece is out: a
    pong written now would land inside the frame being sent.
    """
    size = -(-len(wire) // PIECES)
    deferred: list[bytes] = []
    ws.auto_pong = False
    sent = 0
    failed: CloseInfo | StreamEnd | None = None
    for start in range(0, len(wire), size):
        end = await ws.send_raw(wire[start:start + size])
        sent = min(start + size, len(wire))
        if end is not None or (poll_from <= sent < len(wire)):
            failed = await poll(ws, PACE, deferred)
            if failed is not None:
                return sent, failed
    ws.auto_pong = True
    for payload in deferred:
        await ws.send_frame(Opcode.PONG, payload)
    return sent, None


async def poll(ws: Connection, timeout: float,
               deferred: list[bytes]) -> CloseInfo | StreamEnd | None:
    """The connection's end if it comes within ``timeout`` s, graded by the
    failure-shape table as the profile's policy (close 1009), else None; pings
    are kept in ``deferred``. Anything else while the message is being sent fails."""
    end = ws.driver.clock() + timeout
    while True:
        event = await ws.next_event(max(0.0, end - ws.driver.clock()))
        if event is None:
            return None
        if isinstance(event, Frame) and event.opcode == Opcode.PING:
            deferred.append(event.payload)
            continue
        if isinstance(event, StreamEnd) or (isinstance(event, Frame)
                                            and event.opcode == Opcode.CLOSE):
            ws.put_back(event)
            return await ws.expect_failure((1009,), rule=RULE, level=Level.POLICY)
        raise CaseFailed(f"the connection failed with close 1009 ({RULE})",
                         f"{event!r:.80} while the message was being sent", ws.wirelog.tail())


async def expect_refused_while_sending(wsspec_client: Client, frames: list[Frame], *,
                                       knowable_after: int, graded: bool) -> None:
    """Send ``frames`` paced; the connection must fail with 1009. The server can
    know the message is too big once the first ``knowable_after`` frames have
    arrived (0: at the first header); with ``graded``, a failure only after the
    last byte is non-strict."""
    ws = await wsspec_client.open()
    encoded = [ws.encode_frames([frame]) for frame in frames]
    wire = b"".join(encoded)
    knowable_at = sum(len(piece) for piece in encoded[:knowable_after])
    sent, failed = await send_paced(ws, wire, poll_from=knowable_at)
    if failed is None:
        failed = await ws.expect_failure((1009,), rule=RULE, level=Level.POLICY)
    shown = f"close {failed.code}" if isinstance(failed, CloseInfo) else "TCP close"
    timing = (f"after all {len(wire)} bytes were sent" if sent >= len(wire)
              else f"after {sent} of {len(wire)} bytes were sent")
    wsspec_client.record.observe(
        f"close 1009 before the whole message of {sum(len(f.payload) for f in frames)} bytes "
        f"was sent (limit {limit(wsspec_client)}; {RULE})", f"{shown} {timing}")
    if sent >= len(wire) and graded:
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            "the server refused the message only once all of it had arrived; past the limit "
            "it should stop reading (RFC6455 10.4: protect against exceeding the limit)",
        )


# -- message size ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@case(
    "limits.policy.at-limit.{kind}",
    title="a {kind} message of exactly max_message_size is echoed",
    rfc="RFC6455 6.2 MUST",
    requirement="A {kind} message of exactly the declared max_message_size is within the "
    "limit: it is echoed unchanged.",
    needs=("limits", "echo"),
)
async def test_message_at_limit_is_echoed(wsspec_client: Client, kind: str) -> None:
    opcode, data = payload(kind, limit(wsspec_client))
    ws = await wsspec_client.open()
    await ws.send_message(data, opcode=opcode)
    await ws.expect_message(data, opcode=opcode,
                            timeout=wsspec_client.timeout + len(data) / 2**22)
    wsspec_client.record.observe(f"a {kind} message of {len(data)} bytes echoed",
                          f"echoed {len(data)} bytes")
    await ws.close()


@pytest.mark.parametrize("shape", ["one-frame", "fragmented"])
@pytest.mark.parametrize("kind", KINDS)
@case(
    "limits.policy.over.{kind}-{shape}",
    title="a {kind} message one byte over max_message_size ({shape}) is refused with 1009",
    rfc="RFC6455 10.4 MUST",
    requirement="A {kind} message one byte larger than the declared max_message_size, sent "
    "{shape}, fails the connection with close code 1009 (RFC 6455 7.4.1, 10.4), before the "
    "whole message is sent when its header declares the size.",
    needs=("limits",),
)
async def test_message_over_limit_is_refused(wsspec_client: Client, kind: str, shape: str) -> None:
    opcode, data = payload(kind, limit(wsspec_client) + 1)
    if shape == "one-frame":
        frames = [Frame(opcode, data)]
        await expect_refused_while_sending(wsspec_client, frames, knowable_after=0, graded=True)
    else:
        frames = frames_of(opcode, data, 4)
        await expect_refused_while_sending(wsspec_client, frames, knowable_after=len(frames),
                                           graded=False)


@case(
    "limits.policy.over.streamed",
    title="a message growing far past max_message_size is refused while it arrives",
    rfc="RFC6455 10.4 MUST",
    requirement="A binary message of twice max_message_size in 16 frames fails the "
    "connection with 1009 once the frames received exceed the limit, before the rest is "
    "sent (RFC 6455 10.4: protect against exceeding the limit).",
    needs=("limits",),
)
async def test_growing_message_is_refused_early(wsspec_client: Client) -> None:
    opcode, data = payload("binary", 2 * limit(wsspec_client))
    frames = frames_of(opcode, data, 16)
    # the first 8 frames hold the limit's worth; the 9th takes the message past it
    await expect_refused_while_sending(wsspec_client, frames, knowable_after=9, graded=True)


@case(
    "limits.policy.huge-frame",
    title="a frame declaring 2^62 bytes is refused by the time it passes the limit",
    rfc="RFC6455 10.4 MUST",
    requirement="A frame header declaring a payload of 2^62 bytes, far above the declared "
    "max_message_size, fails the connection with close 1009 or 1002, at its header or once "
    "the payload received passes the limit, never waiting for the whole payload (RFC 6455 "
    "10.4).",
    needs=("limits",),
)
async def test_huge_frame_is_refused(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    head = encode_frame(Opcode.BINARY, b"", mask_key=b"wsmk", declared_length=2**62)
    body = bytes(limit(wsspec_client) + 1)
    ws.wirelog.event("sending a binary frame header declaring 2^62 bytes, then its payload, "
                     "paced, up to one byte over max_message_size")
    # A server may refuse at the header, or count the payload and refuse once it
    # passes the limit (10.4 asks it to protect itself, not how): both pass.
    sent, failed = await send_paced(ws, head + body, poll_from=0)
    if failed is None:
        failed = await ws.expect_failure((1009, 1002), rule=RULE, level=Level.POLICY)
    shown = f"close {failed.code}" if isinstance(failed, CloseInfo) else "TCP close"
    wsspec_client.record.observe(
        f"close 1009 or 1002 by the time the payload passes the limit ({RULE})",
        f"{shown} after {sent} of {len(head) + len(body)} bytes")


# -- the handshake deadline ----------------------------------------------------------


def deadline(wsspec_client: Client) -> float:
    limits = wsspec_client.profile.limits
    assert limits is not None and limits.handshake_timeout is not None
    return limits.handshake_timeout


async def expect_dropped(wsspec_client: Client, request: bytes, pace: float) -> None:
    """Write ``request`` one byte each ``pace`` s (nothing when empty); the server
    must close, or answer an HTTP error, within the handshake deadline."""
    bound = deadline(wsspec_client) + wsspec_client.target.heartbeat_tolerance
    expected = (f"the connection dropped (or an HTTP error) within handshake_timeout "
                f"{deadline(wsspec_client):g} s (+{wsspec_client.target.heartbeat_tolerance:g} s)")
    driver = await wsspec_client.connect()
    start = driver.clock()
    parser = ResponseParser()
    sent = 0
    while True:
        now = driver.clock()
        if now - start > bound:
            raise CaseFailed(expected, f"still open after {now - start:.2f} s, {sent} of "
                             f"{len(request)} bytes sent", wsspec_client.record.wirelog.tail())
        if sent < len(request):
            await driver.send(request[sent:sent + 1], timeout=wsspec_client.timeout)
            sent += 1
        wait = min(pace, bound - (now - start)) if sent < len(request) else bound - (now - start)
        data = await driver.receive(max(0.0, wait))
        if data is None:
            continue
        elapsed = driver.clock() - start
        if isinstance(data, StreamEnd):
            progress = f", {sent} of {len(request)} bytes sent" if request else ""
            wsspec_client.record.observe(
                expected, f"TCP {data.value} after {elapsed:.2f} s{progress}"
            )
            return
        try:
            response = parser.feed(data)
        except HandshakeViolation as exc:
            raise CaseFailed(expected, f"an invalid HTTP answer ({exc})",
                             wsspec_client.record.wirelog.tail()) from None
        if response is not None:
            wsspec_client.record.observe(expected, f"HTTP {response.status} after {elapsed:.2f} s")
            if not 400 <= response.status < 600:
                raise CaseFailed(expected, f"HTTP {response.status}",
                                 wsspec_client.record.wirelog.tail())
            return


async def idle_client_is_dropped(wsspec_client: Client) -> None:
    await expect_dropped(wsspec_client, b"", 0.0)


async def slow_client_is_dropped(wsspec_client: Client) -> None:
    await expect_dropped(
        wsspec_client, wsspec_client.request().encode(), min(1.0, deadline(wsspec_client) / 4)
    )


#: observation → (title, requirement, observation).
DEADLINES: dict[str, tuple[str, str, Observation]] = {
    "idle": (
        "a client that never sends a handshake is dropped within handshake_timeout",
        "A TCP connection on which no opening handshake arrives is closed within the "
        "declared handshake_timeout (RFC 6455 10.4: protect against exhaustion).",
        idle_client_is_dropped,
    ),
    "slow": (
        "a client sending its handshake byte by byte is dropped within handshake_timeout",
        "An opening handshake that trickles in a byte at a time is given handshake_timeout "
        "in all, not per byte: the connection is closed within it (RFC 6455 10.4).",
        slow_client_is_dropped,
    ),
}


DEADLINE_CASES = TimerCases("test_handshake_deadline", "client_kind",
                            {key: row[2] for key, row in DEADLINES.items()})


@pytest.fixture
def handshake_deadlines(request: pytest.FixtureRequest) -> ConcurrentObservations:
    """The handshake-deadline observations of the cases this run selected, run at once."""
    return DEADLINE_CASES.batch(request)


@pytest.mark.parametrize(("client_kind", "title", "requirement"),
                         [(key, row[0], row[1]) for key, row in DEADLINES.items()],
                         ids=list(DEADLINES))
@case(
    "limits.policy.handshake-timeout.{client_kind}",
    title="{title}",
    rfc="RFC6455 10.4 MUST",
    requirement="{requirement}",
    needs=("handshake_timeout",),
)
async def test_handshake_deadline(
    wsspec_client: Client,
    handshake_deadlines: ConcurrentObservations,
    client_kind: str,
    title: str,
    requirement: str,
) -> None:
    del title, requirement  # shown in the case's metadata
    await handshake_deadlines.take(client_kind, wsspec_client)

