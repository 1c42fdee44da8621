"""The first run a newcomer makes (``wsspec`` with no URL: the built-in reference
server, with ``targets/profiles/reference.toml``) exercises every section.

The default profile declares every capability a case of the catalogue needs,
the heartbeat included, and the heartbeat cases pass against the server that
profile starts. What stays unsupported is what the profile rules out by
declaring the rest: no auth scheme is left undeclared, and a subprotocol is not
required (a required one would turn every other case's client away).
"""

from __future__ import annotations

from typing import Any

from wsspec.casedocs import collect_cases
from wsspec.profile import load_profile
from wsspec.targets.profiles import REFERENCE_PROFILE

#: seconds the heartbeat section may take against the built-in server (its timers
#: take about ping_interval + timeout; the rest is startup, on a busy machine).
HEARTBEAT_RUN_TIMEOUT = 120.0


def test_the_default_profile_meets_every_need_of_the_catalogue() -> None:
    profile = load_profile(REFERENCE_PROFILE)
    lacking = {info.id: profile.lacks(info.needs) for info in collect_cases()
               if profile.lacks(info.needs)}
    assert lacking == {}


def test_the_default_profile_declares_a_heartbeat_the_run_can_watch() -> None:
    heartbeat = load_profile(REFERENCE_PROFILE).heartbeat
    assert heartbeat is not None
    # the heartbeat cases last about max(3 * ping_interval, ping_interval + timeout) plus
    # the tolerance, begun in the background when the run starts and run last: shorter
    # than a run of the whole catalogue (over 10 s on two cores), they cost it no time
    assert max(3 * heartbeat.ping_interval, heartbeat.ping_interval + heartbeat.timeout) <= 5.0


def test_the_heartbeat_cases_pass_against_the_built_in_server(run_in: Any) -> None:
    run = run_in("wsspec", "-m", "heartbeat", timeout=HEARTBEAT_RUN_TIMEOUT)
    verdicts = run.verdicts()
    assert verdicts == {f"heartbeat.{timer}": "pass" for timer in (
        "ping.interval", "keepalive.answering", "keepalive.unsolicited-pongs",
        "keepalive.client-pings", "drop.silent")}, run.output[-3000:]
