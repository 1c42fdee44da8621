"""``wsspec fuzzingserver`` driven by an Autobahn-style client script.

The script is Autobahn|Testsuite's stock one (get the case count, run each case
echoing every message, update the reports), written with the ``websockets``
library's client, which is then the client under test.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from wsspec.clientside.fuzzingserver import FuzzingServer
from wsspec.clientside.wire import Listener
from wsspec.reporting.autobahn_cases import SECTIONS_1_TO_10

AGENT = "websockets"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[FuzzingServer, str]]:
    listener = Listener()
    fuzzing = FuzzingServer(listener, tmp_path / "reports", timeout=1.0)
    thread = threading.Thread(target=fuzzing.serve, daemon=True)
    thread.start()
    try:
        yield fuzzing, f"ws://127.0.0.1:{listener.port}"
    finally:
        fuzzing.stop()
        thread.join(timeout=10)
        listener.close()


def _text(url: str) -> str:
    from websockets.sync.client import connect

    with connect(url, open_timeout=5, close_timeout=5) as ws:
        message = ws.recv(timeout=5)
    return message if isinstance(message, str) else message.decode()


def client_script(base: str, cases: list[int]) -> None:
    """Autobahn's client script: echo every case, then ask for the reports."""
    from websockets.sync.client import connect

    for number in cases:
        with contextlib.suppress(Exception), connect(
                f"{base}/runCase?case={number}&agent={AGENT}", open_timeout=5,
                close_timeout=2, max_size=None, compression=None) as ws:
            for message in ws:
                ws.send(message)
    with connect(f"{base}/updateReports?agent={AGENT}", open_timeout=5):
        pass


def test_the_url_protocol(server: tuple[FuzzingServer, str]) -> None:
    fuzzing, base = server
    count = int(_text(f"{base}/getCaseCount"))
    assert count == len(fuzzing.cases) == len(SECTIONS_1_TO_10)
    assert json.loads(_text(f"{base}/getCaseInfo?case=1"))["id"] == "1.1.1"


def test_a_client_script_runs_every_case_and_gets_a_report(
        server: tuple[FuzzingServer, str]) -> None:
    fuzzing, base = server
    # every case but the large-message ones (9.x, slow)
    numbers = [n for n, case in enumerate(fuzzing.cases, 1) if not case.info.slow]
    client_script(base, numbers)
    assert json.loads(_text(f"{base}/getCaseStatus?case=1&agent={AGENT}")) == {
        "behavior": "OK"}
    report = json.loads((fuzzing.report_dir / AGENT / "report.json").read_text())
    verdicts = {case["autobahn"]: case["verdict"] for case in report["cases"]}
    assert len(verdicts) == len(numbers) == len(fuzzing.cases) - 54
    assert report["target"]["url"] == f"client: {AGENT} (fuzzingserver)"
    # websockets echoes, answers pings and refuses every bad frame; it fails some
    # connections before echoing the message ahead of the offence, and not fast on
    # invalid UTF-8 inside a message (both non-strict).
    assert not {i: v for i, v in verdicts.items() if v in ("fail", "error")}
    assert {verdicts[i] for i in verdicts if i.split(".")[0] in ("1", "2", "10")} == {"pass"}
    assert (fuzzing.report_dir / AGENT / "index.html").is_file()
