"""A full run's index.html in headless Chromium: it renders, filters and shows wire logs.

Needs Debian's ``chromium`` (and ``chromium-driver`` plus selenium for the
interactive test); skipped where they are missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, run_tool, server_cmd

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="/usr/bin/chromium is missing "
                                    "(apt-get install -y chromium chromium-driver)")


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every case against the reference server, two workers."""
    folder = tmp_path_factory.mktemp("full")
    run = run_tool(["--target=reference", "-n", "2", "-q", "-m", "not slow"], folder,
                   timeout=600)
    assert (folder / "reports" / "index.html").is_file(), run.output
    return run


@needs_chromium
def test_the_page_renders_and_opens_a_case_from_its_anchor(full_run: Run, tmp_path: Path) -> None:
    report = full_run.report()
    case = next(c for c in report["cases"] if any("bytes" in e for e in c["wirelog"]))
    page = (full_run.cwd / "reports" / "index.html").as_uri() + f"#case={case['id']}"
    done = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--virtual-time-budget=5000", "--dump-dom", page],
                          capture_output=True, text=True, timeout=120)
    dom = done.stdout
    assert f'data-id="{case["id"]}"' in dom, done.stderr[-2000:]
    opened = dom.split(f'data-id="{case["id"]}"', 1)[1].split("</details>", 1)[0]
    assert 'open=""' in opened.split(">", 1)[0]
    assert 'data-rendered="1"' in opened  # the wire log table was built by the script
    assert "wire log (" in opened and "<table" in opened
    assert f'{len(report["cases"])} shown' in dom


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not CHROMIUM.exists() or CHROMEDRIVER is None:
        pytest.skip("chromium or chromedriver is missing "
                    "(apt-get install -y chromium chromium-driver)")
    if importlib.util.find_spec("selenium") is None:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1000"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _visible(browser: Any) -> list[str]:
    ids: list[str] = browser.execute_script(
        "return Array.from(document.querySelectorAll('details.case'))"
        ".filter(d => !d.hidden).map(d => d.dataset.id)")
    return ids


def test_filters_and_an_expanded_case_work_in_the_browser(full_run: Run, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    report = full_run.report()
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get((full_run.cwd / "reports" / "index.html").as_uri())
    WebDriverWait(browser, 30).until(
        lambda b: b.execute_script("return document.body.dataset.ready === '1'"))
    assert len(_visible(browser)) == len(report["cases"])

    # verdict filter: hide every pass
    browser.find_element(By.CSS_SELECTOR, "label.chip.v-pass").click()
    not_pass = [c["id"] for c in report["cases"] if c["verdict"] != "pass"]
    assert _visible(browser) == not_pass
    browser.find_element(By.CSS_SELECTOR, "label.chip.v-pass").click()

    # section filter and free text
    Select(browser.find_element(By.ID, "section")).select_by_visible_text("close")
    assert _visible(browser) == [c["id"] for c in report["cases"] if c["section"] == "close"]
    Select(browser.find_element(By.ID, "section")).select_by_index(0)
    browser.find_element(By.ID, "q").send_keys("close.normal.1000")
    assert "close.normal.1000" in _visible(browser)
    assert all("close.normal.1000" in i or i.startswith("close") for i in _visible(browser))
    assert browser.find_element(By.ID, "shown").text == f"{len(_visible(browser))} shown"

    # expand the case: requirement, rerun command, wire log table, hex dump
    case = next(c for c in report["cases"] if c["id"] == "close.normal.1000")
    details = browser.find_element(By.CSS_SELECTOR, 'details[data-id="close.normal.1000"]')
    details.find_element(By.TAG_NAME, "summary").click()
    body = details.find_element(By.CSS_SELECTOR, ".body")
    assert case["requirement"] in body.text
    assert "wsspec -k close.normal.1000" in body.text
    link = body.find_element(By.CSS_SELECTOR, ".req a").get_attribute("href")
    assert link.startswith("https://www.rfc-editor.org/rfc/rfc6455#section-")
    rows = body.find_elements(By.CSS_SELECTOR, ".wirelog table tr")
    assert len(rows) == len(case["wirelog"]) + 1  # a header row
    assert "CLOSE" in body.find_element(By.CSS_SELECTOR, ".wirelog table").text
    raw = body.find_element(By.CSS_SELECTOR, ".wirelog details summary")
    raw.click()
    # the hex dump is rendered by the page's script when the block opens
    dump = WebDriverWait(browser, 10).until(
        lambda _: body.find_element(By.CSS_SELECTOR, "pre.hex")).text
    first = next(e for e in case["wirelog"] if "bytes" in e)["bytes"]["hex"]
    assert dump.startswith("0000  " + " ".join(first[i:i + 2] for i in range(0, 16, 2)))


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A server that corrupts echoes: two echo cases fail, a long ping case passes."""
    folder = tmp_path_factory.mktemp("failing")
    cmd = server_cmd("wsspec.targets.faulty", "--port", "{port}", "--fault", "corrupt-echo")
    run = run_tool([f"--target-cmd={cmd}", "--case-timeout=1", "-k",
                    "framing.echo.binary or framing.size.text.65536.chopped or "
                    "ping.pong.ten-in-a-row.octets"], folder)
    assert run.returncode == 1, run.output
    return run


def test_a_failing_case_opens_to_its_whole_wire_log(failing_run: Run, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    report = failing_run.report()
    failing = next(c for c in report["cases"] if c["id"] == "framing.size.text.65536.chopped")
    passing = next(c for c in report["cases"] if c["id"] == "ping.pong.ten-in-a-row.octets")
    assert (failing["verdict"], failing["wirelog_kept"]) == ("fail", "full")
    assert (passing["verdict"], passing["wirelog_kept"]) == ("pass", "short")
    page = (failing_run.cwd / "reports" / "index.html").as_uri()
    browser.get(f"{page}#case={failing['id']}")
    WebDriverWait(browser, 30).until(
        lambda b: b.execute_script("return document.body.dataset.ready === '1'"))
    assert browser.find_element(By.ID, "headline").text == "FAIL"
    details = browser.find_element(By.CSS_SELECTOR, f'details[data-id="{failing["id"]}"]')
    assert details.get_attribute("open") is not None
    body = details.find_element(By.CSS_SELECTOR, ".body")
    assert failing["expected"] in body.text
    assert body.find_element(By.CSS_SELECTOR, ".obs.bad pre").text == failing["observed"]
    log = body.find_element(By.CSS_SELECTOR, ".wirelog")
    assert len(log.find_elements(By.CSS_SELECTOR, "table tr")) == len(failing["wirelog"]) + 1
    assert "shortened" not in log.text and "entries left out" not in log.text

    # a passing case opened by a click shows its short log and says how to get the whole one
    other = browser.find_element(By.CSS_SELECTOR, f'details[data-id="{passing["id"]}"]')
    other.find_element(By.TAG_NAME, "summary").click()
    short = other.find_element(By.CSS_SELECTOR, ".wirelog")
    assert len(short.find_elements(By.CSS_SELECTOR, "table tr")) == len(passing["wirelog"]) + 1
    assert "shortened" in short.text and "--wirelog=full" in short.text
    assert "entries left out" in short.text
