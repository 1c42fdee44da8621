"""Ending a run early once the target stopped answering: the pytest side of
:mod:`wsspec.targetwatch`.

Every process that runs cases (the only one, or each pytest-xdist worker) feeds
its finished cases to its own :class:`~wsspec.targetwatch.TargetWatch`. The
first process to reach a diagnosis posts it on the run's :class:`StopBoard`, a
file that every process reads before each case: from then on each case is
graded ``error`` without being run, its observed text naming the diagnosis. The
process that started a ``--target-cmd`` target (the controller under xdist)
checks before each case and each report whether that process has exited; if
its port no longer takes connections, its exit status and last output replace
whatever was posted, as the most precise reason there is. The controller reads
the board at the end: the line goes into report.json (``diagnosis``) and the
terminal summary, once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from wsspec.launcher import LaunchedTarget, LaunchError, probe
from wsspec.targetwatch import TargetWatch, exited_diagnosis, read_case

if TYPE_CHECKING:
    from wsspec.verdicts import CaseRecord

__all__ = ["NOT_RUN", "EarlyStop", "StopBoard"]

#: how a case left unrun begins its observed text.
NOT_RUN = "not run, the run ended early"

#: lines of the target command's output the diagnosis quotes.
_TAIL_LINES = 3


class StopBoard:
    """The diagnosis of a run, shared by its processes through one file: the first
    line posted stays, unless a later one is posted with ``replace``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def post(self, line: str, *, replace: bool = False) -> None:
        # Written aside, then linked (first one wins) or renamed into place: a
        # reader never sees half a line.
        fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=".post-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(line)
        try:
            if replace:
                os.replace(name, self.path)
            else:
                with contextlib.suppress(FileExistsError):
                    os.link(name, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    def read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8") or None
        except FileNotFoundError:
            return None


@dataclass
class EarlyStop:
    """One process's view of the run's end: its watch, the shared board, and (in the
    process that started it) the target command."""

    board: StopBoard
    case_timeout: float
    launched: LaunchedTarget | None = None
    watch: TargetWatch = field(default_factory=TargetWatch)
    #: the directory holding the board, removed by :meth:`close` (the controller's)
    owned_dir: Path | None = None
    _line: str | None = None

    @classmethod
    def create(cls, case_timeout: float, launched: LaunchedTarget | None) -> EarlyStop:
        """A new board for a run, in a directory of its own."""
        folder = Path(tempfile.mkdtemp(prefix="wsspec-run-"))
        return cls(StopBoard(folder / "diagnosis"), case_timeout, launched, owned_dir=folder)

    def ended(self) -> str | None:
        """The diagnosis if the run has ended, else None (read before each case)."""
        if self._line is None:
            self.check_target_command()
            self._line = self.board.read()
        return self._line

    def check_target_command(self) -> None:
        """Post the exit of the target command, if it has exited and its port is closed
        (a command may start the server in the background and exit: its port stays
        open, and the run goes on)."""
        launched = self.launched
        if launched is None or self._line is not None:
            return
        status = launched.process.poll()
        if status is None:
            return
        self.launched = None  # checked once
        try:
            probe(launched.url, timeout=min(self.case_timeout, 1.0))
        except LaunchError:
            tail = launched.output_tail(_TAIL_LINES).splitlines()
            self._line = exited_diagnosis(status, tail).line
            self.board.post(self._line, replace=True)

    def observe(self, record: CaseRecord) -> None:
        """Take a finished case; post the diagnosis once the watch has one."""
        if self._line is not None or record.observed.startswith(NOT_RUN):
            return
        signs = read_case(record.verdict.value, record.wirelog, case_timeout=self.case_timeout)
        diagnosis = self.watch.observe(signs)
        if diagnosis is not None:
            self.board.post(diagnosis.line)
            self._line = self.board.read()

    def close(self) -> None:
        if self.owned_dir is not None:
            shutil.rmtree(self.owned_dir, ignore_errors=True)
            self.owned_dir = None
