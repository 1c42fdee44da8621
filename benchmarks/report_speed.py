"""Report generation speed: report.json + index.html for 1,000 synthetic cases.

    python benchmarks/report_speed.py [--cases 1000] [--runs 5]

Each case has a realistic wire log (about 20 entries, two of them 4 KiB raw
chunks). Prints the median of the runs and the size of each file; the goals are
under 2 s and an index.html under 20 MB. A measurement, never an assertion.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "reports"))

from synthetic import synthetic_report  # noqa: E402
from wsspec.html_report import write_html  # noqa: E402
from wsspec.report import write_report  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    report = synthetic_report(args.cases)
    times = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for _ in range(args.runs):
            start = time.perf_counter()
            write_report(report, out)
            write_html(report, out)
            times.append(time.perf_counter() - start)
        json_size = (out / "report.json").stat().st_size
        html_size = (out / "index.html").stat().st_size
    print(f"{args.cases} cases, {args.runs} runs: median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f} s, max {max(times):.3f} s)")
    print(f"report.json {json_size / 1e6:.1f} MB, index.html {html_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
