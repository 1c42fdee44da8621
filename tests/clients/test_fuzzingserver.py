"""``wsspec fuzzingserver`` driven by an Autobahn-style client script.

The script is Autobahn|Testsuite's stock one (get the case count, run each case
echoing every message, update the reports), written with the ``websockets``
library's client, which is then the client under test: without compression for
sections 1-10, offering permessage-deflate for 12.x and 13.x.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from wsspec.clientside.fuzzingserver import FuzzingServer
from wsspec.clientside.profile import ClientProfile
from wsspec.clientside.wire import Listener
from wsspec.reporting.autobahn_cases import SECTIONS_1_TO_10, SECTIONS_12_AND_13

AGENT = "websockets"


@pytest.fixture(params=[False], ids=["plain"])
def server(request: pytest.FixtureRequest, tmp_path: Path,
           ) -> Iterator[tuple[FuzzingServer, str]]:
    listener = Listener()
    fuzzing = FuzzingServer(listener, tmp_path / "reports", timeout=1.0,
                            profile=ClientProfile(deflate=request.param))
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


def client_script(base: str, cases: list[int],
                  compression: Literal["deflate"] | None = None) -> None:
    """Autobahn's client script: echo every case, then ask for the reports."""
    from websockets.sync.client import connect

    for number in cases:
        with contextlib.suppress(Exception), connect(
                f"{base}/runCase?case={number}&agent={AGENT}", open_timeout=5,
                close_timeout=2, max_size=None, compression=compression) as ws:
            for message in ws:
                ws.send(message)
    with connect(f"{base}/updateReports?agent={AGENT}", open_timeout=5):
        pass


def test_the_url_protocol(server: tuple[FuzzingServer, str]) -> None:
    fuzzing, base = server
    count = int(_text(f"{base}/getCaseCount"))
    assert count == len(fuzzing.cases) == len(SECTIONS_1_TO_10) + len(SECTIONS_12_AND_13)
    assert json.loads(_text(f"{base}/getCaseInfo?case=1"))["id"] == "1.1.1"


def test_a_client_script_runs_every_case_and_gets_a_report(
        server: tuple[FuzzingServer, str]) -> None:
    fuzzing, base = server
    # every case of sections 1-10 but the large-message ones (9.x, slow)
    numbers = [n for n, case in enumerate(fuzzing.cases[:len(SECTIONS_1_TO_10)], 1)
               if not case.info.slow]
    client_script(base, numbers)
    assert json.loads(_text(f"{base}/getCaseStatus?case=1&agent={AGENT}")) == {
        "behavior": "OK"}
    report = json.loads((fuzzing.report_dir / AGENT / "report.json").read_text())
    verdicts = {case["autobahn"]: case["verdict"] for case in report["cases"]}
    assert len(verdicts) == len(numbers) == len(SECTIONS_1_TO_10) - 54
    assert report["target"]["url"] == f"client: {AGENT} (fuzzingserver)"
    # websockets echoes, answers pings and refuses every bad frame; it fails some
    # connections before echoing the message ahead of the offence, and not fast on
    # invalid UTF-8 inside a message (both non-strict).
    assert not {i: v for i, v in verdicts.items() if v in ("fail", "error")}
    assert {verdicts[i] for i in verdicts if i.split(".")[0] in ("1", "2", "10")} == {"pass"}
    assert (fuzzing.report_dir / AGENT / "index.html").is_file()


def _verdicts(fuzzing: FuzzingServer) -> dict[str, dict[str, Any]]:
    report = json.loads((fuzzing.report_dir / AGENT / "report.json").read_text())
    return {case["autobahn"]: case for case in report["cases"]}


#: a few permessage-deflate cases: plain and fragmented traffic of several corpora, and
#: the answers asking for no context takeover and a smaller window
DEFLATE_CASES = ["12.1.1", "12.2.10", "12.5.18", "13.1.1", "13.2.3", "13.3.1", "13.5.10"]


@pytest.mark.parametrize("server", [True], ids=["deflate"], indirect=True)
def test_a_client_offering_deflate_runs_the_deflate_cases(
        server: tuple[FuzzingServer, str]) -> None:
    fuzzing, base = server
    ids = [case.info.autobahn for case in fuzzing.cases]
    client_script(base, [ids.index(case_id) + 1 for case_id in DEFLATE_CASES],
                  compression="deflate")
    cases = _verdicts(fuzzing)
    assert sorted(cases) == sorted(DEFLATE_CASES)
    # as in a --client-cmd run of the same client: websockets takes every answer but
    # client_max_window_bits=8 (zlib has no 256-byte window), where it ends the connection
    refused = {"13.3.1", "13.5.10"}
    assert {case_id: case["verdict"] for case_id, case in cases.items()} == {
        case_id: "fail" if case_id in refused else "pass" for case_id in DEFLATE_CASES}
    assert all("ended the TCP connection" in cases[case_id]["observed"] for case_id in refused)
    # the suite answered the client's offer itself, as in a --client-cmd run
    assert "permessage-deflate" in cases["13.2.3"]["observed"]
    assert "client_no_context_takeover" in cases["13.2.3"]["observed"]
    number = ids.index("12.1.1") + 1
    assert json.loads(_text(f"{base}/getCaseStatus?case={number}&agent={AGENT}")) == {
        "behavior": "OK"}


def test_the_deflate_cases_are_unimplemented_without_deflate_in_the_profile(
        server: tuple[FuzzingServer, str]) -> None:
    fuzzing, base = server
    number = [case.info.autobahn for case in fuzzing.cases].index("12.1.1") + 1
    client_script(base, [number], compression="deflate")
    assert _verdicts(fuzzing)["12.1.1"]["verdict"] == "unsupported"
    assert json.loads(_text(f"{base}/getCaseStatus?case={number}&agent={AGENT}")) == {
        "behavior": "UNIMPLEMENTED"}
