"""A fresh virtual environment, an empty directory, ``pip install`` of the repository:
the suite runs against a server started with ``--target-cmd`` and writes its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

from conftest import REPO


def test_fresh_install_runs_the_suite_from_an_empty_directory(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(REPO)],
        capture_output=True, text=True, timeout=600, env=environ,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    work = tmp_path / "empty"
    work.mkdir()
    command = f"{python} -m targets.reference --port {{port}}"
    run = subprocess.run(
        # every section but the large-message one, which other tests run
        [str(python), "-m", "pytest", f"--target-cmd={command}", "-m", "not slow"],
        cwd=work, capture_output=True, text=True, timeout=300, env=environ,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((work / "reports" / "report.json").read_text())
    summary = report["summary"]
    assert summary["fail"] == summary["error"] == summary["non-strict"] == 0, summary
    # without a profile, the policy and deflate sections are unsupported
    assert summary["pass"] > len(report["cases"]) // 2
    # the cases came from the installed distribution, not from this checkout
    assert str(REPO) not in run.stdout
    assert sys.executable != str(python)
