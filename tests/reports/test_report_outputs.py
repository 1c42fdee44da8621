"""A real run's outputs: report.json, index.html, index.json, JUnit XML, step summary."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, run_tool, validate_report

SEED_CASES = ("handshake.accept.valid", "framing.echo.text", "framing.echo.binary",
              "ping.pong.text-payload", "close.normal.1000")
AUTOBAHN_KEYS = {"behavior", "behaviorClose", "duration", "remoteCloseCode", "reportfile"}


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Run:
    """The seed cases against the reference server, with JUnit XML, in a fresh folder."""
    folder = tmp_path_factory.mktemp("seed")
    run = run_tool(["--target=reference", "-k", " or ".join(SEED_CASES),
                    "--junitxml=reports/junit.xml"], folder)
    assert run.returncode == 0, run.output
    return run


def test_a_run_writes_every_output_next_to_report_json(seed_run: Run) -> None:
    folder = seed_run.cwd / "reports"
    assert {p.name for p in folder.iterdir()} >= {"report.json", "index.html", "index.json",
                                                  "junit.xml"}
    report = seed_run.report()  # schema-validated
    assert {c["id"] for c in report["cases"]} >= set(SEED_CASES)
    assert all("requirement" in c and c["requirement"] for c in report["cases"])


def test_index_html_is_self_contained_and_carries_each_case(seed_run: Run) -> None:
    html = (seed_run.cwd / "reports" / "index.html").read_text()
    assert "<script src" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"url\(", html)
    assert 'class="headline PASS"' in html
    assert "https://www.rfc-editor.org/rfc/rfc6455#section-" in html
    # the rerun commands are built when a case opens (the browser test checks them whole)
    assert '"rerun":["wsspec -k ","pytest --target=reference -k "]' in html
    assert '<span class="cid mono">framing.echo.text</span>' in html
    assert html.count('<details class="case"') == len(seed_run.report()["cases"])


def test_index_json_follows_autobahn_s_format(seed_run: Run) -> None:
    index = json.loads((seed_run.cwd / "reports" / "index.json").read_text())
    assert list(index) == ["reference"]
    cases = index["reference"]
    report = seed_run.report()
    claimed = {c["autobahn"] for c in report["cases"] if c["autobahn"]}
    assert set(cases) == claimed
    for entry in cases.values():
        assert set(entry) == AUTOBAHN_KEYS
        assert entry["behavior"] == "OK"
        assert isinstance(entry["duration"], int)
    assert cases["7.1.1"]["remoteCloseCode"] == 1000  # close.normal.1000
    assert cases["7.1.1"]["behaviorClose"] == "OK"


def _junit_cases(path: Path) -> list[dict[str, str]]:
    root = ET.parse(path).getroot()
    found = []
    for testcase in root.iter("testcase"):
        props = {p.get("name", ""): p.get("value", "") for p in testcase.iter("property")}
        found.append(props)
    return found


@pytest.mark.parametrize("parallel", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_junit_xml_carries_small_case_properties(run_in: Any, parallel: list[str]) -> None:
    run = run_in("--target=reference", "-k", " or ".join(SEED_CASES),
                 "--junitxml=reports/junit.xml", *parallel)
    assert run.returncode == 0, run.output
    junit = run.cwd / "reports" / "junit.xml"
    cases = _junit_cases(junit)
    by_id = {c["wsspec_id"]: c for c in cases if "wsspec_id" in c}
    assert set(by_id) == {c["id"] for c in run.report()["cases"]}
    case = next(c for c in run.report()["cases"] if c["id"] == "close.normal.1000")
    assert by_id["close.normal.1000"] == {
        "wsspec_id": case["id"], "wsspec_section": "close", "wsspec_rfc": case["rfc"],
        "wsspec_verdict": "pass", "wsspec_autobahn": case["autobahn"] or ""}
    assert case["rfc"].startswith("RFC6455")
    text = junit.read_text()
    assert "wsspec_case" not in text and "wirelog" not in text
    assert len(text) < 2000 * len(cases)


def test_the_step_summary_is_appended_when_github_asks(
        run_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = run_in("--target=reference", "-k", "framing.echo.text or close.normal.1000")
    assert run.returncode == 0, run.output
    text = summary.read_text()
    assert text.startswith("earlier step\n")
    assert "wsspec: PASS" in text and "| section |" in text and "| framing |" in text


def test_a_failing_run_lists_its_failures_in_the_summary(
        run_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import server_cmd

    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    cmd = server_cmd("wsspec.targets.faulty", "--port", "{port}", "--fault", "corrupt-echo")
    run = run_in(f"--target-cmd={cmd}", "--case-timeout=1", "-k", "framing.echo.binary")
    assert run.returncode == 1, run.output
    text = summary.read_text()
    assert "wsspec: FAIL" in text and "### Failed cases" in text
    assert "`framing.echo.binary`" in text
    html = (run.cwd / "reports" / "index.html").read_text()
    assert 'class="headline FAIL"' in html


def test_synthetic_reports_validate(tmp_path: Path) -> None:
    from synthetic import synthetic_report

    validate_report(synthetic_report(40))


def test_the_diagnosis_of_a_run_ended_early_heads_the_page_and_the_summary() -> None:
    from synthetic import synthetic_report
    from wsspec.reporting.formats.html import render_html
    from wsspec.reporting.formats.summary_md import summary_markdown

    report = synthetic_report(10)
    line = "target stopped answering opening handshakes: 3 consecutive cases <without>"
    report["diagnosis"] = line
    validate_report(report)
    assert f"**The run ended early:** {line}" in summary_markdown(report)
    page = render_html(report)
    assert ('<div id="diagnosis"><strong>The run ended early:</strong> target stopped answering '
            'opening handshakes: 3 consecutive cases &lt;without&gt;</div>') in page
    del report["diagnosis"]
    assert 'id="diagnosis"' not in render_html(report)
