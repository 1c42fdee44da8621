"""One case against the client under test: a listener, the client's process, its connections.

:class:`ClientUnderTest` serves ``ws://127.0.0.1:PORT/case/ID`` for one case,
starts the client command with ``{url}`` replaced by that URL, and hands each
connection the client opens to the case as a
:class:`~wsspec.clientside.connection.ClientConnection` whose request has been
read. A client that exits, or does not connect within the timeout, is an
``error`` naming its exit status and the tail of its output; when the case
ends, the process is given a moment to exit and then killed with every child
it started.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import time
from pathlib import Path

from wsspec.launcher import LaunchedTarget
from wsspec.verdicts import CaseRecord, HarnessError

from .connection import ClientConnection
from .profile import ClientProfile
from .wire import Listener, PeerStream

__all__ = ["URL_FIELD", "ClientCommandError", "ClientUnderTest", "check_client_command"]

#: where the per-case URL goes in the client command.
URL_FIELD = "{url}"

#: the least time a client just started has to connect (its interpreter may load slowly).
STARTUP_WAIT = 5.0

#: how long a client that has closed its connection may take to exit before it is killed.
EXIT_GRACE = 1.0


class ClientCommandError(ValueError):
    """A client command the suite cannot run; the message says why in one line."""


def check_client_command(command: str) -> list[str]:
    """The command's words, ``{url}`` still in place; :class:`ClientCommandError` for a
    command without ``{url}`` or one that does not split into words."""
    if URL_FIELD not in command:
        raise ClientCommandError(f"--client-cmd must contain {URL_FIELD} where the URL of each "
                                 f"case goes: {command!r}")
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise ClientCommandError(f"--client-cmd: cannot split {command!r} into words: "
                                 f"{exc}") from None
    if not words:
        raise ClientCommandError("--client-cmd is empty")
    return words


class ClientUnderTest:
    """The client under test, for one case (see the module docstring)."""

    def __init__(self, command: str, profile: ClientProfile, record: CaseRecord, *,
                 timeout: float, tolerance: float = 0.5) -> None:
        self.command = check_client_command(command)
        self.profile = profile
        self.record = record
        self.timeout = timeout
        #: slack on the client's own timers (heartbeat, reconnection), in seconds
        self.tolerance = tolerance
        self._listener = Listener()
        #: the host and port the client must name in its Host header
        self.authority = f"{self._listener.host}:{self._listener.port}"
        self.url = f"ws://{self.authority}/case/{record.id}"
        self._process: LaunchedTarget | None = None
        self._connections: list[ClientConnection] = []
        #: how many times the command was started in this case
        self.launches = 0

    @property
    def path(self) -> str:
        """The request target the client must ask for (the path of :attr:`url`)."""
        return f"/case/{self.record.id}"

    def connect(self, *, within: float | None = None) -> ClientConnection:
        """The next connection of the client (within ``within`` seconds, by default the
        timeout), its handshake request read. Starts the client command first if it is
        not running."""
        wait = self.timeout if within is None else within
        if self._process is None or self._process.process.poll() is not None:
            self._launch()
            # a process starting on a loaded machine may take longer than one wait
            wait = max(wait, STARTUP_WAIT)
        assert self._process is not None
        deadline = time.monotonic() + wait
        while True:
            sock = self._listener.accept(min(0.05, max(deadline - time.monotonic(), 0.0)))
            if sock is not None:
                break
            code = self._process.process.poll()
            if code is not None and (sock := self._listener.accept(0.0)) is None:
                raise HarnessError(self._describe(f"the client exited with status {code} "
                                                  f"before connecting to {self.url}"))
            if sock is not None:
                break
            if time.monotonic() >= deadline:
                raise HarnessError(self._describe(f"the client did not connect to {self.url} "
                                                  f"within {wait:g} s"))
        self.record.wirelog.event(f"client connected to {self.url} "
                                  f"(connection {len(self._connections) + 1})")
        connection = ClientConnection(PeerStream(sock, self.record.wirelog), self.record,
                                      self.timeout)
        self._connections.append(connection)
        connection.read_request()
        return connection

    def open(self) -> ClientConnection:
        """The next connection, accepted with a valid 101 (RFC 6455 §4.2.2): the
        WebSocket connection is open."""
        connection = self.connect()
        connection.accept()
        return connection

    def _launch(self) -> None:
        argv = [word.replace(URL_FIELD, self.url) for word in self.command]
        fd, name = tempfile.mkstemp(prefix="wsspec-client-", suffix=".log")
        try:
            process = subprocess.Popen(argv, stdout=fd, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            Path(name).unlink()
            raise HarnessError(f"cannot start the client command {argv[0]!r}: "
                               f"{exc.strerror or exc}") from None
        finally:
            os.close(fd)
        self._retire_process()
        self._process = LaunchedTarget(process, self._listener.port, self.url, Path(name))
        self.launches += 1
        self.record.wirelog.event(f"started the client: {shlex.join(argv)}")

    def _describe(self, what: str) -> str:
        tail = self._process.output_tail() if self._process is not None else ""
        return what + (f"; its last output:\n{tail}" if tail else " (no output)")

    def finish_process(self) -> None:
        """Let the client exit (it has closed its connection, or is about to), bounded by
        :data:`EXIT_GRACE`, then kill it and its children."""
        for connection in self._connections:
            connection.stream.close()
        self._connections.clear()
        self._retire_process()

    def _retire_process(self) -> None:
        if self._process is None:
            return
        process, self._process = self._process, None
        try:
            process.process.wait(timeout=EXIT_GRACE)
        except subprocess.TimeoutExpired:
            self.record.wirelog.event(f"the client had not exited {EXIT_GRACE:g} s after "
                                      f"the case; killed")
        process.stop(grace=EXIT_GRACE)

    def close(self) -> None:
        """End the case: every connection, the process and the listener."""
        try:
            self.finish_process()
        finally:
            self._listener.close()
