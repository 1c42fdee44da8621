"""Which rule a fuzz failure breaks, and the catalogue cases that check the same rule.

A fuzz case reports one shrunk example; the runner names the rule that
example breaks (:attr:`wsspec.fuzz.runner.Outcome.rule`, shown as
``rule: <name>`` in the failure text). Each name here maps to the prefixes of
the catalogue case ids that state the same requirement, so that a fuzz run
can be compared with the catalogue rule by rule: against a given server,
every rule the fuzz section finds broken should be one the catalogue fails
too (``tests/thirdparty/test_fuzz_rules.py`` holds third-party servers to
it).

The names of the rules of frame processing are the core's
:class:`~wsspec.protocol.errors.Violation` values: what the connection
should have been failed for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["CATALOGUE", "catalogue_cases", "explained", "handshake_rule", "rules_in"]

#: rule → the prefixes of the catalogue case ids that check it.
CATALOGUE: dict[str, tuple[str, ...]] = {
    # what a server does with valid traffic
    "message-delivery": ("framing.echo.", "framing.size.", "fragmentation.", "utf8.valid",
                         "utf8.empty.", "utf8.boundary", "misc.", "deflate.traffic.",
                         "deflate.variant.", "deflate.fragmented.", "deflate.empty."),
    "pong": ("ping.",),
    "close-answer": ("close.normal.", "close.code.valid-", "close.payload.", "close.order.",
                     "close.after.", "close.tcp."),
    "server-frames": ("framing.", "fragmentation.", "close.", "ping.", "utf8.", "deflate."),
    # what the connection must be failed for (the core's Violation values)
    "unmasked-frame": ("framing.unmasked.",),
    "rsv-bits": ("rsv.",),
    "reserved-opcode": ("opcodes.reserved.",),
    "control-too-long": ("ping.too-long.",),
    "control-fragmented": ("fragmentation.control-fragmented.",),
    "non-minimal-length": ("framing.length.non-minimal.",),
    "length-top-bit": ("framing.length.top-bit.",),
    "unexpected-continuation": ("fragmentation.stray-continuation",
                                "fragmentation.continuation-after-final"),
    "expected-continuation": ("fragmentation.new-message-mid-message.",
                              "fragmentation.close-mid-message"),
    "invalid-utf8": ("utf8.",),
    "invalid-utf8-close-reason": ("close.reason.invalid-utf8-",),
    "invalid-close-code": ("close.code.invalid-",),
    "close-payload-too-short": ("close.payload.",),
    "frame-too-large": ("limits.",),
    "message-too-large": ("limits.",),
    "compressed-control": ("deflate.control.",),
    "compressed-continuation": ("deflate.rsv1.",),
    "bad-compressed-data": ("deflate.invalid.",),
    # the opening handshake
    "handshake.accept": ("handshake.accept.", "handshake.header_case.", "handshake.token_case.",
                         "handshake.unknown_header.", "handshake.stream."),
    "handshake.host": ("handshake.host.",),
    "handshake.upgrade": ("handshake.upgrade.",),
    "handshake.connection": ("handshake.connection.",),
    "handshake.key": ("handshake.key.",),
    "handshake.version": ("handshake.version.",),
    "handshake.http-version": ("handshake.http_version.",),
    "handshake.method": ("handshake.method.",),
}

#: The header a handshake mutation touches → the rule a refusal of it checks.
_HEADERS = {
    "host": "handshake.host",
    "upgrade": "handshake.upgrade",
    "connection": "handshake.connection",
    "sec-websocket-key": "handshake.key",
    "sec-websocket-version": "handshake.version",
}


def handshake_rule(mutations: Iterable[str], *, must_accept: bool) -> str:
    """The rule a failing handshake probe breaks: ``handshake.accept`` when the
    request had to be accepted, else the rule of the first mutation that makes it
    one to refuse (``mutations`` as a probe names them: ``drop:Host``, ...)."""
    if must_accept:
        return "handshake.accept"
    for mutation in mutations:
        kind, _, rest = mutation.partition(":")
        if kind == "method":
            return "handshake.method"
        if kind == "http-version":
            return "handshake.http-version"
        if kind in ("value", "drop", "duplicate"):
            header = rest.split(":", 1)[0].lower()
            if header in _HEADERS:
                return _HEADERS[header]
    return "handshake.accept"


_RULE_LINE = re.compile(r"^rule: ([\w.-]+)", re.MULTILINE)


def rules_in(text: str) -> list[str]:
    """The rules a fuzz case's failure text names (its ``rule: <name>`` lines)."""
    return _RULE_LINE.findall(text)


def catalogue_cases(rule: str, failing: Iterable[str]) -> list[str]:
    """The catalogue case ids among ``failing`` that check ``rule``."""
    prefixes = CATALOGUE.get(rule, ())
    return sorted(case for case in failing if case.startswith(prefixes))


def explained(rule: str, failing: Iterable[str]) -> bool:
    """Whether the catalogue, failing the cases ``failing``, fails ``rule`` too."""
    return bool(catalogue_cases(rule, failing))
