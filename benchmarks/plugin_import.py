"""What the wsspec plugin costs a pytest run that names no target.

    python benchmarks/plugin_import.py [--runs N]

Writes a tiny test folder (two trivial tests) into a temporary directory and
times ``python -m pytest --co -q`` there, N times with the plugin loaded (the
``pytest11`` entry point) and N times with ``-p no:wsspec``, alternating; the
difference of the medians is what a user pays for having wsspec installed. It
then runs ``python -X importtime -c "import wsspec.plugin"`` with pytest
already imported and prints the plugin's own import time and its ten most
expensive imports. Nothing is asserted: the numbers are printed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = "def test_one():\n    assert 1\n\n\ndef test_two():\n    assert 2\n"


def collect_time(folder: Path, extra: list[str]) -> float:
    """Seconds one ``pytest --co -q`` takes in ``folder``."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p",
                           "no:cacheprovider", *extra], cwd=folder, capture_output=True,
                          text=True, timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pytest {' '.join(extra)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def import_times(folder: Path) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of each module ``import wsspec.plugin`` loads
    once pytest is imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "import pytest; import wsspec.plugin"], cwd=folder,
                          capture_output=True, text=True, timeout=120, check=True)
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
        with_plugin: list[float] = []
        without: list[float] = []
        collect_time(folder, [])  # warm the file system cache and the .pyc files
        for _ in range(options.runs):
            with_plugin.append(collect_time(folder, []))
            without.append(collect_time(folder, ["-p", "no:wsspec"]))
        rows = import_times(folder)
    on, off = statistics.median(with_plugin), statistics.median(without)
    print(f"pytest --co -q, median of {options.runs} runs:")
    print(f"  with wsspec     {on * 1000:7.1f} ms")
    print(f"  -p no:wsspec    {off * 1000:7.1f} ms")
    print(f"  plugin's cost   {(on - off) * 1000:7.1f} ms")
    top = [row for row in rows if row[2].lstrip().startswith("wsspec.plugin")]
    total = top[-1][1] if top else sum(row[0] for row in rows)
    print(f"import wsspec.plugin after pytest (-X importtime): {total / 1000:.1f} ms, "
          f"{len(rows)} modules")
    for own, cumulative, name in sorted(rows, reverse=True)[:10]:
        print(f"  {own / 1000:6.1f} ms self {cumulative / 1000:7.1f} ms cumulative  "
              f"{name.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
