"""The deflate section against websockets' server with compression on.

Its results are recorded, with explanations, in docs/compatibility.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from _deflate_expected import DECLINED_WINDOW_8
from conftest import Run, server_cmd

Runner = Callable[..., Run]

PROFILE = Path(__file__).with_name("websockets.toml")

#: websockets fails these connections at once, from its protocol layer, while its
#: application task may not have echoed the valid message sent just before the bad
#: frame yet: pass or non-strict depending on scheduling (as in Autobahn 3.x).
FAILS_BEFORE_ECHO = {
    "deflate.rsv1.continuation-of-compressed", "deflate.rsv1.continuation-of-uncompressed",
    "deflate.rsv1.ping", "deflate.rsv1.pong", "deflate.rsv1.close",
    "deflate.rsv1.not-negotiated", "deflate.invalid.reserved-block-type",
    "deflate.invalid.stored-length-mismatch", "deflate.invalid.invalid-utf8-inside",
}


def test_websockets_server_with_compression(run_in: Runner) -> None:
    cmd = server_cmd("wsspec.targets.thirdparty.websockets_echo", "{port}", "--deflate",
                     "--max-size", "1048576")
    run = run_in(f"--target-cmd={cmd}", f"--target-profile={PROFILE}", "-m", "deflate",
                 timeout=300)
    assert run.returncode == 0, run.output
    verdicts = run.verdicts()
    assert "fail" not in verdicts.values() and "error" not in verdicts.values()
    # websockets declines server_max_window_bits=8, as RFC 7692 7.1.2.1 allows.
    assert {i for i, v in verdicts.items() if v == "informational"} == DECLINED_WINDOW_8
    assert {i for i, v in verdicts.items() if v == "non-strict"} <= FAILS_BEFORE_ECHO
    assert verdicts["deflate.server-window.8"] == "pass"
    assert {verdicts[f"deflate.bomb.{b}"] for b in ("one-frame", "fragmented",
                                                     "corrupt-tail")} == {"pass"}
