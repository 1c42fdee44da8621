"""No verdict rests on a connection the server was not serving.

Three servers broken as a whole (:mod:`wsspec.targets.faulty.whole`) run under
the whole catalogue, the reference profile enforced:

* ``closes-after-101`` sends a correct 101 and closes TCP at once. Every case
  that sent a frame on an open connection must fail: a case proves the server
  processes the connection (a ping it must answer) before its first frame, so
  "TCP closed without a close frame" is never taken for the failure a case
  expects. Cases that never needed an open connection (refusals, the 101
  itself) may pass;
* ``refuses-everything`` answers 403 to every handshake. A refusal case cannot
  tell that apart from refusing its request, so it is ``error`` (the sibling
  check: a valid handshake sent right after is refused too); every case that
  needs a 101 fails;
* ``unsolicited-pongs`` is the reference server plus an empty pong every 50 ms
  (RFC 6455 5.5.3 allows them): it gets exactly the reference's verdicts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import load_script

km = load_script("kill_matrix")

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "targets" / "profiles" / "reference.toml"
CASE_TIMEOUT = 2.0
#: sections whose cases (all but a handful reading the 101 only) need an open connection.
CONNECTED = ("framing", "ping", "rsv", "opcodes", "fragmentation", "utf8", "close", "limits",
             "misc", "deflate")
#: cases about dropping a client that never completes its handshake: they pass
#: against a server that drops it, whatever it would answer to a complete one.
HANDSHAKE_DEADLINE = "limits.policy.handshake-timeout."


def _run(tmp_path: Path, *faults: str, markers: str | None = None) -> Any:
    run = km.run_suite(km.reference_target(*faults, profile=PROFILE), markers=markers,
                       case_timeout=CASE_TIMEOUT, workers=2, report_dir=tmp_path,
                       extra=["--wirelog=full"], timeout=600)
    assert run.cases, run.output[-3000:]
    return run


def _sent_a_frame(case: dict[str, Any]) -> bool:
    """Whether the case wrote a WebSocket frame (it had an open connection to use)."""
    return any(entry.get("dir") == "out" and "frame" in entry
               for entry in case.get("wirelog") or [])


def test_a_server_closing_after_its_101_fails_every_case_that_needs_it(tmp_path: Path) -> None:
    run = _run(tmp_path, "closes-after-101", markers=" or ".join(CONNECTED))
    needed = [c for c in run.cases if _sent_a_frame(c)]
    assert len(needed) > 900, len(needed)
    wrong = {c["id"]: (c["verdict"], c["observed"][:120]) for c in needed
             if c["verdict"] != "fail"}
    assert not wrong, wrong
    assert all("not processing the connection" in c["observed"]
               or "nothing before it showed" in c["observed"] for c in needed[:50])
    lenient = {c["id"]: c["verdict"] for c in run.cases
               if c["verdict"] in ("pass", "non-strict") and _sent_a_frame(c)}
    assert not lenient


def test_a_server_refusing_everything_leaves_no_refusal_case_graded(tmp_path: Path) -> None:
    run = _run(tmp_path, "refuses-everything")
    graded = {c["id"]: c["verdict"] for c in run.cases}
    lenient = {case: verdict for case, verdict in graded.items()
               if verdict in ("pass", "non-strict", "informational")
               and not case.startswith(HANDSHAKE_DEADLINE)}
    assert not lenient, lenient
    errors = [c for c in run.cases if c["verdict"] == "error"]
    assert len(errors) > 80, len(errors)
    assert all("refusing everything" in c["observed"] for c in errors), [
        (c["id"], c["observed"][:160]) for c in errors if "refusing everything" not in
        c["observed"]][:5]
    assert sum(v == "fail" for v in graded.values()) > 900


@pytest.fixture(scope="module")
def reference_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    run = _run(tmp_path_factory.mktemp("reference"))
    return dict(run.verdicts)


def test_unsolicited_pongs_change_no_verdict(reference_verdicts: dict[str, str],
                                            tmp_path: Path) -> None:
    run = _run(tmp_path, "unsolicited-pongs")
    changed = {case: (verdict, run.verdicts.get(case)) for case, verdict in
               reference_verdicts.items() if run.verdicts.get(case) != verdict}
    assert not changed, changed
    unsolicited = [entry for c in run.cases for entry in c.get("wirelog") or []
                   if entry.get("dir") == "in" and "frame" in entry
                   and entry["frame"]["opcode"] == "PONG" and entry["frame"]["length"] == 0]
    assert len(unsolicited) > 50, "the server sent too few unsolicited pongs to prove anything"
