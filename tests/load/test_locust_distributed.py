"""The Locust engine distributed on loopback: a master and two workers, one merged report.

Each worker holds its users' sessions (strict parser, echo identity checks);
the master merges their counts and histograms into report.json's ``load``
section next to Locust's own totals, and writes Locust's CSV.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import wsspec.load
from wsspec.launcher import free_port, launch

from .loadruns import faulty_cmd, reference_cmd

# find_spec, not importorskip: importing Locust here would monkey-patch this process
# (gevent), threads and all, under pytest-xdist's feet
pytestmark = pytest.mark.skipif(importlib.util.find_spec("locust") is None,
                                reason="the Locust engine needs the load extra")


def _locust(*args: str) -> list[str]:
    locustfile = Path(wsspec.load.__file__).parent / "locustfile.py"
    return [sys.executable, "-m", "locust", "-f", str(locustfile), *args]


def _distributed(tmp_path: Path, server_cmd: str, stages: str) -> tuple[int, dict, str]:
    server = launch(server_cmd)
    port = free_port()
    reports = tmp_path / "reports"
    try:
        master = subprocess.Popen(
            _locust("--master", "--headless", "--expect-workers", "2",
                    "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                    "--host", server.url, "--wsspec-stages", stages, "--wsspec-ramp", "200",
                    "--wsspec-rate", "4", "--wsspec-report-dir", str(reports),
                    "--csv", str(tmp_path / "locust"), "--only-summary"),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
        workers = [subprocess.Popen(
            _locust("--worker", "--master-host", "127.0.0.1", "--master-port", str(port)),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
            for _ in range(2)]
        try:
            output, _ = master.communicate(timeout=90)
        finally:
            for process in [master, *workers]:
                if process.poll() is None:
                    process.kill()
                process.wait(10)
    finally:
        server.stop()
    report = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    return master.returncode, report, output


def test_a_master_and_two_workers_merge_into_one_report(tmp_path: Path) -> None:
    status, report, output = _distributed(tmp_path, reference_cmd(), "30:3s,60:4s")
    load = report["load"]
    assert status == 0, output[-3000:]
    assert load["engine"] == "locust" and load["locust"]["workers"] == 2
    assert [s["connections"] for s in load["stages"]] == [30, 60]
    totals = load["totals"]
    assert totals["opened"] == 60 and totals["violation_count"] == 0, totals
    # the merged histogram counts every echo Locust counted
    echoes = totals["rtt_ms"]["count"]
    assert echoes == totals["messages_received"] > 300
    assert load["locust"]["requests"] == echoes + totals["opened"]
    assert (tmp_path / "locust_stats.csv").read_text(encoding="utf-8").count("echo") == 1
    assert (tmp_path / "reports" / "load.html").is_file()


def test_the_workers_check_integrity_too(tmp_path: Path) -> None:
    status, report, output = _distributed(tmp_path, faulty_cmd("cross-sessions"),
                                          "60:3s,150:4s")
    load = report["load"]
    assert status == 1, output[-3000:]
    assert load["totals"]["violations"].get("crossed", 0) > 0
    assert not load["stages"][0]["violations"]
    assert any(e["kind"] == "crossed" and e["wirelog"] for e in load["examples"])


def test_processes_fork_workers_that_report_to_their_master(tmp_path: Path) -> None:
    server = launch(reference_cmd())
    try:
        done = subprocess.run(
            _locust("--headless", "--processes", "2", "--host", server.url,
                    "--wsspec-stages", "20:2s,30:2s", "--wsspec-ramp", "100", "--wsspec-rate",
                    "5", "--wsspec-report-dir", str(tmp_path / "reports"), "--only-summary"),
            capture_output=True, text=True, timeout=90, cwd=tmp_path)
    finally:
        server.stop()
    load = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))["load"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert load["locust"]["workers"] == 2 and load["totals"]["opened"] == 30
    assert load["totals"]["rtt_ms"]["count"] == load["totals"]["messages_received"] > 100
