"""Report speed and size: how long reports take to write, how big they are, how fast they open.

    python benchmarks/report_speed.py write [--cases 1000] [--runs 5]
    python benchmarks/report_speed.py open [--loads 5] [--failures 200] [--keep DIR]

``write`` times report.json + index.html for synthetic cases (each with about 20
wire log entries, two of them 4 KiB raw chunks); the goal is under 2 s.

``open`` runs the whole catalogue against the reference server twice (default
``--wirelog=failed``, then ``--wirelog=full``; ``-n 2``), makes from the full run a
report with ``--failures`` cases turned into failures (spread over the catalogue,
their whole wire logs kept, the others kept as the default mode keeps them), and
loads each ``index.html`` ``--loads`` times in headless Chromium through
chromedriver (Debian's ``chromium`` and ``chromium-driver``, and selenium). It
prints the sizes of report.json and index.html and the medians of the first
contentful paint and of the moment the page's script is done (filters work, a
case opens). The goals: a clean run's page under 2 MB and painted within 1 s; with
200 failures, within 2 s. A measurement, never an assertion.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "reports"))

from synthetic import synthetic_report  # noqa: E402
from wsspec.reporting.formats.html import write_html  # noqa: E402
from wsspec.reporting.formats.report_json import summarise, write_report  # noqa: E402
from wsspec.reporting.outputs import write_outputs  # noqa: E402
from wsspec.reporting.wirelog_keep import WIRELOG_RUN_BUDGET, WireBudget  # noqa: E402

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run")
#: seconds a catalogue run and a page load may take.
RUN_TIMEOUT = 900
LOAD_TIMEOUT = 120


def write_speed(cases: int, runs: int) -> None:
    report = synthetic_report(cases)
    times = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for _ in range(runs):
            start = time.perf_counter()
            write_report(report, out)
            write_html(report, out)
            times.append(time.perf_counter() - start)
        json_size = (out / "report.json").stat().st_size
        html_size = (out / "index.html").stat().st_size
    print(f"{cases} cases, {runs} runs: median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f} s, max {max(times):.3f} s)")
    print(f"report.json {json_size / 1e6:.1f} MB, index.html {html_size / 1e6:.1f} MB")


def run_catalogue(folder: Path, *extra: str) -> dict[str, Any]:
    """The whole catalogue against the reference server; its report.json."""
    import json

    done = subprocess.run([sys.executable, "-m", "wsspec", "-q", "-n", "2",
                           "--report-dir", str(folder), *extra],
                          cwd=folder.parent, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    if not (folder / "report.json").is_file():
        raise SystemExit(f"the run wrote no report: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return report


def with_failures(full: dict[str, Any], count: int, mode: str) -> dict[str, Any]:
    """``full`` (a ``--wirelog=full`` report) with ``count`` cases, spread over the
    catalogue, graded ``fail``; each case's wire log kept as ``mode`` keeps it."""
    report = copy.deepcopy(full)
    cases = report["cases"]
    failing = {index * len(cases) // count for index in range(min(count, len(cases)))}
    budget = WireBudget(WIRELOG_RUN_BUDGET, mode)
    for index, case in enumerate(cases):
        if index in failing:
            case["verdict"] = "fail"
            case["observed"] = f"(made a failure for the benchmark) {case['observed']}"
        budget.keep_case(case)
    report["summary"] = summarise(cases)
    return report


def open_times(page: Path, loads: int) -> tuple[float, float]:
    """Medians over ``loads`` loads of ``page``: first contentful paint and script done (ms)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    driver_path = shutil.which("chromedriver")
    if driver_path is None:
        raise SystemExit("open needs chromedriver (apt-get install -y chromium chromium-driver)")
    paints, readies = [], []
    with tempfile.TemporaryDirectory(prefix="wsspec-chromium-") as profile:
        options = webdriver.ChromeOptions()
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1000"):
            options.add_argument(flag)
        browser = webdriver.Chrome(options=options, service=Service(driver_path))
        browser.set_page_load_timeout(LOAD_TIMEOUT)
        try:
            for _ in range(loads):
                browser.get("about:blank")
                browser.get(page.as_uri())
                WebDriverWait(browser, LOAD_TIMEOUT).until(lambda b: b.execute_script(
                    "return document.body && document.body.dataset.ready === '1'"))
                paint, ready = browser.execute_script(
                    "var p = performance.getEntriesByName('first-contentful-paint')[0];"
                    "var r = performance.getEntriesByName('wsspec-ready')[0];"
                    "var n = performance.getEntriesByType('navigation')[0];"
                    "return [p ? p.startTime : NaN, r ? r.startTime : n.loadEventEnd];")
                paints.append(float(paint))
                readies.append(float(ready))
        finally:
            browser.quit()
    return statistics.median(paints), statistics.median(readies)


def open_speed(loads: int, failures: int, keep: Path | None) -> None:
    base = keep or Path(tempfile.mkdtemp(prefix="wsspec-report-speed-"))
    base.mkdir(parents=True, exist_ok=True)
    folders = {"clean, --wirelog=failed": base / "clean-failed",
               "clean, --wirelog=full": base / "clean-full",
               f"{failures} failing, --wirelog=failed": base / "failing-failed",
               f"{failures} failing, --wirelog=full": base / "failing-full"}
    try:
        run_catalogue(folders["clean, --wirelog=failed"])
        full = run_catalogue(folders["clean, --wirelog=full"], "--wirelog=full")
        for mode in ("failed", "full"):
            write_outputs(with_failures(full, failures, mode),
                          folders[f"{failures} failing, --wirelog={mode}"])
        print(f"{len(full['cases'])} cases; medians of {loads} loads in headless Chromium")
        print(f"{'':<30} {'report.json':>12} {'index.html':>11} {'first paint':>12} "
              f"{'script done':>12}")
        for label, folder in folders.items():
            paint, ready = open_times(folder / "index.html", loads)
            print(f"{label:<30} {(folder / 'report.json').stat().st_size / 1e6:>9.1f} MB "
                  f"{(folder / 'index.html').stat().st_size / 1e6:>8.1f} MB "
                  f"{paint:>9.0f} ms {ready:>9.0f} ms")
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("write", help="time report.json + index.html for synthetic cases")
    write.add_argument("--cases", type=int, default=1000)
    write.add_argument("--runs", type=int, default=5)
    opened = sub.add_parser("open", help="sizes and first render of a full run's page")
    opened.add_argument("--loads", type=int, default=5)
    opened.add_argument("--failures", type=int, default=200)
    opened.add_argument("--keep", type=Path, help="keep the reports in this folder")
    args = parser.parse_args()
    if args.command == "write":
        write_speed(args.cases, args.runs)
    else:
        open_speed(args.loads, args.failures, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
