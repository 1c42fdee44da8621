"""What the reports keep of each wire log: everything for cases that need explaining,
the start and end of the others (``--wirelog=failed``, the default), or everything
(``--wirelog=full``). Only the reports change: the verdicts are the same."""

from __future__ import annotations

import random
from typing import Any

import pytest
from conftest import Run, server_cmd
from synthetic import wirelog
from wsspec.reporting.wirelog_keep import (
    SHORT_BYTES,
    SHORT_HEAD,
    SHORT_TAIL,
    WIRELOG_RUN_BUDGET,
    WireBudget,
    shorten,
)
from wsspec.verdicts import Verdict

#: against a server that corrupts echoes: two echo cases fail, a long ping case passes.
FAILING = ("framing.echo.binary", "framing.size.text.65536.chopped")
PASSING = "ping.pong.ten-in-a-row.octets"


def _log(entries: int) -> list[dict[str, Any]]:
    return wirelog(random.Random(7), entries, big_chunks=3)


def test_a_short_log_keeps_its_start_and_end_and_counts_the_rest() -> None:
    log = _log(40)
    short = shorten(log)
    assert len(short) == SHORT_HEAD + 1 + SHORT_TAIL
    assert [e["t"] for e in short[:SHORT_HEAD]] == [e["t"] for e in log[:SHORT_HEAD]]
    assert [e["t"] for e in short[-SHORT_TAIL:]] == [e["t"] for e in log[-SHORT_TAIL:]]
    left_out = len(log) - SHORT_HEAD - SHORT_TAIL
    assert short[SHORT_HEAD]["event"].startswith(f"{left_out} entries left out")
    assert "--wirelog=full" in short[SHORT_HEAD]["event"]


def test_a_short_log_cuts_each_chunk_and_keeps_its_length() -> None:
    log = _log(12)  # short enough to keep every entry
    short = shorten(log)
    assert len(short) == len(log)
    for kept, whole in zip(short, log, strict=True):
        if "bytes" not in whole:
            assert kept == whole
            continue
        assert kept["bytes"]["length"] == whole["bytes"]["length"]
        assert kept["bytes"]["hex"] == whole["bytes"]["hex"][:SHORT_BYTES * 2]
        cut = len(whole["bytes"]["hex"]) > SHORT_BYTES * 2
        assert kept["bytes"].get("truncated", False) == (cut or whole["bytes"].get("truncated",
                                                                                 False))
    assert any(e["bytes"]["length"] > SHORT_BYTES for e in log if "bytes" in e)
    assert log == _log(12)  # the original entries are left as they were


def test_a_note_never_stands_for_a_single_entry() -> None:
    log = _log(SHORT_HEAD + SHORT_TAIL + 1)
    assert len(shorten(log)) == len(log)


@pytest.mark.parametrize(("mode", "verdict", "kept"), [
    ("failed", Verdict.FAIL, "full"), ("failed", Verdict.ERROR, "full"),
    ("failed", Verdict.NON_STRICT, "full"), ("failed", Verdict.PASS, "short"),
    ("failed", Verdict.INFORMATIONAL, "short"), ("failed", Verdict.UNSUPPORTED, "short"),
    ("full", Verdict.PASS, "full"), ("full", Verdict.INFORMATIONAL, "full"),
])
def test_which_cases_keep_their_whole_log(mode: str, verdict: Verdict, kept: str) -> None:
    log = _log(60)
    case = {"verdict": verdict.value, "wirelog": log}
    WireBudget(WIRELOG_RUN_BUDGET, mode).keep_case(case)
    assert case["wirelog_kept"] == kept
    assert case["wirelog"] == (log if kept == "full" else shorten(log))


def _faulty_run(run_in: Any, *extra: str) -> Run:
    cmd = server_cmd("wsspec.targets.faulty", "--port", "{port}", "--fault", "corrupt-echo")
    run: Run = run_in(f"--target-cmd={cmd}", "--case-timeout=1",
                      "-k", " or ".join([*FAILING, PASSING]), *extra)
    assert run.returncode == 1, run.output
    return run


def test_a_run_keeps_whole_logs_of_failed_cases_only_unless_asked(run_in: Any) -> None:
    default = _faulty_run(run_in)
    cases = {c["id"]: c for c in default.report()["cases"]}  # schema-validated
    full = {c["id"]: c for c in _faulty_run(run_in, "--wirelog=full").report()["cases"]}
    assert {i: c["verdict"] for i, c in cases.items()} == {i: c["verdict"]
                                                            for i, c in full.items()}
    assert {i for i, c in cases.items() if c["verdict"] == "fail"} == set(FAILING)
    for case_id in FAILING:
        log = cases[case_id]["wirelog"]
        assert cases[case_id]["wirelog_kept"] == "full"
        assert not any("entries left out" in e.get("event", "") for e in log)
    long_log = cases["framing.size.text.65536.chopped"]["wirelog"]
    assert len(long_log) > SHORT_HEAD + SHORT_TAIL + 1
    assert any(len(e["bytes"]["hex"]) > SHORT_BYTES * 2 for e in long_log if "bytes" in e)
    passing, whole = cases[PASSING], full[PASSING]
    assert passing["wirelog_kept"] == "short" and whole["wirelog_kept"] == "full"
    assert len(passing["wirelog"]) == SHORT_HEAD + 1 + SHORT_TAIL < len(whole["wirelog"])
    # (two runs of a case need not log the same number of entries)
    count, _, rest = passing["wirelog"][SHORT_HEAD]["event"].partition(" ")
    assert int(count) > 1 and rest.startswith("entries left out")


def test_the_wsspec_command_passes_wirelog_on(run_in: Any) -> None:
    run = run_in("wsspec", "-k", PASSING, "--wirelog=full")
    assert run.returncode == 0, run.output
    assert [c["wirelog_kept"] for c in run.report()["cases"]] == ["full"]


def test_a_bad_wirelog_value_is_one_clear_line(run_in: Any, tmp_path: Any) -> None:
    run = run_in("--target=reference", "-k", PASSING, "--wirelog=some")
    assert run.returncode == 4
    assert "--wirelog: expected failed or full, got 'some'" in run.output
    (tmp_path / "pytest.ini").write_text("[pytest]\nwsspec_wirelog = some\n")
    run = run_in("--target=reference", "-k", PASSING, "-n", "2")  # stops before any case
    assert run.returncode == 4, run.output
    assert "INTERNALERROR" not in run.output
    assert "--wirelog: expected failed or full, got 'some'" in run.output
