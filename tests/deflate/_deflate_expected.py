"""What the deflate section is expected to report, built from its own tables."""

from __future__ import annotations

from wsspec.conformance.test_deflate import INVALID_OFFERS, SIZES

#: the parameter sets of Autobahn 13.x, by the name in the case ids.
PARAMETER_SETS = ("default", "no-context", "window-8", "window-15", "no-context-window-8",
                  "no-context-window-15", "fallback")


def params_ids(*offers: str) -> set[str]:
    """The 13.x-style case ids of the given parameter sets, every size."""
    return {f"deflate.params.{offer}.{label}" for offer in offers for _, label, _, _ in SIZES}


#: the offers asking for server_max_window_bits=8, which zlib-based servers decline.
DECLINED_WINDOW_8 = params_ids("window-8", "no-context-window-8")

#: the cases where permessage-deflate is not agreed and an echo is checked.
UNCOMPRESSED = {f"deflate.decline.{name}" for name in INVALID_OFFERS} | {
    "deflate.decline.not-offered", "deflate.offers.invalid-only", "deflate.rsv1.not-negotiated",
}

#: the cases that agree server_no_context_takeover (the reference server accepts every one).
NO_CONTEXT = params_ids("no-context", "no-context-window-15", "fallback") | {
    "deflate.negotiate.server-no-context-takeover", "deflate.negotiate.both-no-context-takeover",
    "deflate.negotiate.server-both", "deflate.negotiate.all-four",
    "deflate.offers.no-context-then-plain", "deflate.offers.no-context-then-window-two-headers",
    "deflate.server-no-context-takeover.alone", "deflate.server-no-context-takeover.with-window",
    "deflate.server-no-context-takeover.with-client",
}


def autobahn_ids() -> set[str]:
    """Every Autobahn|Testsuite id of sections 12 and 13."""
    twelve = {f"12.{j}.{i}" for j in range(1, 6) for i in range(1, 19)}
    thirteen = {f"13.{j}.{i}" for j in range(1, 8) for i in range(1, 19)}
    return twelve | thirteen
