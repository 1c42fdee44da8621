"""Real third-party clients under ``--client-cmd`` (opt-in: ``WSSPEC_THIRDPARTY=1``).

Each client of ``wsspec.targets.clients.thirdparty`` (websockets, aiohttp, tornado,
wsproto, trio-websocket, Node's ``ws``, gorilla/websocket, headless Chromium) is
installed by :mod:`wsspec.targets.clients.thirdparty.install` into a temporary
folder and runs the client catalogue without the slow (9.x) and deflate cases, with
no client profile. Every verdict must be the one recorded in
``expected/<client>.json``, which lists each case that does not pass (a case absent
from it must pass; where scheduling decides, both verdicts). ``unsupported``
verdicts follow from the profile alone and are left out; ``cases`` is how many
cases the run grades otherwise. docs/compatibility.md explains every recorded
verdict; its client table is generated from these files.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from thirdparty.test_compatibility import COMPARED, compare, dump_expected, recorded
from wsspec.compatdocs import allowed
from wsspec.targets.clients.thirdparty.install import CLIENTS, Client, Unavailable, install
from wsspec.verdicts import Verdict

from .helpers import run_clients

#: the switch of the opt-in third-party tiers (tests/thirdparty/conftest.py).
SWITCH = "WSSPEC_THIRDPARTY"
EXPECTED = Path(__file__).with_name("expected")
#: the cases the recorded runs select: all but the large messages (9.x) and deflate.
MARKERS = "not slow and not deflate"
CASE_TIMEOUT = "2"
#: seconds one client's run may take (headless Chromium starts once per case).
RUN_TIMEOUT = 1200.0


def load_expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXPECTED / f"{name}.json").read_text())
    return data


@pytest.fixture(scope="session")
def install_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("thirdparty-clients")


@pytest.mark.thirdparty
@pytest.mark.skipif(os.environ.get(SWITCH, "").strip() in ("", "0"),
                    reason=f"third-party clients are opt-in: set {SWITCH}=1 or run "
                           "`tox -e thirdparty-clients`")
@pytest.mark.parametrize("name", list(CLIENTS))
def test_client_verdicts_match_the_recorded_ones(name: str, install_folder: Path,
                                                 tmp_path: Path) -> None:
    try:
        client: Client = install(name, install_folder)
    except Unavailable as exc:
        pytest.skip(str(exc))
    expected = load_expected(name)
    run = run_clients(client.command, tmp_path, "-n", "2", "-q", "-m", MARKERS,
                      f"--case-timeout={CASE_TIMEOUT}", profile=None, timeout=RUN_TIMEOUT)
    report_file = tmp_path / "reports" / "report.json"
    assert run.returncode in (0, 1) and report_file.exists(), (
        f"the client catalogue did not complete with {name} (exit {run.returncode}):\n"
        + run.output[-3000:])
    verdicts = run.verdicts()
    graded = {case: v for case, v in verdicts.items() if v in COMPARED}
    problems = compare(expected["verdicts"], graded)
    if len(graded) != expected["cases"]:
        problems.append(f"{len(graded)} cases graded, recorded {expected['cases']}")
    if problems:
        update = {**expected, "recorded_with": client.versions, "cases": len(graded),
                  "verdicts": recorded(expected["verdicts"], graded)}
        observed = tmp_path / f"{name}.json"
        observed.write_text(dump_expected(update))
        pytest.fail("\n".join([
            f"{len(problems)} difference(s) of {name} from tests/clients/expected/{name}.json:",
            *problems,
            f"recorded with {expected['recorded_with']}, installed {client.versions}",
            f"this run's verdicts, in that file's format: {observed}; the report: "
            f"{report_file}. Explain any change in docs/compatibility.md and regenerate its "
            "tables: python -m wsspec.compatdocs docs/compatibility.md"]), pytrace=False)


def test_every_client_has_a_well_formed_expected_file() -> None:
    """Runs by default: the recorded files stay readable without the clients."""
    assert {path.stem for path in EXPECTED.glob("*.json")} == set(CLIENTS)
    for name in CLIENTS:
        expected = load_expected(name)
        assert (EXPECTED / f"{name}.json").read_text() == dump_expected(expected)
        assert expected["client"] == name
        assert expected["recorded_with"] and expected["command"]
        assert expected["cases"] > len(expected["verdicts"])
        for case_id, value in expected["verdicts"].items():
            assert re.fullmatch(r"client(\.[\w.+-]+)+", case_id), case_id
            assert not case_id.startswith("client.deflate."), case_id
            assert set(allowed(value)) <= COMPARED, (case_id, value)
            assert allowed(value) != [Verdict.PASS.value], case_id
