"""The plugin in a user's own test run, in this environment (quick; no new venv).

With no target named, wsspec adds nothing a user's tests can meet: its only fixture
carries the ``wsspec_`` prefix, it registers no marker, and its hooks leave the user's
tests alone (an async test is run by the user's own async hook). With a target named,
a fixture of the user's own named ``client`` does not reach the cases, and whatever
breaks a case from outside the suite is graded ``error``, naming the cause.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run
from wsspec.runstate import CONFORMANCE_DIR

Runner = Callable[..., Run]

USERS_CONFTEST = '''
import asyncio
import inspect

import pytest

RAN_BY_USER_HOOK = []


@pytest.fixture
def client():
    """The user's own client (a web framework's test client, say)."""
    return "the user's client"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """The user's async runner, as pytest-asyncio or anyio would have it."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    RAN_BY_USER_HOOK.append(pyfuncitem.name)
    asyncio.run(pyfuncitem.obj(**args))
    return True
'''

USERS_TESTS = '''
import conftest


def test_uses_own_client(client):
    assert client == "the user's client"


async def test_async_by_own_hook(client):
    assert client == "the user's client"
    assert conftest.RAN_BY_USER_HOOK[-1] == "test_async_by_own_hook"
'''


def users_project(folder: Path) -> Path:
    (folder / "conftest.py").write_text(USERS_CONFTEST)
    (folder / "test_users.py").write_text(USERS_TESTS)
    (folder / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    return folder


def fixtures_of(output: str, plugin: str) -> list[str]:
    """The fixture names ``pytest --fixtures`` lists under "fixtures defined from PLUGIN"."""
    names: list[str] = []
    inside = False
    for line in output.splitlines():
        heading = re.fullmatch(r"-+ fixtures defined from (\S+) -+", line.strip())
        if heading:
            inside = heading.group(1).split(".")[0] == plugin
        elif inside and line and not line[0].isspace():
            names.append(line.split()[0])
    return names


def test_every_fixture_of_the_plugin_carries_the_prefix(run_in: Runner) -> None:
    run = run_in("--fixtures", "-v")
    assert run.returncode == 0, run.output
    names = fixtures_of(run.output, "wsspec")
    assert names, run.output  # the parse found the plugin's section
    assert all(name.startswith("wsspec_") for name in names), names


def test_a_users_run_is_left_alone(run_in: Runner) -> None:
    users_project(run_in("--version").cwd)
    run = run_in("-q")
    assert run.returncode == 0, run.output
    assert "2 passed" in run.output
    markers = run_in("--markers").output
    assert "wsspec conformance" not in markers and "\n@pytest.mark.framing:" not in markers
    assert not (run.cwd / "reports").exists()


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_users_client_fixture_does_not_reach_the_cases(run_in: Runner,
                                                         workers: tuple[str, ...]) -> None:
    users_project(run_in("--version").cwd)
    run = run_in("--target=reference", "-m", "framing", *workers)
    assert run.returncode == 0, run.output
    verdicts = run.verdicts()
    assert len(verdicts) > 50 and set(verdicts.values()) == {"pass"}, verdicts
    # the user's own tests, run beside the cases, still get the user's fixture
    both = run_in("--target=reference", "-k", "framing.echo.text or users",
                  str(CONFORMANCE_DIR), ".", *workers, "--report-dir=both")
    assert both.returncode == 0, both.output
    assert "3 passed" in both.output


FOREIGN = {
    "skip": ("pytest.skip('needs a database')",
             r"skipped from outside the suite \(at .*conftest\.py:\d+\): needs a database"),
    "error": ("raise RuntimeError('no settings configured')",
              r"RuntimeError: no settings configured \(at .*conftest\.py:\d+\)"),
}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_a_case_broken_from_outside_is_an_error_naming_the_cause(run_in: Runner,
                                                                 kind: str) -> None:
    statement, observed = FOREIGN[kind]
    cwd = run_in("--version").cwd
    (cwd / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture(autouse=True)\ndef _breaks_everything():\n"
        f"    {statement}\n")
    run = run_in("--target=reference", "-k", "framing.echo.text or framing.echo.binary")
    assert run.returncode == 1, run.output
    cases = run.report()["cases"]
    assert {case["verdict"] for case in cases} == {"error"}, cases
    for case in cases:
        assert re.match(observed, case["observed"]), case["observed"]
