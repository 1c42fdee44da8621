"""What the wsspec plugin costs a pytest run that names no target.

    python benchmarks/plugin_import.py [--runs N]

Writes a tiny test folder (two trivial tests) into a temporary directory and
times ``python -m pytest --co -q`` there, N times with the plugin loaded (the
``pytest11`` entry point) and N times with ``-p no:wsspec``, alternating; the
difference of the medians is what a user pays for having wsspec installed.
Each run is measured twice: wall-clock, and CPU time (user + system, from the
child's rusage), which a busy machine disturbs much less. It then runs
``python -X importtime -c "import pytest; import wsspec.plugin"`` N times and
prints the median of the plugin's cumulative import time (pytest excluded) and
the ten most expensive imports of one run. Nothing is asserted: the numbers
are printed.

The children run as a user's pytest does, from cached bytecode: with
``PYTHONDONTWRITEBYTECODE`` unset and the cache in the temporary directory
(``PYTHONPYCACHEPREFIX``), written by a first run that is not counted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = "def test_one():\n    assert 1\n\n\ndef test_two():\n    assert 2\n"


def collect_time(folder: Path, extra: list[str]) -> tuple[float, float]:
    """Seconds one ``pytest --co -q`` takes in ``folder``: wall-clock and CPU."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "pytest", "--co", "-q", "-p",
                              "no:cacheprovider", *extra], cwd=folder, env=_environ(folder),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        child.kill()
        raise SystemExit(f"pytest {' '.join(extra)} took over 120 s") from None
    # communicate() reaped the child; its rusage is in the children's total
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"pytest {' '.join(extra)} failed:\n{output.decode()}")
    return elapsed, _cpu_of_last_child()


def _environ(folder: Path) -> dict[str, str]:
    """The children's environment: bytecode cached under ``folder``, as a user's is."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environ["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return environ


_CHILDREN_CPU = [0.0]


def _cpu_of_last_child() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    spent, _CHILDREN_CPU[0] = total - _CHILDREN_CPU[0], total
    return spent


def import_times(folder: Path) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of each module ``import wsspec.plugin`` loads
    once pytest is imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "import pytest; import wsspec.plugin"], cwd=folder,
                          env=_environ(folder), capture_output=True, text=True, timeout=120,
                          check=True)
    rows: list[tuple[int, int, str]] = []
    started = False
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        fields = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if not fields[0].isdigit():
            continue
        # pytest's own imports come first and end with the top-level "pytest" line.
        if not started:
            started = fields[2] == "pytest"
            continue
        rows.append((int(fields[0]), int(fields[1]), fields[2]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="runs of each kind (15)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_tiny.py").write_text(TESTS)
        (folder / "pytest.ini").write_text("[pytest]\n")
        times: dict[str, list[tuple[float, float]]] = {"with wsspec": [], "-p no:wsspec": []}
        # warm the file system cache and write the bytecode of both kinds of run
        collect_time(folder, [])
        collect_time(folder, ["-p", "no:wsspec"])
        import_times(folder)
        for _ in range(options.runs):
            times["with wsspec"].append(collect_time(folder, []))
            times["-p no:wsspec"].append(collect_time(folder, ["-p", "no:wsspec"]))
        imports = [import_times(folder) for _ in range(options.runs)]
    print(f"pytest --co -q, median of {options.runs} runs:     wall       CPU")
    medians = {}
    for name, runs in times.items():
        medians[name] = (statistics.median(r[0] for r in runs),
                         statistics.median(r[1] for r in runs))
        print(f"  {name:<16} {medians[name][0] * 1000:28.1f} ms {medians[name][1] * 1000:7.1f} ms")
    on, off = medians["with wsspec"], medians["-p no:wsspec"]
    print(f"  {'plugin costs':<16} {(on[0] - off[0]) * 1000:28.1f} ms "
          f"{(on[1] - off[1]) * 1000:7.1f} ms")
    totals = [_plugin_total(rows) for rows in imports]
    print(f"import wsspec.plugin after pytest (-X importtime), median of {options.runs}: "
          f"{statistics.median(totals) / 1000:.1f} ms, {len(imports[0])} modules")
    for own, cumulative, name in sorted(imports[0], reverse=True)[:10]:
        print(f"  {own / 1000:6.1f} ms self {cumulative / 1000:7.1f} ms cumulative  "
              f"{name.strip()}")
    return 0


def _plugin_total(rows: list[tuple[int, int, str]]) -> int:
    top = [row for row in rows if row[2].strip() == "wsspec.plugin"]
    return top[-1][1] if top else sum(row[0] for row in rows)


if __name__ == "__main__":
    sys.exit(main())
