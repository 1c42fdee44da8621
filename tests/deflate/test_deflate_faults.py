"""Each permessage-deflate fault of targets/faulty is caught by the deflate section,
by exactly the cases that check the rule it breaks, and by no other."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _deflate_expected import DECLINED_WINDOW_8, NO_CONTEXT, UNCOMPRESSED
from conftest import Run, server_cmd
from wsspec.targets.profiles import REFERENCE_PROFILE

Runner = Callable[..., Run]

#: fault → the verdict of every case it changes (all others as for the reference server).
EXPECTED: dict[str, dict[str, str]] = {
    # server_no_context_takeover agreed, yet the second copy of a message refers back
    # into the first (13.2, 13.6 and 13.7 cases included).
    "deflate-context-takeover": dict.fromkeys(NO_CONTEXT, "fail"),
    # messages compressed with a 32 KiB window where 9 to 14 bits were agreed; the
    # exact check of server-window.* finds every one, the receiver's check the larger.
    "deflate-window-too-large": dict.fromkeys(
        {f"deflate.server-window.{bits}" for bits in range(9, 15)}
        | {"deflate.negotiate.server-max-window-bits"}, "fail"),
    # RSV1 on echoes where permessage-deflate was declined or never offered.
    "deflate-unnegotiated": dict.fromkeys(
        UNCOMPRESSED | DECLINED_WINDOW_8 | {"deflate.server-window.8"}, "fail"),
    "accept-rsv1-continuation": dict.fromkeys(
        {"deflate.rsv1.continuation-of-compressed",
         "deflate.rsv1.continuation-of-uncompressed"}, "fail"),
    "accept-rsv1-control": dict.fromkeys(
        {"deflate.rsv1.ping", "deflate.rsv1.pong", "deflate.rsv1.close"}, "fail"),
    # refused only once the message is complete, and only after inflating all of it.
    "deflate-unbounded-inflate": dict.fromkeys(
        {"deflate.bomb.fragmented", "deflate.bomb.corrupt-tail"}, "non-strict"),
}


def reference_verdicts(ids: set[str]) -> dict[str, str]:
    return {i: "informational" if i in DECLINED_WINDOW_8 else "pass" for i in ids}


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_fault_is_caught_by_its_cases(run_in: Runner, fault: str) -> None:
    cmd = server_cmd("wsspec.targets.faulty", "--fault", fault, "--port", "{port}",
                     "--profile", str(REFERENCE_PROFILE))
    run = run_in(f"--target-cmd={cmd}", f"--target-profile={REFERENCE_PROFILE}",
                 "-m", "deflate", "--case-timeout=2", timeout=300)
    verdicts = run.verdicts()
    expected = {**reference_verdicts(set(verdicts)), **EXPECTED[fault]}
    changed = {i: v for i, v in verdicts.items() if v != expected[i]}
    assert changed == {}, run.output[-3000:]
    assert set(EXPECTED[fault]) <= set(verdicts)


def test_every_deflate_fault_is_run() -> None:
    from wsspec.targets.faulty import FAULTS

    assert {name for name in FAULTS if name.startswith(("deflate-", "accept-rsv1-"))} \
        == set(EXPECTED)
