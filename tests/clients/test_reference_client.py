"""The reference client passes the whole client catalogue, and the run reports like a server run."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import slow_enabled
from wsspec.targets.clients.reference import TIMERS_CLIENT_PROFILE, reference_command

from .helpers import run_clients

#: the cases with no right answer: a close code beyond RFC 6455's ranges; and the invalid
#: permessage-deflate responses its offer (client_max_window_bits without a value, no
#: server_max_window_bits) leaves nothing to send for.
INFORMATIONAL = {"client.close.beyond-ranges.code-5000", "client.close.beyond-ranges.code-65535",
                 "client.deflate.refuse.client-window-unoffered",
                 "client.deflate.refuse.server-window-above-offer"}


def test_reference_client_passes_every_case(tmp_path: Path) -> None:
    run = run_clients(reference_command(), tmp_path, "-n", "2", "-q", "-m", "not slow")
    assert run.returncode == 0, run.output[-3000:]
    report = run.report()
    verdicts = run.verdicts()
    assert len(verdicts) >= 250
    assert all(case_id.startswith("client.") for case_id in verdicts)
    # the timer cases need a profile that declares the timers
    timers = {"client.heartbeat.pings", "client.heartbeat.timeout",
              "client.close.reconnect.backoff"}
    assert {case_id for case_id, verdict in verdicts.items() if verdict == "unsupported"} == timers
    assert {case_id for case_id, verdict in verdicts.items()
            if verdict not in ("pass", "unsupported")} == INFORMATIONAL
    assert report["target"]["url"].startswith("client: ")
    assert report["target"]["profile"]["origin"] == "http://wsspec.test"
    case = next(c for c in report["cases"] if c["id"] == "client.framing.echo.text-125")
    assert case["autobahn"] == "1.1.2"
    assert case["section"] == "framing"
    assert {entry["dir"] for entry in case["wirelog"]} == {"in", "out", "event"}
    assert (tmp_path / "reports" / "index.html").is_file()


def test_reference_client_with_timers_passes_the_timer_cases(tmp_path: Path) -> None:
    run = run_clients(reference_command(timers=True), tmp_path, "-q", "-k",
                      "heartbeat or reconnect", profile=TIMERS_CLIENT_PROFILE)
    assert run.returncode == 0, run.output[-3000:]
    assert run.verdicts() == {"client.heartbeat.pings": "pass", "client.heartbeat.timeout": "pass",
                              "client.close.reconnect.backoff": "pass"}
    observed = {case["id"]: case["observed"] for case in run.report()["cases"]}
    assert observed["client.close.reconnect.backoff"].startswith("reconnected after ")


def test_the_wsspec_command_tests_a_client(tmp_path: Path) -> None:
    from conftest import run_tool

    run = run_tool(["wsspec", "client", "--client-cmd", reference_command(), "-m", "rsv"],
                   tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert set(run.verdicts().values()) == {"pass"}
    assert len(run.verdicts()) == 7


def test_a_server_run_does_not_collect_the_client_cases(tmp_path: Path) -> None:
    from conftest import run_tool

    run = run_tool(["--target=reference", "--collect-only", "-q"], tmp_path)
    assert run.returncode == 0, run.output[-2000:]
    assert "clients/" not in run.output and "test_frames.py" not in run.output


@pytest.mark.slow
def test_reference_client_passes_the_large_message_cases(request: pytest.FixtureRequest,
                                                        tmp_path: Path) -> None:
    if not slow_enabled(request.config):
        pytest.skip("slow: run with -m slow or WSSPEC_SLOW=1")
    run = run_clients(reference_command(), tmp_path, "-n", "2", "-q", "-m", "slow")
    assert run.returncode == 0, run.output[-3000:]
    verdicts = run.verdicts()
    assert len(verdicts) == 54 and set(verdicts.values()) == {"pass"}
