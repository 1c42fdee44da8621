"""The whole conformance suite against real third-party servers.

Each server (servers.py) is an echo endpoint started through ``--target-cmd``: websockets,
aiohttp, tornado, a server on wsproto (h11 for the handshake), Node's ``ws``
and Gin + gorilla/websocket. The suite runs against it (``-n 2``), and every
verdict must be the one recorded in ``expected/<server>.json``, which lists
each case that does not pass (a case absent from it must pass). Unsupported
verdicts follow from the profile alone, not from the server, and are left out.
Where a verdict depends on scheduling (a server that fails the connection
before its application has echoed the message sent just before the bad frame:
pass or non-strict, as in Autobahn|Testsuite), the file lists both. The fuzz
section runs too, but its verdicts do not repeat against a live server (see
:data:`UNREPEATABLE`): there, only an error counts as a difference.

Every recorded verdict is explained in docs/compatibility.md. These tests are
opt-in (see conftest.py); the Node and Go servers are skipped, with the reason,
where their toolchains are missing. Nothing is written into the repository:
runs, installs and builds happen in temporary folders.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, run_tool
from wsspec.compatdocs import UNREPEATABLE, allowed, load_server
from wsspec.verdicts import Verdict

from thirdparty.servers import (
    EXPECTED,
    SERVERS,
    BuildFailed,
    Target,
    Unavailable,
    gin_target,
    load_expected,
    node_target,
)

#: seconds one server's run may take before it counts as hung.
RUN_TIMEOUT = 600.0
#: verdicts a server's run must reproduce; unsupported ones depend on the profile only.
COMPARED = {v.value for v in Verdict} - {Verdict.UNSUPPORTED.value}
#: the servers installed or built once per session, into a folder of their own.
BUILT = {"ws": node_target, "gin": gin_target}


@pytest.fixture(scope="session")
def built_targets() -> dict[str, Target | str]:
    """Each server of :data:`BUILT`, built on first use: its target, or why it cannot run."""
    return {}


def server_target(name: str, built: dict[str, Target | str],
                  tmp_path_factory: pytest.TempPathFactory) -> Target:
    """The target of server ``name``; skips the test where its toolchain is missing."""
    if name not in BUILT:
        return SERVERS[name](tmp_path_factory.getbasetemp())
    if name not in built:
        try:
            built[name] = BUILT[name](tmp_path_factory.mktemp(name))
        except Unavailable as exc:
            built[name] = str(exc)
        except BuildFailed as exc:
            pytest.fail(str(exc), pytrace=False)
    found = built[name]
    if isinstance(found, str):
        pytest.skip(found)
    return found


def compare(expected: Mapping[str, str | list[str]], verdicts: Mapping[str, str]) -> list[str]:
    """Every difference between the recorded verdicts and a run's, one line each."""
    problems = []
    for case_id, verdict in sorted(verdicts.items()):
        if case_id.startswith(UNREPEATABLE):
            if verdict == Verdict.ERROR.value:
                problems.append(f"{case_id}: error")
            continue
        wanted = allowed(expected.get(case_id, Verdict.PASS.value))
        if verdict in COMPARED and verdict not in wanted:
            problems.append(f"{case_id}: {verdict}, recorded {' or '.join(wanted)}")
    for case_id in sorted(set(expected) - set(verdicts)):
        problems.append(f"{case_id}: absent from the run, recorded "
                        f"{' or '.join(allowed(expected[case_id]))}")
    return problems


def recorded(expected: Mapping[str, str | list[str]],
             verdicts: Mapping[str, str]) -> dict[str, str | list[str]]:
    """The expected-results mapping this run would record: its non-pass verdicts,
    keeping an existing entry that allows the verdict seen."""
    result: dict[str, str | list[str]] = {}
    for case_id, verdict in sorted(verdicts.items()):
        if case_id.startswith(UNREPEATABLE):
            continue
        previous = expected.get(case_id)
        if previous is not None and verdict in allowed(previous):
            result[case_id] = previous
        elif verdict in COMPARED and verdict != Verdict.PASS.value:
            result[case_id] = verdict
    return result


def dump_expected(data: Mapping[str, Any]) -> str:
    """An expected-results file as committed: one line per case."""
    head = {key: value for key, value in data.items() if key != "verdicts"}
    text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
    lines = [f"    {json.dumps(case_id)}: {json.dumps(value)}"
             for case_id, value in sorted(data["verdicts"].items())]
    return text + ',\n  "verdicts": {\n' + ",\n".join(lines) + "\n  }\n}\n"


def run_suite(target: Target, profile: str | None, folder: Path) -> Run:
    """The suite against ``target``, with ``profile`` (TOML; None: the default one)."""
    args = [f"--target-cmd={target.command}", "-n", "2"]
    if profile is not None:
        path = folder / "profile.toml"
        path.write_text(profile)
        args.append(f"--target-profile={path}")
    return run_tool(args, folder, timeout=RUN_TIMEOUT)


@pytest.mark.thirdparty
@pytest.mark.parametrize("name", list(SERVERS))
def test_verdicts_match_the_recorded_ones(name: str, built_targets: dict[str, Target | str],
                                          tmp_path_factory: pytest.TempPathFactory,
                                          tmp_path: Path) -> None:
    target = server_target(name, built_targets, tmp_path_factory)
    expected = load_expected(name)
    run = run_suite(target, expected.get("profile"), tmp_path)
    report_file = tmp_path / "reports" / "report.json"
    assert run.returncode in (0, 1) and report_file.exists(), (
        f"the suite did not complete against {name} (exit {run.returncode}):\n"
        + run.output[-3000:])
    verdicts = run.verdicts()
    problems = compare(expected["verdicts"], verdicts)
    if problems:
        update = {**expected, "recorded_with": dict(target.versions),
                  "verdicts": recorded(expected["verdicts"], verdicts)}
        observed = tmp_path / f"{name}.json"
        observed.write_text(dump_expected(update))
        drift = {k: (v, target.versions.get(k)) for k, v in expected["recorded_with"].items()
                 if target.versions.get(k) != v}
        lines = [f"{len(problems)} verdict(s) of {name} differ from "
                 f"tests/thirdparty/expected/{name}.json:", *problems]
        if drift:
            lines.append("versions recorded → installed: " + ", ".join(
                f"{k} {old} → {new}" for k, (old, new) in drift.items()))
        lines.append(f"this run's verdicts, in that file's format: {observed}; the report: "
                     f"{report_file}. Explain any change in docs/compatibility.md and "
                     "regenerate its tables: python -m wsspec.compatdocs docs/compatibility.md")
        pytest.fail("\n".join(lines), pytrace=False)


def test_every_server_has_a_well_formed_expected_file() -> None:
    """Runs by default: the recorded files stay readable without the servers."""
    names = {Verdict(v) for v in COMPARED}
    assert {path.stem for path in EXPECTED.glob("*.json")} == set(SERVERS)
    for name in SERVERS:
        expected = load_expected(name)
        assert (EXPECTED / f"{name}.json").read_text() == dump_expected(expected)
        assert expected["server"] == name
        assert expected["recorded_with"] and expected["command"]
        load_server(EXPECTED / f"{name}.json")  # its profile, if any, is a valid one
        for case_id, value in expected["verdicts"].items():
            assert not case_id.startswith(UNREPEATABLE), case_id
            assert re.fullmatch(r"[a-z0-9]+(\.[\w.+-]+)+", case_id), case_id
            assert {Verdict(v) for v in allowed(value)} <= names, (case_id, value)
            assert allowed(value) != [Verdict.PASS.value], case_id
