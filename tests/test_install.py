"""A fresh virtual environment, an empty directory, ``pip install`` of the repository:
the suite runs against a server started with ``--target-cmd`` and writes its report, and
the distribution adds one import name, ``wsspec``, to site-packages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

from conftest import REPO


def fresh_venv(env_dir: Path, *requirements: str) -> tuple[Path, dict[str, str]]:
    """A new virtual environment at ``env_dir`` with the repository and ``requirements``
    pip-installed: its python, and the environment variables to run it with."""
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(REPO), *requirements],
        capture_output=True, text=True, timeout=900, env=environ,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return python, environ


def test_fresh_install_runs_the_suite_from_an_empty_directory(tmp_path: Path) -> None:
    python, environ = fresh_venv(tmp_path / "venv")
    assert installed_top_level_names(python, tmp_path) == {"wsspec", "wsspec-0.1.0.dist-info"}
    work = tmp_path / "empty"
    work.mkdir()
    command = f"{python} -m wsspec.targets.reference --port {{port}}"
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
    # the module entry points, by their namespace names; the folder names import nothing
    entry = subprocess.run([str(python), "-m", "wsspec", "--version"], cwd=work,
                           capture_output=True, text=True, timeout=60, env=environ)
    assert entry.returncode == 0 and entry.stdout.startswith("wsspec "), entry.stderr
    for module, option in (("wsspec.targets.reference", "--help"),
                           ("wsspec.targets.faulty", "--list"),
                           ("wsspec.targets.hostile", "--list")):
        usage = subprocess.run([str(python), "-m", module, option], cwd=work,
                               capture_output=True, text=True, timeout=60, env=environ)
        assert usage.returncode == 0 and usage.stdout.strip(), (module, usage.stderr)
    for folder in ("harness", "conformance", "targets"):
        gone = subprocess.run([str(python), "-c", f"import {folder}"], cwd=work,
                              capture_output=True, text=True, timeout=60, env=environ)
        assert "ModuleNotFoundError" in gone.stderr, (folder, gone.stderr)


def installed_top_level_names(python: Path, cwd: Path) -> set[str]:
    """The names the wsspec distribution put at the top of site-packages (from its RECORD;
    console scripts, which go to bin/, are left out)."""
    listing = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; "
         "print('\\n'.join(str(f) for f in m.distribution('wsspec').files))"],
        capture_output=True, text=True, timeout=60, check=True, cwd=cwd)
    paths = [line for line in listing.stdout.splitlines() if line and not line.startswith("..")]
    return {Path(line).parts[0] for line in paths}


def test_every_package_folder_is_in_the_namespace() -> None:
    """pyproject.toml lists the packages by their ``wsspec`` names; a folder with an
    ``__init__.py`` that the list forgets would be left out of the wheel."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    roots = {name: REPO / folder for name, folder in config["package-dir"].items()}
    folders = set()
    for name, root in roots.items():
        for init in root.rglob("__init__.py"):
            inner = init.parent.relative_to(root).parts
            folders.add(".".join((name, *inner)))
    assert set(config["packages"]) == folders
