"""Clients that never connect, exit at once, or hang: a verdict within the deadline, never a
hung run, and no process left behind."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

from .helpers import run_clients

#: one echo case: what a connected client is asked first.
CASE = ["-k", "client.framing.echo.text-0", "--case-timeout=1", "-q"]

#: writes its pid to the file named after the URL, then does nothing for a minute.
SLEEPER = ("import os, sys, time; open(sys.argv[2], 'w').write(str(os.getpid())); "
           "time.sleep(60)")

#: completes the opening handshake, then reads nothing and answers nothing.
HANGER = """
import base64, os, socket, sys, time
from urllib.parse import urlsplit
url = urlsplit(sys.argv[1])
sock = socket.create_connection((url.hostname, url.port))
key = base64.b64encode(os.urandom(16)).decode()
sock.sendall((f"GET {url.path} HTTP/1.1\\r\\nHost: {url.hostname}:{url.port}\\r\\n"
              f"Upgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
              f"Sec-WebSocket-Key: {key}\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n").encode())
open(sys.argv[2], "w").write(str(os.getpid()))
time.sleep(60)
"""


def _python(code: str, *args: str) -> str:
    return shlex.join([sys.executable, "-c", code]) + " {url} " + shlex.join(args)


def _gone(pid_file: Path) -> bool:
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_client_that_never_connects_is_an_error_and_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    run = run_clients(_python(SLEEPER, str(pid_file)), tmp_path, *CASE, profile=None)
    assert time.monotonic() - started < 30
    case = run.report()["cases"][0]
    assert case["verdict"] == "error"
    assert "did not connect" in case["observed"] and "within 5 s" in case["observed"]
    assert _gone(pid_file)


def test_a_client_that_exits_is_an_error_naming_its_status_and_output(tmp_path: Path) -> None:
    command = _python("import sys; print('no route to the moon'); sys.exit(3)")
    run = run_clients(command, tmp_path, *CASE, profile=None)
    case = run.report()["cases"][0]
    assert case["verdict"] == "error"
    assert "exited with status 3" in case["observed"]
    assert "no route to the moon" in case["observed"]


def test_a_client_that_hangs_after_the_handshake_fails_and_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    run = run_clients(_python(HANGER, str(pid_file)), tmp_path, *CASE, profile=None)
    assert time.monotonic() - started < 30
    case = run.report()["cases"][0]
    assert case["verdict"] == "fail"
    assert case["observed"] == "nothing within 1 s"
    assert _gone(pid_file)
