"""Client cases: the client's own timers, as its profile declares them.

A heartbeat (``[heartbeat]``): the client pings at least every
``ping_interval`` and gives up on a server silent for ``timeout``. A
reconnection policy (``[reconnect]``): after the server drops the connection
without a close frame, the client connects again after at least
``initial_delay``, at most ``max_delay``, with delays that grow (RFC 6455
§7.2.3). Every bound has the run's ``--heartbeat-tolerance`` of slack; every
wait is for an event, with a deadline.
"""

from __future__ import annotations

import time

from wsspec.clientside.cases import client_case
from wsspec.clientside.session import ClientUnderTest
from wsspec.driver.base import StreamEnd
from wsspec.protocol import Frame, Opcode
from wsspec.verdicts import HarnessError, Verdict, fail

#: pings timed by the heartbeat case.
PINGS = 3
#: reconnections timed by the back-off case.
RECONNECTIONS = 3
#: how much longer than the first the last reconnection delay must be to count as growing.
GROWTH = 1.5


@client_case(
    "client.heartbeat.pings",
    title=f"the client pings at least every ping_interval ({PINGS} pings)",
    rfc="RFC6455 5.5.2 MAY",
    requirement="A Ping frame MAY serve as a keepalive; a client whose profile declares a "
                "ping interval sends one at least that often.",
    needs=("heartbeat",),
)
def test_pings(wsspec_client_under_test: ClientUnderTest) -> None:
    client = wsspec_client_under_test
    assert client.profile.heartbeat is not None
    limit = client.profile.heartbeat.ping_interval + client.tolerance
    connection = client.open()
    last, gaps = time.monotonic(), []
    for n in range(PINGS):
        event = connection.next_event(last + limit, keep=(Opcode.PING,))
        since = time.monotonic() - last
        expected = f"a ping within {limit:g} s of the {'last ping' if n else 'opening'}"
        if not (isinstance(event, Frame) and event.opcode == Opcode.PING):
            fail(expected, connection.describe(event) if event is not None
                 else f"none after {since:.2f} s")
        gaps.append(since)
        last = time.monotonic()
        connection.send_frame(Opcode.PONG, event.payload)
    connection.close()
    client.record.observe(f"{PINGS} pings, each within {limit:g} s",
                          "pings after " + ", ".join(f"{gap:.2f}" for gap in gaps) + " s")


@client_case(
    "client.heartbeat.timeout",
    title="the client gives up on a silent server after its timeout",
    rfc="RFC6455 7.1.7 MAY",
    requirement="An endpoint MAY fail a connection whose peer has gone silent; a client whose "
                "profile declares a heartbeat timeout does so once the server has been silent "
                "that long, not much earlier and not much later.",
    needs=("heartbeat",),
)
def test_silent_server(wsspec_client_under_test: ClientUnderTest) -> None:
    client = wsspec_client_under_test
    assert client.profile.heartbeat is not None
    declared = client.profile.heartbeat.timeout
    expected = f"the client fails the connection after {declared:g} s of silence " \
               f"(± {client.tolerance:g} s)"
    connection = client.open()
    silent_since = time.monotonic()
    while True:
        # pings are read and left unanswered: the server says nothing at all
        event = connection.next_event(silent_since + declared + client.tolerance,
                                      keep=(Opcode.PING, Opcode.PONG))
        if not (isinstance(event, Frame) and event.opcode in (Opcode.PING, Opcode.PONG)):
            break
    elapsed = time.monotonic() - silent_since
    if event is None:
        fail(expected, f"the connection still open after {elapsed:.2f} s of silence")
    ended = isinstance(event, StreamEnd) or (
        isinstance(event, Frame) and event.opcode == Opcode.CLOSE)
    if not ended:
        fail(expected, connection.describe(event))
    if elapsed < declared - client.tolerance:
        fail(expected, f"it gave up after {elapsed:.2f} s, before its declared timeout")
    client.record.observe(expected, f"{connection.describe(event)} after {elapsed:.2f} s")
    if isinstance(event, Frame):
        connection.reply_close(event.payload)


@client_case(
    "client.close.reconnect.backoff",
    title=f"after {RECONNECTIONS} lost connections, the client reconnects with growing delays",
    rfc="RFC6455 7.2.3 SHOULD",
    requirement="After an abnormal closure, the first reconnection SHOULD be delayed, and "
                "later ones by increasingly longer amounts of time (e.g. truncated binary "
                "exponential back-off); the delays keep within the declared bounds.",
    needs=("reconnect",),
)
def test_reconnect_backoff(wsspec_client_under_test: ClientUnderTest) -> None:
    client = wsspec_client_under_test
    policy = client.profile.reconnect
    assert policy is not None
    tolerance = client.tolerance
    expected = (f"reconnections after at least {policy.initial_delay:g} s, at most "
                f"{policy.max_delay:g} s, growing (± {tolerance:g} s)")
    connection = client.open()
    delays: list[float] = []
    for _ in range(RECONNECTIONS):
        connection.stream.close()  # the server is gone: no close frame (RFC 6455 §7.1.5: 1006)
        dropped = time.monotonic()
        try:
            connection = client.connect(within=policy.max_delay * 1.25 + tolerance)
        except HarnessError as exc:
            fail(expected, f"after {len(delays)} reconnections: {exc}")
        delays.append(time.monotonic() - dropped)
        connection.accept()
    connection.close()
    shown = ", ".join(f"{delay:.2f}" for delay in delays) + " s"
    client.record.observe(expected, f"reconnected after {shown}")
    # A timer fires late, never early: the slack below is at most half the delay.
    if delays[0] < policy.initial_delay - min(tolerance, policy.initial_delay / 2):
        fail(expected, f"the first reconnection came after {delays[0]:.2f} s ({shown})")
    # growth is half the first delay at least: a fixed delay measured late by a busy
    # machine must not pass for a back-off
    if delays[-1] < GROWTH * delays[0] and delays[0] < policy.max_delay - tolerance:
        client.record.downgrade(Verdict.NON_STRICT, f"the delays do not grow ({shown}; RFC "
                                f"6455 §7.2.3: increasingly longer delays)")
