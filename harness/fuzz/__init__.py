"""Fuzzing a WebSocket server: Hypothesis strategies, an oracle, live campaigns, replay.

* :mod:`~wsspec.fuzz.strategies`: public Hypothesis strategies for client
  traffic, valid and invalid (handshakes, frames, fragmented messages with
  control frames between fragments, close payloads, permessage-deflate).
* :mod:`~wsspec.fuzz.oracle`: what a conforming server does with any
  sequence of client frames, derived from the sans-IO core.
* :mod:`~wsspec.fuzz.runner`: one example played against a live target
  and judged by the oracle, each play written down as a
  :mod:`~wsspec.fuzz.transcript`.
* :mod:`~wsspec.fuzz.judge` and :mod:`~wsspec.fuzz.handshake_judge`: an
  independent judge of the same transcripts, on wsproto and h11, sharing no
  code with the core; :mod:`~wsspec.fuzz.crosscheck` confirms every verdict
  with it.
* :mod:`~wsspec.fuzz.campaign`: Hypothesis driving examples, with budgets
  and shrinking; :mod:`~wsspec.fuzz.case` runs one as a conformance case.
* :mod:`~wsspec.fuzz.replay`: replay files and ``wsspec replay``.

The names below are loaded on first use, so that importing the package (the
plugin does, to validate the ``--fuzz-*`` options) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Conversation": "script", "HandshakeProbe": "script", "Step": "script",
    "Ending": "oracle", "EndingKind": "oracle", "Expectation": "oracle", "Reaction": "oracle",
    "predict": "oracle",
}

__all__ = [
    "Conversation",
    "Ending",
    "EndingKind",
    "Expectation",
    "HandshakeProbe",
    "Reaction",
    "Step",
    "predict",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
