"""Shared helpers of the project's own tests."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent

# The project's property tests share two cores with pytest-xdist workers and the servers
# other tests start: a draw that waits for the CPU says nothing about the code under test.
# Properties are checked on every example as before; only timing is not judged.
settings.register_profile("wsspec-tests", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("wsspec-tests")


def pytest_configure(config: pytest.Config) -> None:
    # The project's tests import the case modules; the plugin registers the cases'
    # markers only in a run that collects the cases.
    from wsspec.plugin import register_section_markers

    register_section_markers(config)


@dataclass
class Run:
    """A finished ``pytest`` or ``wsspec`` process."""

    returncode: int
    output: str
    cwd: Path

    def report(self, folder: str = "reports") -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.cwd / folder / "report.json").read_text())
        validate_report(data)
        return data

    def verdicts(self) -> dict[str, str]:
        return {case["id"]: case["verdict"] for case in self.report()["cases"]}


def run_tool(args: list[str], cwd: Path, timeout: float = 120.0) -> Run:
    """Run ``python -m pytest ARGS`` (or ``wsspec`` when ARGS starts with it)."""
    if args and args[0] == "wsspec":
        argv = [sys.executable, "-c", "import sys; from wsspec.cli import main; "
                "sys.exit(main())", *args[1:]]
    else:
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return Run(done.returncode, done.stdout + done.stderr, cwd)


@pytest.fixture
def run_in(tmp_path: Path) -> Any:
    """Run the tool in an empty temporary directory (as a user would, from anywhere)."""

    def run(*args: str, timeout: float = 120.0) -> Run:
        return run_tool(list(args), tmp_path, timeout)

    return run


def load_script(name: str) -> ModuleType:
    """``scripts/NAME.py`` as a module, loaded once (the folder is not a package)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def slow_enabled(config: pytest.Config) -> bool:
    """Slow runs are opt-in: ``-m slow`` (or any -m naming it) or WSSPEC_SLOW=1."""
    return os.environ.get("WSSPEC_SLOW") == "1" or "slow" in (config.getoption("markexpr") or "")


def server_cmd(module: str, *extra: str) -> str:
    """A ``--target-cmd`` value running one of the project's target modules."""
    return " ".join([sys.executable, "-m", module, *extra])


def validate_report(data: Any) -> None:
    """Fail unless ``data`` follows the shipped report.json schema (JSON Schema 2020-12)."""
    import jsonschema

    schema_file = REPO / "harness" / "reporting" / "schema" / "report.schema.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
