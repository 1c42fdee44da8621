"""A load run's report: report.json follows the schema, load.html renders in headless
Chromium with its charts and violations, and ``wsspec compare`` sets two runs side by side."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import validate_report
from wsspec.cli import main as wsspec_main
from wsspec.reporting.load_page import render_load_page

from .loadruns import faulty_cmd, needs_load_extra, run_load

pytestmark = needs_load_extra

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The built-in reference server (in this process), three short stages."""
    folder = tmp_path_factory.mktemp("clean")
    status, report = run_load(folder, "--stages", "10:1s,30:1.5s,10:1s", "--rate", "10",
                              "--slo", "p99<2s,errors<1%")
    assert status == 0, report["load"]["examples"]
    return folder / "reports", report


@pytest.fixture(scope="module")
def crossed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("crossed")
    status, report = run_load(folder, "--target-cmd", faulty_cmd("cross-sessions", "--above",
                                                                 "20"),
                              "--stages", "10:1.5s,30:2s", "--rate", "10")
    assert status == 1
    return folder / "reports", report


def test_the_report_follows_the_schema(clean: tuple[Path, dict[str, Any]],
                                       crossed: tuple[Path, dict[str, Any]]) -> None:
    for _, report in (clean, crossed):
        validate_report(report)
    load = clean[1]["load"]
    assert [s["connections"] for s in load["stages"]] == [10, 30, 10]
    assert load["totals"]["rtt_ms"]["count"] == load["totals"]["messages_received"] > 100
    assert [o["met"] for o in load["slo"]] == [True, True]
    assert len(load["series"]) >= 3 and load["series"][-1]["t"] >= 3


def _dom(page: Path, profile: Path) -> str:
    done = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}",
                           "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert "<svg" in done.stdout, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing")
def test_the_page_renders_its_charts_in_chromium(clean: tuple[Path, dict[str, Any]],
                                                 crossed: tuple[Path, dict[str, Any]],
                                                 tmp_path: Path) -> None:
    dom = _dom(clean[0] / "load.html", tmp_path / "p1")
    assert 'id="verdict"' in dom and "PASSED" in dom
    for chart in ("chart-latency", "chart-connections", "chart-throughput", "chart-errors",
                  "chart-error-kinds"):
        assert f'id="{chart}"' in dom
    latency = dom.split('id="chart-latency"', 1)[1].split("</figure>", 1)[0]
    assert latency.count('class="series"') == 4  # p50, p90, p99, p99.9
    assert dom.count("<tr class=\"ok\">") == 3
    dom = _dom(crossed[0] / "load.html", tmp_path / "p2")
    assert "FAILED" in dom and 'data-kind="crossed"' in dom
    assert "<tr class=\"bad\">" in dom
    # the server ran in its own process: its memory and CPU are charted
    rss = dom.split('id="chart-rss"', 1)[1].split("</figure>", 1)[0]
    assert 'class="series"' in rss


def test_the_page_is_self_contained(clean: tuple[Path, dict[str, Any]]) -> None:
    page = render_load_page(clean[1])
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<script" not in page


def test_compare_sets_two_load_runs_side_by_side(clean: tuple[Path, dict[str, Any]],
                                                 crossed: tuple[Path, dict[str, Any]],
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "compare.html"
    status = wsspec_main(["compare", str(clean[0] / "report.json"),
                          str(crossed[0] / "report.json"), "--html", str(out)])
    assert status == 0
    text = capsys.readouterr().out
    assert "load runs: p99 ms / errors / violations per stage" in text
    total = next(line for line in text.splitlines() if line.strip().startswith("total"))
    violations = crossed[1]["load"]["totals"]["violation_count"]
    assert f"/ {violations}" in total and "p99" in total
    html = out.read_text(encoding="utf-8")
    body = html.split('id="load-compare"', 1)[1].split("<tbody>", 1)[1].split("</tbody>")[0]
    assert body.count("<tr>") == 4  # 3 stages (the second run has 2) and the totals
    assert "<td colspan=3>—</td>" in body


def test_the_github_step_summary_and_junit(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    junit = tmp_path / "junit.xml"
    status, report = run_load(tmp_path, "--stages", "5:1s", "--rate", "5",
                              "--slo", "p99<0.001ms", "--junit", str(junit))
    assert status == 1  # the objective cannot be met; no rule was broken
    assert report["load"]["totals"]["violation_count"] == 0
    text = summary.read_text(encoding="utf-8")
    assert "wsspec load" in text and "FAILED" in text and "`p99<0.001ms`" in text
    xml = junit.read_text(encoding="utf-8")
    assert 'failures="1"' in xml and 'name="crossed"' in xml and 'name="p99&lt;0.001ms"' in xml
    assert json.loads(json.dumps(report)) == report
