"""The early stop's view of a --target-cmd process, with real processes and ports."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from wsspec.earlystop import EarlyStop, StopBoard
from wsspec.launcher import LaunchedTarget, launch

SERVE = f"{sys.executable} -m wsspec.targets.hostile silent --port {{port}}"


def exited(target: LaunchedTarget) -> None:
    deadline = time.monotonic() + 20.0
    while target.process.poll() is None:
        assert time.monotonic() < deadline, "the target command did not exit"
        time.sleep(0.05)


def test_an_exited_command_with_its_port_closed_ends_the_run(tmp_path: Path) -> None:
    target = launch(f"sh -c '{SERVE} & server=$!; sleep 0.5; kill -9 $server; wait $server; "
                    "echo out of memory; exit 7'")
    try:
        stop = EarlyStop(StopBoard(tmp_path / "diagnosis"), 1.0, target)
        exited(target)
        line = stop.ended()
        assert line is not None
        assert line.startswith("the target command exited with status 7; its last output: ")
        assert line.endswith("out of memory")
        assert StopBoard(tmp_path / "diagnosis").read() == line
    finally:
        target.stop()


def test_a_command_that_leaves_its_server_running_goes_on(tmp_path: Path) -> None:
    # a wrapper that starts the server in the background and exits: the port stays open
    target = launch(f"sh -c '{SERVE} & sleep 0.5; exit 0'")
    try:
        stop = EarlyStop(StopBoard(tmp_path / "diagnosis"), 1.0, target)
        exited(target)
        assert stop.ended() is None
        assert stop.ended() is None
    finally:
        target.stop()
