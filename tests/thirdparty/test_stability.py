"""scripts/stability.py: which verdict changes across runs count as which flip.

Runs by default: the classification and the command line need no server.
"""

from __future__ import annotations

import pytest
from conftest import load_script

stability = load_script("stability")


@pytest.mark.parametrize(("verdicts", "kind"), [
    (["pass", "pass", "pass"], None),
    (["fail"], None),
    (["pass", "non-strict", "pass"], "pass/non-strict"),
    (["informational", "pass"], "pass/non-strict"),
    (["pass", "fail"], "fail/not-fail"),
    (["non-strict", "error"], "fail/not-fail"),
    (["pass", "absent"], "fail/not-fail"),
    (["unsupported", "pass"], "fail/not-fail"),
    (["fail", "error", "fail"], "fail/error"),
])
def test_a_flip_is_classified_by_the_verdicts_seen(verdicts: list[str], kind: str | None) -> None:
    assert stability.classify(verdicts) == kind


def test_flips_list_the_changing_cases_worst_first_against_the_expected_file() -> None:
    runs = [
        {"a.steady": "pass", "b.soft": "pass", "c.hard": "pass", "fuzz.x": "pass"},
        {"a.steady": "pass", "b.soft": "non-strict", "c.hard": "fail", "fuzz.x": "fail"},
        {"a.steady": "pass", "b.soft": "pass", "fuzz.x": "pass"},
    ]
    observed = [{"b.soft": "close 1002"}, {"b.soft": "TCP close"}, {"b.soft": "close 1002"}]
    flips = stability.find_flips(runs, observed, {"b.soft": ["pass", "non-strict"]})
    assert [(f.case, f.kind, f.verdicts) for f in flips] == [
        ("c.hard", "fail/not-fail", ["pass", "fail", "absent"]),
        ("fuzz.x", "fail/not-fail", ["pass", "fail", "pass"]),
        ("b.soft", "pass/non-strict", ["pass", "non-strict", "pass"]),
    ]
    soft = flips[2]
    assert soft.recorded and soft.compared
    assert soft.observations == {"close 1002": [1, 3], "TCP close": [2]}
    assert not flips[0].recorded
    assert not flips[1].compared  # the fuzz section's verdicts are not compared


@pytest.mark.parametrize(("args", "named"), [
    (["--runs", "0"], "--runs"),
    (["--runs", "51"], "--runs"),
    (["--servers", "nginx"], "--servers: unknown nginx"),
    (["--workers", "-1"], "--workers"),
    (["--run-timeout", "0"], "--run-timeout"),
])
def test_bad_arguments_stop_with_one_line_naming_them(
        args: list[str], named: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        stability.parse_args(args)
    assert stopped.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert named in error
