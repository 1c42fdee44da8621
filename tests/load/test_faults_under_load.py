"""Servers that break a rule only under load are caught at the stage where they start.

Each load-faulty server (``wsspec.targets.loadfaulty``) runs in its own process; the
stages straddle its threshold, so the stage before must be clean and the stage
after must show the fault.
"""

from __future__ import annotations

from pathlib import Path

from .loadruns import faulty_cmd, needs_load_extra, reference_cmd, run_load, stage_of_first

pytestmark = needs_load_extra


def test_crossed_sessions_above_100_connections(tmp_path: Path) -> None:
    status, report = run_load(tmp_path, "--target-cmd", faulty_cmd("cross-sessions"),
                              "--stages", "60:1.5s,150:2s", "--rate", "5")
    load = report["load"]
    assert status == 1
    assert stage_of_first(load, "crossed") == 1
    assert not load["stages"][0]["violations"]
    crossed = next(e for e in load["examples"] if e["kind"] == "crossed")
    assert "of connection" in crossed["detail"] and crossed["wirelog"]


def test_pings_starved_beyond_the_300th_connection(tmp_path: Path) -> None:
    profile = tmp_path / "heartbeat.toml"
    profile.write_text("[heartbeat]\nping_interval = 0.4\ntimeout = 0.8\n", encoding="utf-8")
    status, report = run_load(tmp_path, "--target-cmd",
                              faulty_cmd("starve-pings", "--profile", str(profile)),
                              "--profile", str(profile), "--stages", "250:2.5s,350:2.5s",
                              "--rate", "0", "--ramp", "1000")
    load = report["load"]
    assert status == 1
    assert stage_of_first(load, "ping-starved") == 1
    # the connections beyond the 300th accepted (the launcher's probe was the first)
    assert 45 <= load["totals"]["violations"]["ping-starved"] <= 55
    first = load["stages"][0]
    assert first["pings"] > 250 and first["ping_deviation_ms"]["count"] == first["pings"]


def test_memory_kept_per_closed_connection(tmp_path: Path) -> None:
    churn = ("--stages", "40:2s,40:3s", "--rate", "2", "--lifetime", "0.2",
             "--memory-threshold", "16")
    status, report = run_load(tmp_path, "--target-cmd",
                              faulty_cmd("keep-memory", "--above", "400"), *churn)
    load = report["load"]
    assert status == 1, load["stages"]
    assert stage_of_first(load, "memory-kept") == 1
    assert load["stages"][1]["server"]["kept_per_closed_kib"] > 32
    # the same churn leaves the reference server's memory flat
    status, report = run_load(tmp_path / "ref", "--target-cmd", reference_cmd(), *churn)
    assert status == 0, report["load"]["stages"]
    assert report["load"]["stages"][1]["server"]["kept_per_closed_kib"] < 16


def test_resets_above_200_connections(tmp_path: Path) -> None:
    status, report = run_load(tmp_path, "--target-cmd", faulty_cmd("reset-above"),
                              "--stages", "150:1.5s,260:2s", "--rate", "1",
                              "--slo", "errors<0.1%")
    load = report["load"]
    assert status == 1
    assert stage_of_first(load, "reset", "errors") == 1
    assert not load["stages"][0]["errors"]
    assert [o["met"] for o in load["slo"]] == [False]


def test_close_frames_abandoned_under_load(tmp_path: Path) -> None:
    status, report = run_load(tmp_path, "--target-cmd", faulty_cmd("abandon-close"),
                              "--stages", "150:2s,260:2.5s", "--rate", "1", "--lifetime", "1",
                              "--close-timeout", "1")
    load = report["load"]
    assert status == 1
    assert stage_of_first(load, "close-abandoned") == 1
    assert load["stages"][0]["closed"] > 50  # closes were answered below the threshold
