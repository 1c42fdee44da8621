"""Render a screenshot of a wsspec report page with headless Chromium.

    python scripts/screenshot_report.py reports/ out.png [--dark] [--case ID] [--size 1280x1800]

``--case`` opens that case (its wire log shown) through the page's ``#case=`` anchor.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
)


def chromium() -> str | None:
    """The Chromium binary, if one is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _with_cli(binary: str, url: str, out: Path, profile: str, width: str, height: str,
              dark: bool) -> str | None:
    # Chromium's own --screenshot: no chromedriver needed, but it cannot scroll to a case.
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
           f"--window-size={width},{height}", "--virtual-time-budget=3000",
           f"--screenshot={out.resolve()}"]
    if dark:
        cmd.append("--force-dark-mode")
    done = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not out.is_file():
        return f"Chromium failed: {done.stderr.strip()[-500:]}"
    return None


def _with_webdriver(url: str, out: Path, profile: str, width: int, height: int,
                    dark: bool) -> str | None:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return "--case needs selenium (pip install selenium) and chromedriver"
    driver_path = shutil.which("chromedriver")
    if driver_path is None:
        return "--case needs chromedriver (apt-get install chromium-driver)"
    options = webdriver.ChromeOptions()
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        if dark:
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        browser.get(url)
        for _ in range(300):  # the page marks itself ready once its script ran (30 s at most)
            if browser.execute_script("return document.body.dataset.ready === '1'"):
                break
            time.sleep(0.1)
        browser.save_screenshot(str(out))
    finally:
        browser.quit()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("report_dir", type=Path, help="folder holding index.html")
    parser.add_argument("out", type=Path, help="PNG to write")
    parser.add_argument("--dark", action="store_true", help="prefers-color-scheme: dark")
    parser.add_argument("--case", help="open this case (id) before the screenshot")
    parser.add_argument("--size", default="1280x1800", help="window WIDTHxHEIGHT (1280x1800)")
    args = parser.parse_args(argv)
    page = (args.report_dir / "index.html").resolve()
    if not page.is_file():
        print(f"screenshot_report: no index.html in {args.report_dir}", file=sys.stderr)
        return 2
    binary = chromium()
    if binary is None:
        print("screenshot_report: Chromium is not installed (apt-get install chromium)",
              file=sys.stderr)
        return 2
    url = page.as_uri() + (f"#case={quote(args.case)}" if args.case else "")
    width, _, height = args.size.partition("x")
    with tempfile.TemporaryDirectory(prefix="wsspec-chromium-") as profile:
        if args.case or shutil.which("chromedriver"):
            error = _with_webdriver(url, args.out, profile, int(width), int(height), args.dark)
        else:
            error = _with_cli(binary, url, args.out, profile, width, height, args.dark)
    if error:
        print(f"screenshot_report: {error}", file=sys.stderr)
        return 1
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
