"""Baselines: a run fails only on a change against the committed expected results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import server_cmd
from wsspec.reporting.baseline import (
    PLACEHOLDER,
    BaselineError,
    baseline_from_report,
    load_baseline,
)
from wsspec.verdicts import Verdict

CASES = "ping.pong.text-payload or framing.echo.binary or close.normal.1000"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "baseline.toml"
    path.write_text(text)
    return path


def test_judging_against_an_entry(tmp_path: Path) -> None:
    baseline = load_baseline(_write(tmp_path, '[cases."a.b"]\nverdict = "fail"\n'
                                              'reason = "known"\n'))
    assert baseline.judge("a.b", Verdict.FAIL).status == "accepted"  # type: ignore[union-attr]
    assert baseline.judge("a.b", Verdict.PASS).status == "fixed"  # type: ignore[union-attr]
    assert baseline.judge("a.b", Verdict.ERROR).status == "regressed"  # type: ignore[union-attr]
    # one order for every comparison, the Verdict enum's: informational is worse than
    # non-strict, error worse than fail
    informational = load_baseline(_write(tmp_path, '[cases."a.b"]\nverdict = "informational"\n'
                                                   'reason = "known"\n'))
    assert informational.judge("a.b", Verdict.NON_STRICT).status == "fixed"  # type: ignore[union-attr]
    assert informational.judge("a.b", Verdict.UNSUPPORTED).status == "regressed"  # type: ignore[union-attr]
    assert baseline.judge("other", Verdict.FAIL) is None
    lenient = load_baseline(_write(tmp_path, '[cases."a.b"]\nverdict = "non-strict"\n'
                                             'reason = "known"\n'))
    judged = lenient.judge("a.b", Verdict.FAIL)
    assert judged is not None and judged.fails
    assert judged.describe().startswith("regressed: the baseline expects non-strict")


@pytest.mark.parametrize(("text", "message"), [
    ('[cases."a"]\nverdict = "fail"\n', 'cases."a".reason: missing'),
    ('[cases."a"]\nverdict = "bad"\nreason = "x"\n', "'bad' is not one of pass"),
    ('[cases."a"]\nverdict = "fail"\nreason = "x"\nwhy = 1\n', "unknown key 'why'"),
    ("cases = 3\n", "'cases' must be a table"),
    ("[other]\n", "unknown key 'other'"),
    ("[cases\n", "not valid TOML"),
])
def test_a_bad_baseline_gets_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BaselineError) as caught:
        load_baseline(_write(tmp_path, text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_baseline_file_stops_the_run_in_one_line(run_in: Any) -> None:
    run = run_in("--target=reference", "--baseline=nowhere.toml", "-k", "close.normal.1000")
    assert run.returncode == 4
    assert "ERROR: --baseline nowhere.toml: no such file" in run.output


def test_a_written_baseline_lists_every_non_pass_case_with_a_placeholder() -> None:
    report = {"target": {"url": "x"}, "started": "now", "cases": [
        {"id": "a.1", "verdict": "fail"}, {"id": "a.2", "verdict": "pass"},
        {"id": 'a."3"', "verdict": "non-strict"}]}
    text = baseline_from_report(report)
    assert '[cases."a.1"]' in text and "a.2" not in text and '[cases."a.\\"3\\""]' in text
    assert text.count(PLACEHOLDER) == 2


def test_a_faulty_server_passes_against_its_own_baseline_and_fails_on_a_new_fault(
        run_in: Any) -> None:
    no_pong = server_cmd("wsspec.targets.faulty", "--port", "{port}", "--fault", "no-pong")
    first = run_in(f"--target-cmd={no_pong}", "--case-timeout=1", "-k", CASES)
    assert first.returncode == 1, first.output
    assert first.verdicts()["ping.pong.text-payload"] == "fail"

    written = run_in("wsspec", "baseline", "reports/report.json", "-o", "baseline.toml")
    assert written.returncode == 0, written.output
    baseline = (first.cwd / "baseline.toml").read_text()
    assert '[cases."ping.pong.text-payload"]' in baseline

    again = run_in("wsspec", "--target-cmd", no_pong, "--timeout", "1", "-k", CASES,
                   "--baseline", "baseline.toml")
    assert again.returncode == 0, again.output
    assert "keep the placeholder reason" in again.output
    report = again.report()
    case = next(c for c in report["cases"] if c["id"] == "ping.pong.text-payload")
    assert case["verdict"] == "fail"
    assert case["baseline"] == f"accepted ({PLACEHOLDER})"
    assert report["baseline"] == {"file": "baseline.toml", "accepted": 1, "fixed": 0,
                                  "regressed": 0}
    assert 'class="headline PASS"' in (again.cwd / "reports" / "index.html").read_text()

    worse = server_cmd("wsspec.targets.faulty", "--port", "{port}", "--fault", "no-pong",
                       "--fault", "corrupt-echo")
    broken = run_in(f"--target-cmd={worse}", "--case-timeout=1", "-k", CASES,
                    "--baseline=baseline.toml")
    assert broken.returncode == 1, broken.output
    verdicts = broken.verdicts()
    assert verdicts["framing.echo.binary"] == "fail"
    assert verdicts["ping.pong.text-payload"] == "fail"
    # every new failure fails the run; the accepted one does not
    cases = broken.report()["cases"]
    new = [c for c in cases if c["verdict"] == "fail" and "baseline" not in c]
    assert new and f"{len(new)} failed" in broken.output

    fixed = run_in("--target=reference", "-k", CASES, "--baseline=baseline.toml")
    assert fixed.returncode == 0, fixed.output
    assert "ping.pong.text-payload: pass, fixed: the baseline expects fail" in fixed.output


def test_a_regression_against_a_pass_entry_fails_the_case(run_in: Any, tmp_path: Path) -> None:
    (tmp_path / "baseline.toml").write_text(
        '[cases."ping.pong.text-payload"]\nverdict = "pass"\nreason = "must keep working"\n')
    no_pong = server_cmd("wsspec.targets.faulty", "--port", "{port}", "--fault", "no-pong")
    run = run_in(f"--target-cmd={no_pong}", "--case-timeout=1", "-k", "ping.pong.text-payload",
                 "--baseline=baseline.toml")
    assert run.returncode == 1
    case = run.report()["cases"][0]
    assert case["baseline"].startswith("regressed: the baseline expects pass")
    assert run.report()["baseline"]["regressed"] == 1
