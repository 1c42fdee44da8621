"""The server's heartbeat (RFC 6455 sections 5.5.2 and 5.5.3; the profile's
``[heartbeat]`` table). Autobahn|Testsuite has no such section: its cases
never wait for the server to act on its own.

RFC 6455 5.5.2 makes a ping "a keepalive or a means to verify that the remote
endpoint is still responsive", and 5.5.3 lets a pong be sent unsolicited, as a
unidirectional heartbeat, that needs no answer. A profile that declares
``[heartbeat]`` promises that the server pings every ``ping_interval`` seconds
and drops a client that has not answered within ``timeout`` seconds. The
cases check both halves of the promise, and that the heartbeat leaves alone
what it must leave alone:

* ``ping.interval``: pings come, the first within ``ping_interval`` of the
  101 and each next one within ``ping_interval`` of the previous;
* ``keepalive.answering``: a client that answers every ping stays connected
  for several intervals, well past ``timeout``, and the connection still works;
* ``keepalive.unsolicited-pongs``: so does a client that also sends pongs
  nobody asked for (5.5.3: "a response to an unsolicited Pong frame is not
  expected");
* ``keepalive.client-pings``: a client that pings the server throughout gets
  a pong for each ping (5.5.2) while the heartbeat runs;
* ``drop.silent``: a client that never answers is dropped within ``timeout``
  of the first ping. A close frame (any code the client may receive) passes;
  a TCP close without one is non-strict (RFC 6455 7.1.7 SHOULD send a close
  frame first). A server that never pings never drops a silent client either:
  that fails here too.

Every bound is widened by ``--heartbeat-tolerance`` seconds (0.5 by default).
These cases wait for the server's timers, so they run at once
(:class:`~wsspec.dsl.ConcurrentObservations`): the section costs
about ``ping_interval + timeout`` plus the tolerance, not five times that.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from wsspec.cases import TimerCases, case
from wsspec.driver.base import StreamEnd
from wsspec.dsl import Client, ConcurrentObservations, Connection, Observation
from wsspec.profile import HeartbeatPolicy
from wsspec.protocol.close import parse_close_payload
from wsspec.protocol.frames import Frame, Opcode
from wsspec.protocol.messages import Message
from wsspec.verdicts import CaseFailed, Verdict

RULE = "RFC6455 5.5.2; profile [heartbeat]"
#: pings the ping.interval case waits for.
PINGS = 3


def policy(wsspec_client: Client) -> HeartbeatPolicy:
    heartbeat = wsspec_client.profile.heartbeat
    assert heartbeat is not None
    return heartbeat


def tolerance(wsspec_client: Client) -> float:
    return wsspec_client.target.heartbeat_tolerance


def window(wsspec_client: Client) -> float:
    """How long the keep-alive cases stay connected: three intervals, and at least
    until a client whose answers went unnoticed would have been dropped."""
    heartbeat = policy(wsspec_client)
    return max(PINGS * heartbeat.ping_interval,
               heartbeat.ping_interval + heartbeat.timeout) + tolerance(wsspec_client)


def describe(event: Frame | Message | StreamEnd | None) -> str:
    if event is None:
        return "nothing"
    if isinstance(event, StreamEnd):
        return "TCP connection closed" if event is StreamEnd.FIN else "connection reset"
    if isinstance(event, Message):
        return f"a message of {len(event.data)} bytes"
    if event.opcode == Opcode.CLOSE:
        info = parse_close_payload(event.payload)
        return f"close frame {info.code}" + (f" {info.reason!r}" if info.reason else "")
    return event.describe()


async def still_works(wsspec_client: Client, ws: Connection) -> None:
    """The connection still carries traffic: an echo (or a pong), then a clean close."""
    ws.auto_pong = True  # the server's next ping may come meanwhile
    if wsspec_client.profile.echo:
        await ws.expect_echo("wsspec: still connected")
    else:
        await ws.send_frame(Opcode.PING, b"wsspec: still connected")
        await ws.expect_pong(b"wsspec: still connected")
    await ws.close()


# -- the observations ----------------------------------------------------------------


async def pings_on_time(wsspec_client: Client) -> None:
    heartbeat = policy(wsspec_client)
    bound = heartbeat.ping_interval + tolerance(wsspec_client)
    expected = (f"{PINGS} pings, each within ping_interval {heartbeat.ping_interval:g} s "
                f"(+{tolerance(wsspec_client):g} s) of the 101 or of the previous ping ({RULE})")
    ws = await wsspec_client.open()
    ws.auto_pong = False
    gaps: list[str] = []
    last = ws.driver.clock()
    while len(gaps) < PINGS:
        event = await ws.next_event(max(0.0, last + bound - ws.driver.clock()))
        now = ws.driver.clock()
        if isinstance(event, Message):
            continue
        if not isinstance(event, Frame) or event.opcode != Opcode.PING:
            shown = ", ".join(gaps) or "no ping"
            raise CaseFailed(expected, f"{shown}, then {describe(event)} within {bound:g} s",
                             wsspec_client.record.wirelog.tail())
        gaps.append(f"{now - last:.2f} s")
        last = now
        await ws.send_frame(Opcode.PONG, event.payload)
    wsspec_client.record.observe(expected, f"pings after {', '.join(gaps)}")
    await still_works(wsspec_client, ws)


async def stay_connected(wsspec_client: Client, ws: Connection, *, every: float | None = None,
                         on_tick: Callable[[int], Awaitable[None]] | None = None) -> int:
    """Answer every ping for :func:`window` seconds (calling ``on_tick`` each
    ``every`` s); the connection must stay open. Returns the pings answered."""
    expected = (f"the connection kept open for {window(wsspec_client):g} s, past timeout "
                f"{policy(wsspec_client).timeout:g} s, while every ping is answered ({RULE})")
    ws.auto_pong = False
    end = ws.driver.clock() + window(wsspec_client)
    next_tick = ws.driver.clock() if every is not None else end
    answered = ticks = 0
    while True:
        now = ws.driver.clock()
        if now >= end:
            return answered
        if on_tick is not None and now >= next_tick:
            await on_tick(ticks)
            ticks += 1
            next_tick = now + (every or 0.0)
        event = await ws.next_event(max(0.0, min(end, next_tick) - now))
        if event is None or isinstance(event, Message):
            continue
        if isinstance(event, Frame) and event.opcode == Opcode.PING:
            await ws.send_frame(Opcode.PONG, event.payload)
            answered += 1
            continue
        if isinstance(event, Frame) and event.opcode == Opcode.PONG:
            continue  # a server may send unsolicited pongs too (5.5.3)
        raise CaseFailed(
            expected,
            f"{describe(event)} after {now - end + window(wsspec_client):.2f} s "
            f"({answered} pings answered)",
            wsspec_client.record.wirelog.tail(),
        )


async def answering_client_is_kept(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    answered = await stay_connected(wsspec_client, ws)
    wsspec_client.record.observe(
        f"connected for {window(wsspec_client):g} s while answering every ping",
        f"still connected after {window(wsspec_client):g} s, {answered} pings answered",
    )
    await still_works(wsspec_client, ws)


async def unsolicited_pongs_are_ignored(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    sent = 0

    async def pong(tick: int) -> None:
        nonlocal sent
        await ws.send_frame(Opcode.PONG, f"wsspec unsolicited {tick}".encode())
        sent += 1

    answered = await stay_connected(
        wsspec_client, ws, every=policy(wsspec_client).ping_interval / 2, on_tick=pong
    )
    wsspec_client.record.observe(
        f"connected for {window(wsspec_client):g} s while sending unsolicited pongs "
        "(RFC6455 5.5.3)",
        f"still connected, {sent} unsolicited pongs sent, {answered} pings answered",
    )
    await still_works(wsspec_client, ws)


async def client_pings_get_pongs(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    sent = 0
    wait = policy(wsspec_client).ping_interval + tolerance(wsspec_client)

    async def ping(tick: int) -> None:
        nonlocal sent
        await ws.send_frame(Opcode.PING, f"wsspec {tick}".encode())
        sent += 1
        await expect_own_pong(ws, tick, wait)

    answered = await stay_connected(
        wsspec_client, ws, every=policy(wsspec_client).ping_interval / 2, on_tick=ping
    )
    wsspec_client.record.observe(
        f"a pong for each of the client's pings for {window(wsspec_client):g} s (RFC6455 5.5.2)",
        f"{sent} pongs for {sent} pings, {answered} server pings answered")
    await still_works(wsspec_client, ws)


async def expect_own_pong(ws: Connection, tick: int, wait: float) -> None:
    """The pong of the client's ping ``tick``, answering server pings meanwhile."""
    payload = f"wsspec {tick}".encode()
    end = ws.driver.clock() + wait
    while True:
        event = await ws.next_event(max(0.0, end - ws.driver.clock()))
        if isinstance(event, Frame) and event.opcode == Opcode.PING:
            await ws.send_frame(Opcode.PONG, event.payload)
            continue
        if isinstance(event, Frame) and event.opcode == Opcode.PONG and event.payload == payload:
            return
        if isinstance(event, Message):
            continue
        raise CaseFailed(f"a pong with payload {payload!r} within {wait:g} s (RFC6455 5.5.2)",
                         describe(event), ws.wirelog.tail())


async def silent_client_is_dropped(wsspec_client: Client) -> None:
    heartbeat = policy(wsspec_client)
    tol = tolerance(wsspec_client)
    ws = await wsspec_client.open()
    ws.auto_pong = False
    opened = ws.driver.clock()
    first_ping: float | None = None
    expected = (f"dropped within timeout {heartbeat.timeout:g} s (+{tol:g} s) of the first "
                f"unanswered ping ({RULE})")
    while True:
        start = first_ping if first_ping is not None else opened + heartbeat.ping_interval
        remaining = start + heartbeat.timeout + tol - ws.driver.clock()
        event = await ws.next_event(max(0.0, remaining))
        now = ws.driver.clock()
        if isinstance(event, Frame) and event.opcode == Opcode.PING:
            if first_ping is None:
                first_ping = now
            continue
        if isinstance(event, Message):
            continue
        since = (f"{now - first_ping:.2f} s after the first ping" if first_ping is not None
                 else f"{now - opened:.2f} s after the 101, no ping sent")
        if event is None:
            raise CaseFailed(expected, f"still open {since}", wsspec_client.record.wirelog.tail())
        wsspec_client.record.observe(expected, f"{describe(event)} {since}")
        if isinstance(event, StreamEnd):
            wsspec_client.record.downgrade(
                Verdict.NON_STRICT,
                "TCP closed without a close frame (RFC6455 7.1.7 SHOULD send one first)")
            return
        if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
            if not ws.close_sent:
                await ws.send_close(parse_close_payload(event.payload).code)
            await ws.expect_tcp_close()
            return
        raise CaseFailed(expected, describe(event), wsspec_client.record.wirelog.tail())


# -- the cases -------------------------------------------------------------------------


#: timer → (observation, title, requirement).
TIMERS: dict[str, tuple[Observation, str, str]] = {
    "ping.interval": (
        pings_on_time,
        "the server pings every ping_interval",
        "The server sends a ping within ping_interval of the 101 and within ping_interval of "
        "each previous ping (RFC 6455 5.5.2: pings as keepalive).",
    ),
    "keepalive.answering": (
        answering_client_is_kept,
        "a client answering every ping stays connected past timeout",
        "A client that answers every ping with a pong (RFC 6455 5.5.3) is not dropped: it "
        "stays connected for several intervals, past timeout, and the connection works.",
    ),
    "keepalive.unsolicited-pongs": (
        unsolicited_pongs_are_ignored,
        "unsolicited pongs do not disturb the connection",
        "A pong may be sent unsolicited and needs no answer (RFC 6455 5.5.3): a client "
        "sending them besides its answers stays connected and the connection works.",
    ),
    "keepalive.client-pings": (
        client_pings_get_pongs,
        "the client's own pings get pongs while the heartbeat runs",
        "A server that pings still answers every ping of the client with a pong carrying "
        "its payload (RFC 6455 5.5.2, 5.5.3), throughout several intervals.",
    ),
    "drop.silent": (
        silent_client_is_dropped,
        "a client that never answers a ping is dropped within timeout",
        "A client that does not answer the server's pings is dropped within timeout of the "
        "first ping, with a close frame (RFC 6455 7.1.7 SHOULD) or a TCP close.",
    ),
}


HEARTBEAT_CASES = TimerCases("test_heartbeat", "timer",
                             {key: row[0] for key, row in TIMERS.items()})


@pytest.fixture
def timers(request: pytest.FixtureRequest) -> ConcurrentObservations:
    """The heartbeat observations of the cases this run selected, run at once."""
    return HEARTBEAT_CASES.batch(request)


@pytest.mark.parametrize(("timer", "title", "requirement"),
                         [(key, row[1], row[2]) for key, row in TIMERS.items()],
                         ids=list(TIMERS))
@case(
    "heartbeat.{timer}",
    title="{title}",
    rfc="profile [heartbeat]",
    requirement="{requirement}",
    needs=("heartbeat",),
)
async def test_heartbeat(wsspec_client: Client, timers: ConcurrentObservations, timer: str,
                         title: str, requirement: str) -> None:
    del title, requirement  # shown in the case's metadata
    await timers.take(timer, wsspec_client)
