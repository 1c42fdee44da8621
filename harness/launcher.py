"""Starting a target server from a command line, and checking a target is up.

``--target-cmd="node server.js {port}"`` starts the command with ``{port}``
replaced by a free loopback port, waits until the port accepts connections,
and stops the command and every child it started when the run ends. A
command that dies or never opens its port is reported in one line with the
tail of its output, never as a hang.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from wsspec.profile import ProfileError, TargetAddress

LOOPBACK = "127.0.0.1"


class LaunchError(Exception):
    """The target could not be started or reached; the message says why."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def probe(url: str, timeout: float = 5.0) -> None:
    """Raise :class:`LaunchError` unless ``url``'s host accepts TCP connections."""
    try:
        address = TargetAddress.from_url(url)
    except ProfileError as exc:
        raise LaunchError(str(exc)) from None
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout):
            pass
    except socket.gaierror:
        raise LaunchError(f"cannot reach target {url}: unknown host {address.host!r}") from None
    except ConnectionRefusedError:
        raise LaunchError(
            f"cannot reach target {url}: connection refused by {address.host}:{address.port}"
        ) from None
    except TimeoutError:
        raise LaunchError(f"cannot reach target {url}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise LaunchError(f"cannot reach target {url}: {exc.strerror or exc}") from None


@dataclass
class LaunchedTarget:
    """A server process started for the run."""

    process: subprocess.Popen[bytes]
    port: int
    url: str
    log: Path

    def output_tail(self, lines: int = 8) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the process group, then kill it if it lingers. A command that
        has exited may have left children running (a server started in the
        background): they are terminated too."""
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout=grace)
        else:
            _signal_group(self.process, signal.SIGTERM)
        with contextlib.suppress(OSError):
            self.log.unlink()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def launch(command: str, url: str | None = None, *, timeout: float = 20.0) -> LaunchedTarget:
    """Start ``command`` (``{port}`` replaced by a free port) and wait for it.

    ``url`` may hold ``{port}`` too; by default the target is
    ``ws://127.0.0.1:{port}/``.
    """
    if "{port}" not in command:
        raise LaunchError(f"--target-cmd must contain {{port}} where the port goes: {command!r}")
    port = free_port()
    argv = shlex.split(command.replace("{port}", str(port)))
    target_url = (url or "ws://127.0.0.1:{port}/").replace("{port}", str(port))
    fd, name = tempfile.mkstemp(prefix="wsspec-target-", suffix=".log")
    log = Path(name)
    try:
        process = subprocess.Popen(
            argv, stdout=fd, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        log.unlink()
        reason = exc.strerror or exc
        raise LaunchError(f"cannot start target command {argv[0]!r}: {reason}") from None
    finally:
        os.close(fd)
    target = LaunchedTarget(process, port, target_url, log)
    deadline = time.monotonic() + timeout
    while True:
        code = process.poll()
        if code is not None:
            tail = target.output_tail()
            target.stop()
            raise LaunchError(
                f"target command exited with status {code} before opening port {port}"
                + (f"; its last output:\n{tail}" if tail else " (no output)")
            )
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return target
        except OSError:
            pass
        if time.monotonic() > deadline:
            tail = target.output_tail()
            target.stop()
            raise LaunchError(
                f"target command did not open port {port} within {timeout:g} s"
                + (f"; its last output:\n{tail}" if tail else " (no output)")
            )
        time.sleep(0.05)


def python_command(module: str, *args: str) -> str:
    """A command line running ``python -m module`` with this interpreter."""
    return shlex.join([sys.executable, "-m", module, *args])
