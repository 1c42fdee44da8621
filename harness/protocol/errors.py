"""Violations of RFC 6455 / RFC 7692 that the sans-IO core detects.

Every rule the core enforces has one :class:`Violation` member. A parser that
meets a violation raises :class:`ProtocolViolation`, which names the member,
the RFC section that states the rule, the close code a conforming endpoint
would fail the connection with, and a human-readable detail.
"""

from __future__ import annotations

import enum


class Violation(enum.Enum):
    """One rule of RFC 6455 / RFC 7692, broken. Values are stable identifiers."""

    #: (section, close code) for each member, filled below the class.
    MASKED_FRAME = "masked-frame"
    UNMASKED_FRAME = "unmasked-frame"
    RSV_BITS = "rsv-bits"
    RESERVED_OPCODE = "reserved-opcode"
    CONTROL_TOO_LONG = "control-too-long"
    CONTROL_FRAGMENTED = "control-fragmented"
    NON_MINIMAL_LENGTH = "non-minimal-length"
    LENGTH_TOP_BIT = "length-top-bit"
    UNEXPECTED_CONTINUATION = "unexpected-continuation"
    EXPECTED_CONTINUATION = "expected-continuation"
    INVALID_UTF8 = "invalid-utf8"
    INVALID_CLOSE_CODE = "invalid-close-code"
    CLOSE_PAYLOAD_TOO_SHORT = "close-payload-too-short"
    FRAME_TOO_LARGE = "frame-too-large"
    MESSAGE_TOO_LARGE = "message-too-large"
    COMPRESSED_CONTROL = "compressed-control"
    COMPRESSED_CONTINUATION = "compressed-continuation"
    BAD_COMPRESSED_DATA = "bad-compressed-data"
    WINDOW_TOO_LARGE = "window-too-large"

    @property
    def section(self) -> str:
        """The RFC section that states the rule, e.g. ``"RFC6455 5.1"``."""
        return _RULES[self][0]

    @property
    def close_code(self) -> int:
        """The close code an endpoint fails the connection with on this violation."""
        return _RULES[self][1]

    @property
    def close_codes(self) -> tuple[int, ...]:
        """Every close code that fits the violation, :attr:`close_code` first."""
        return (self.close_code, *_ALSO_FITTING.get(self, ()))


_RULES: dict[Violation, tuple[str, int]] = {
    Violation.MASKED_FRAME: ("RFC6455 5.1", 1002),
    Violation.UNMASKED_FRAME: ("RFC6455 5.1", 1002),
    Violation.RSV_BITS: ("RFC6455 5.2", 1002),
    Violation.RESERVED_OPCODE: ("RFC6455 5.2", 1002),
    Violation.CONTROL_TOO_LONG: ("RFC6455 5.5", 1002),
    Violation.CONTROL_FRAGMENTED: ("RFC6455 5.5", 1002),
    Violation.NON_MINIMAL_LENGTH: ("RFC6455 5.2", 1002),
    Violation.LENGTH_TOP_BIT: ("RFC6455 5.2", 1002),
    Violation.UNEXPECTED_CONTINUATION: ("RFC6455 5.4", 1002),
    Violation.EXPECTED_CONTINUATION: ("RFC6455 5.4", 1002),
    Violation.INVALID_UTF8: ("RFC6455 8.1", 1007),
    Violation.INVALID_CLOSE_CODE: ("RFC6455 7.4", 1002),
    Violation.CLOSE_PAYLOAD_TOO_SHORT: ("RFC6455 5.5.1", 1002),
    Violation.FRAME_TOO_LARGE: ("RFC6455 10.4", 1009),
    Violation.MESSAGE_TOO_LARGE: ("RFC6455 10.4", 1009),
    Violation.COMPRESSED_CONTROL: ("RFC7692 6", 1002),
    Violation.COMPRESSED_CONTINUATION: ("RFC7692 6", 1002),
    Violation.BAD_COMPRESSED_DATA: ("RFC7692 6.2", 1007),
    Violation.WINDOW_TOO_LARGE: ("RFC7692 7.1.2.1", 1002),
}

#: Violations for which the RFCs name no close code and a second one fits as well:
#: RFC 7692 6.2 only says to fail the connection on data that does not inflate, which is
#: inconsistent data (1007) as much as a protocol error (1002).
_ALSO_FITTING: dict[Violation, tuple[int, ...]] = {
    Violation.BAD_COMPRESSED_DATA: (1002,),
}


class ProtocolViolation(Exception):
    """Raised by the core when the peer breaks a rule.

    ``violation`` names the rule; ``detail`` says what was seen, in words a
    server author understands without reading the parser.
    """

    def __init__(self, violation: Violation, detail: str) -> None:
        super().__init__(f"{violation.value}: {detail} ({violation.section})")
        self.violation = violation
        self.detail = detail

    @property
    def close_code(self) -> int:
        return self.violation.close_code


class HandshakeViolation(Exception):
    """A handshake response (or request) breaks RFC 6455 §4 or RFC 7692 §5–7.

    ``problems`` lists every violation found, each as one sentence; a response
    check collects them all instead of stopping at the first.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
