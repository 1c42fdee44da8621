"""The fuzz section against real third-party servers, compared with the catalogue by rule.

The fuzz section's verdicts do not repeat against a live server, so they are
not recorded in ``expected/<server>.json``; what must hold is that the fuzz
section finds no rule broken that the catalogue does not find broken too. The
section runs three times against each server, with seeds 1, 2 and 3 (three
different searches); every failing fuzz case names the rule its shrunk
example breaks (``rule: <name>``, :mod:`wsspec.fuzz.rules`), and each such
rule must have a catalogue case that checks it among the cases the server's
expected file records as failing, unless :data:`CATALOGUE_GAPS` names the
case the catalogue lacks. A fuzz case ending in error (the oracle and the
independent judge disagreeing) fails the test too.

Opt-in like the rest of the folder (``WSSPEC_THIRDPARTY=1``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_tool
from wsspec.compatdocs import allowed
from wsspec.fuzz.rules import catalogue_cases, rules_in
from wsspec.verdicts import Verdict

from thirdparty.test_compatibility import (  # noqa: F401 (fixtures the servers use)
    SERVERS,
    Target,
    gin_target,
    load_expected,
    node_target,
)

SEEDS = (1, 2, 3)

#: (server, rule) → why the catalogue does not fail a rule the fuzz section finds
#: broken: a case the catalogue lacks. Each entry must still be a gap (no catalogue
#: case of the rule fails for that server), or the test fails.
CATALOGUE_GAPS: dict[tuple[str, str], str] = {
    ("websockets", "invalid-utf8"):
        "websockets checks UTF-8 in its asyncio layer, when the application reads the "
        "message, while its protocol layer goes on parsing: a text frame that is not UTF-8 "
        "followed, in the same write, by a stray continuation fails the connection with 1002 "
        "for the continuation, a frame it must not process (RFC 6455 7.1.7, 8.1: 1007 for "
        "the text). The catalogue sends the invalid text alone, so it never sees this.",
}
#: seconds one fuzz run may take before it counts as hung.
RUN_TIMEOUT = 300.0


def catalogue_failures(expected: dict[str, object]) -> set[str]:
    """The catalogue cases the server's expected file records as (possibly) failing."""
    verdicts = expected["verdicts"]
    assert isinstance(verdicts, dict)
    return {case for case, value in verdicts.items() if Verdict.FAIL.value in allowed(value)}


def fuzz_run(target: Target, profile: object, seed: int, folder: Path) -> dict[str, dict[str, str]]:
    """One run of the fuzz section: each fuzz case's verdict and failure text."""
    folder.mkdir()
    args = [f"--target-cmd={target.command}", "-m", "fuzz", f"--fuzz-seed={seed}", "-n", "2"]
    if isinstance(profile, str):
        (folder / "profile.toml").write_text(profile)
        args.append(f"--target-profile={folder / 'profile.toml'}")
    run = run_tool(args, folder, timeout=RUN_TIMEOUT)
    assert run.returncode in (0, 1), f"the fuzz section did not complete:\n{run.output[-3000:]}"
    return {case["id"]: {"verdict": case["verdict"], "observed": case.get("observed") or ""}
            for case in run.report()["cases"] if case["id"].startswith("fuzz.")}


@pytest.mark.thirdparty
@pytest.mark.parametrize("name", list(SERVERS))
def test_fuzz_finds_no_rule_the_catalogue_does_not(name: str, request: pytest.FixtureRequest,
                                                   tmp_path: Path) -> None:
    target = SERVERS[name](request)
    expected = load_expected(name)
    failing = catalogue_failures(expected)
    found: dict[str, list[str]] = {}  # rule → the fuzz cases (and seeds) that broke it
    problems: list[str] = []
    for seed in SEEDS:
        cases = fuzz_run(target, expected.get("profile"), seed, tmp_path / f"seed-{seed}")
        for case_id, case in sorted(cases.items()):
            if case["verdict"] == Verdict.ERROR.value:
                problems.append(f"seed {seed}: {case_id} ended in error: "
                                + case["observed"].splitlines()[0])
            if case["verdict"] != Verdict.FAIL.value:
                continue
            rules = rules_in(case["observed"])
            if not rules:
                problems.append(f"seed {seed}: {case_id} failed without naming its rule")
            for rule in rules:
                found.setdefault(rule, []).append(f"{case_id} (seed {seed})")
    summary = {rule: {"fuzz": where, "catalogue": catalogue_cases(rule, failing)[:5]}
               for rule, where in sorted(found.items())}
    (tmp_path / f"{name}-rules.json").write_text(json.dumps(summary, indent=2))
    for rule, where in sorted(found.items()):
        if not catalogue_cases(rule, failing) and (name, rule) not in CATALOGUE_GAPS:
            problems.append(f"rule {rule} broken in {', '.join(where)}, but no catalogue case "
                            f"that checks it fails in tests/thirdparty/expected/{name}.json")
    for (server, rule), why in CATALOGUE_GAPS.items():
        if server == name and catalogue_cases(rule, failing):
            problems.append(f"the catalogue now fails rule {rule}: the gap noted for "
                            f"{name} is closed ({why[:60]}…); remove it from CATALOGUE_GAPS")
    assert not problems, "\n".join([*problems, f"rules found: {json.dumps(summary, indent=2)}"])
