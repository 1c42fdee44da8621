"""The compliant reference server passes a 1000-connection staged run, heartbeat and
permessage-deflate included, with no error and no rule broken."""

from __future__ import annotations

from pathlib import Path

from wsspec.launcher import launch

from .loadruns import needs_load_extra, needs_long, reference_cmd, run_load

pytestmark = needs_load_extra


def test_the_reference_server_passes_1000_connections(tmp_path: Path) -> None:
    profile = tmp_path / "reference.toml"
    profile.write_text("[heartbeat]\nping_interval = 1.0\ntimeout = 2.0\n\n"
                       "[deflate]\nenabled = true\n\n"
                       '[load]\nstages = ["200:2s", "500:2s", "1000:4s"]\nramp = 1000\n'
                       'message_rate = 1\ndeflate = true\nslo = "errors<0.1%"\n',
                       encoding="utf-8")
    status, report = run_load(tmp_path, "--target-cmd",
                              reference_cmd("--profile", str(profile)),
                              "--profile", str(profile))
    load = report["load"]
    totals = load["totals"]
    assert status == 0, (totals["errors"], load["examples"])
    assert [s["connections"] for s in load["stages"]] == [200, 500, 1000]
    assert load["stages"][2]["peak_connections"] == 1000
    assert totals["error_count"] == 0 and totals["violation_count"] == 0
    assert totals["messages_received"] > 1500
    assert totals["closed"] == totals["opened"] == 1000  # every close handshake completed
    # every connection was pinged; the timer deviations are reported stage by stage
    assert load["stages"][2]["pings"] >= 1000
    assert all(s["ping_deviation_ms"]["count"] == s["pings"] for s in load["stages"])
    assert load["scenario"]["pattern"]["deflate"] is True
    assert [o["met"] for o in load["slo"]] == [True]


def test_max_rate_keeps_the_window_full_and_checks_every_echo(tmp_path: Path) -> None:
    status, report = run_load(tmp_path, "--target-cmd", reference_cmd(), "--stages", "20:2s",
                              "--rate", "max", "--window", "8", "--loop", "asyncio")
    load = report["load"]
    assert status == 0, load["examples"]
    assert load["scenario"]["pattern"]["rate"] == "max"
    totals = load["totals"]
    assert totals["messages_received"] > 2000 and totals["violation_count"] == 0
    # at most the window was still awaited per connection when the run ended
    assert 0 <= totals["messages_sent"] - totals["messages_received"] <= 20 * 8


@needs_long
def test_a_soak_of_5000_churning_connections(tmp_path: Path) -> None:
    """Opt-in (WSSPEC_LOAD_LONG=1, about a minute): 5000 connections, each replaced every
    15 s, for a minute; the reference server keeps no memory per closed connection."""
    status, report = run_load(tmp_path, "--target-cmd", reference_cmd(), "--stages",
                              "5000:20s,5000:40s", "--rate", "0.2", "--lifetime", "15",
                              "--ramp", "1000", "--echo-timeout", "10")
    load = report["load"]
    assert status == 0, (load["totals"]["errors"], load["examples"])
    assert load["totals"]["peak_connections"] >= 4900
    steady = load["stages"][1]
    assert steady["closed"] > 5000 and steady["server"]["kept_per_closed_kib"] < 16


def test_server_pid_samples_a_running_servers_memory_and_cpu(tmp_path: Path) -> None:
    server = launch(reference_cmd())
    try:
        status, report = run_load(tmp_path, server.url, "--server-pid",
                                  str(server.process.pid), "--stages", "30:2.5s",
                                  "--rate", "20")
    finally:
        server.stop()
    load = report["load"]
    assert status == 0 and load["server_pid"] == server.process.pid
    sampled = [p for p in load["series"] if "server_rss_mb" in p]
    assert len(sampled) >= 2 and all(p["server_rss_mb"] > 5 for p in sampled)
    assert max(p["server_cpu_pct"] for p in sampled) > 0
    assert load["stages"][0]["server"]["rss_end_mb"] > 5
