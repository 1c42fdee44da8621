"""The deflate section against the reference server, as ``pytest --target=reference``
runs it: with no profile given, the reference profile turns permessage-deflate on."""

from __future__ import annotations

from collections.abc import Callable

from _deflate_expected import DECLINED_WINDOW_8, autobahn_ids
from conftest import Run

Runner = Callable[..., Run]


def test_reference_server_passes_the_deflate_section(run_in: Runner) -> None:
    run = run_in("--target=reference", "-m", "deflate", "-n", "2", timeout=300)
    assert run.returncode == 0, run.output
    report = run.report()
    assert report["target"]["profile"]["deflate"] == {"enabled": True}
    verdicts = run.verdicts()
    assert all(case_id.startswith("deflate.") for case_id in verdicts)
    # server_max_window_bits=8 is declined (zlib cannot compress with 8 bits): allowed.
    assert {i for i, v in verdicts.items() if v != "pass"} == DECLINED_WINDOW_8
    assert {verdicts[i] for i in DECLINED_WINDOW_8} == {"informational"}
    assert verdicts["deflate.server-window.8"] == "pass"


def test_every_autobahn_12_and_13_case_is_claimed(run_in: Runner) -> None:
    run = run_in("--target=reference", "-m", "deflate", "--wsspec-list")
    assert run.returncode == 0, run.output
    claimed = {line.rsplit("[autobahn ", 1)[1].rstrip("]")
               for line in run.output.splitlines() if "[autobahn " in line}
    assert claimed == autobahn_ids()
