"""How much of each case's wire log the reports keep (``--wirelog``).

As pytest shows captured output only for tests that did not pass, a report keeps
the whole wire log (up to the caps below) of the cases whose verdict needs
explaining: ``fail``, ``error`` and ``non-strict`` (:data:`FULL_LOG_VERDICTS`).
Every other case (``pass``, and ``informational`` and ``unsupported``, whose
``observed`` text already says what was recorded) keeps a short log: its first
:data:`SHORT_HEAD` and last :data:`SHORT_TAIL` entries with a note counting what was
left out between them, each raw chunk and frame payload cut to :data:`SHORT_BYTES`.
``--wirelog=full`` keeps the whole log of every case. Each case's ``wirelog_kept``
says which it got. Only what is kept changes; verdicts are made before this runs.

A kept log is further bounded, whatever the mode: its first
:data:`WIRELOG_REPORT_HEAD` and last :data:`WIRELOG_REPORT_TAIL` entries, and once the
run's :data:`WIRELOG_RUN_BUDGET` is spent, only its last :data:`WIRELOG_SPENT_TAIL`.

``--wirelog`` is checked with the other options when the run starts
(:mod:`wsspec.settings`), so a bad value stops the run in one line before any case runs.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from wsspec.verdicts import Verdict

#: values of ``--wirelog``; the first is the default.
WIRELOG_MODES = ("failed", "full")
#: the verdicts whose cases keep their whole wire log under ``--wirelog=failed``.
FULL_LOG_VERDICTS = frozenset(v.value for v in (Verdict.NON_STRICT, Verdict.FAIL,
                                                Verdict.ERROR))
#: a short log: its first and last entries, and the first bytes of each chunk or payload.
SHORT_HEAD = 8
SHORT_TAIL = 8
SHORT_BYTES = 64

#: the wire log the reports of one run keep, in all cases together (bytes of memory,
#: estimated; shared out between xdist workers). Every case's log is capped already, but a
#: target that floods every case would otherwise fill the run's memory, case by case (the
#: controller of an xdist run holds about four times this estimate). The whole catalogue
#: against a compliant server keeps about 34 MiB with ``--wirelog=full``.
WIRELOG_RUN_BUDGET = 44 * 2**20
#: the entries of one case's wire log a report keeps: the first and the last ones.
WIRELOG_REPORT_HEAD = 300
WIRELOG_REPORT_TAIL = 200
#: entries a case keeps once the run's budget is spent: the end, where its verdict shows.
WIRELOG_SPENT_TAIL = 12

Kept = Literal["full", "short"]

_KEEPER_KEY = pytest.StashKey["WireBudget"]()


class WireBudget:
    """What is left of :data:`WIRELOG_RUN_BUDGET` in this process, and the mode it keeps by."""

    def __init__(self, share: int, mode: str = "failed") -> None:
        self.left = share
        self.mode = mode

    def kept(self, verdict: str) -> Kept:
        """Whether a case with this verdict keeps its full log or a short one."""
        return "full" if self.mode == "full" or verdict in FULL_LOG_VERDICTS else "short"

    def keep_case(self, case: dict[str, Any]) -> None:
        """Replace ``case["wirelog"]`` by what the report keeps and set ``wirelog_kept``."""
        kept = self.kept(case["verdict"])
        entries = case["wirelog"] if kept == "full" else shorten(case["wirelog"])
        case["wirelog"] = self.keep(entries)
        case["wirelog_kept"] = kept

    def keep(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What the report keeps of ``entries`` (a case's wire log): its head and
        tail, or only the tail once the run's budget is spent."""
        if len(entries) > WIRELOG_REPORT_HEAD + WIRELOG_REPORT_TAIL:
            left_out = len(entries) - WIRELOG_REPORT_HEAD - WIRELOG_REPORT_TAIL
            entries = [*entries[:WIRELOG_REPORT_HEAD],
                       _note(entries[WIRELOG_REPORT_HEAD], f"{left_out} entries not kept "
                             "in the report (a case's report keeps its first "
                             f"{WIRELOG_REPORT_HEAD} and last {WIRELOG_REPORT_TAIL})"),
                       *entries[-WIRELOG_REPORT_TAIL:]]
        size = sum(_entry_size(entry) for entry in entries)
        if size <= self.left or len(entries) <= WIRELOG_SPENT_TAIL:
            self.left = max(self.left - size, 0)
            return entries
        kept = entries[-WIRELOG_SPENT_TAIL:]
        self.left = 0
        return [_note(kept[0], f"{len(entries) - len(kept)} earlier entries not kept: this "
                      f"run's wire logs reached {WIRELOG_RUN_BUDGET // 2**20} MiB"), *kept]


def shorten(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The short log of a case: first and last entries, payloads cut (see the module)."""
    if len(entries) > SHORT_HEAD + SHORT_TAIL + 1:  # a note stands for two entries or more
        left_out = len(entries) - SHORT_HEAD - SHORT_TAIL
        entries = [*entries[:SHORT_HEAD],
                   _note(entries[SHORT_HEAD], f"{left_out} entries left out: a case that "
                         f"passed keeps its first {SHORT_HEAD} and last {SHORT_TAIL} "
                         "(--wirelog=full keeps them all)"),
                   *entries[-SHORT_TAIL:]]
    return [_cut(entry) for entry in entries]


def _cut(entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` with its raw chunk or frame payload cut to :data:`SHORT_BYTES`."""
    keep = SHORT_BYTES * 2
    raw = entry.get("bytes")
    if isinstance(raw, dict) and len(raw.get("hex", "")) > keep:
        return {**entry, "bytes": {**raw, "hex": raw["hex"][:keep], "truncated": True}}
    frame = entry.get("frame")
    if isinstance(frame, dict) and len(frame.get("payload_hex", "")) > keep:
        cut = {**frame, "payload_hex": frame["payload_hex"][:keep], "truncated": True}
        if isinstance(cut.get("text"), str):
            cut["text"] = cut["text"][:SHORT_BYTES]
        return {**entry, "frame": cut}
    return entry


def _note(at: dict[str, Any], text: str) -> dict[str, Any]:
    return {"t": at.get("t", 0.0), "dir": "event", "event": text}


def _entry_size(entry: dict[str, Any]) -> int:
    """About the memory one wire log entry takes as a dict (measured on CPython 3.11)."""
    body = entry.get("bytes") or entry.get("frame")
    if isinstance(body, dict):
        return 700 + len(body.get("hex", "")) + len(body.get("payload_hex", ""))
    return 250 + len(str(entry.get("event", "")))


def _budget(config: pytest.Config, mode: str) -> WireBudget:
    """This process's budget (its share of the run's, under xdist) and the run's mode."""
    budget = config.stash.get(_KEEPER_KEY, None)
    if budget is None:
        workers = 1
        workerinput = getattr(config, "workerinput", None)
        if workerinput is not None:
            workers = max(int(workerinput.get("workercount", 1)), 1)
        budget = config.stash[_KEEPER_KEY] = WireBudget(WIRELOG_RUN_BUDGET // workers, mode)
    return budget


def keep_wirelog(config: pytest.Config, case: dict[str, Any], mode: str) -> None:
    """Cut ``case["wirelog"]`` to what this run's reports keep under ``--wirelog=mode``
    (the plugin's one call)."""
    _budget(config, mode).keep_case(case)
