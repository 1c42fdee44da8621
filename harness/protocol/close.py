"""Close frame payloads and close codes (RFC 6455 §5.5.1, §7.4).

A close payload is empty, or a 2-byte big-endian status code followed by a
UTF-8 reason, 125 bytes at most in all. Which codes may travel on the wire is
set by RFC 6455 §7.4 and the IANA "WebSocket Close Code Number" registry:

=============  =========  ===================================================
codes          kind       why
=============  =========  ===================================================
0–999          INVALID    not used
1000–1003      VALID      defined by RFC 6455
1004           RESERVED   reserved, meaning may be defined later
1005, 1006     RESERVED   stand for "no code" / "abnormal"; never sent
1007–1011      VALID      defined by RFC 6455 (1010: client only, 1011 added)
1012–1014      VALID      registered with IANA (restart, try again, gateway)
1015           RESERVED   stands for "TLS handshake failed"; never sent
1016–2999      RESERVED   for this RFC, later revisions and extensions
3000–3999      VALID      registered with IANA by libraries and frameworks
4000–4999      VALID      private use
5000–65535     INVALID    outside every range RFC 6455 defines
=============  =========  ===================================================

Only VALID codes may be accepted in a received close frame.

Two groups of codes are read two ways, and either reading is allowed (see
:func:`is_registered_after_rfc6455` and :func:`is_beyond_rfc6455_ranges`):
1012–1014 are VALID in the registry but lie in the range RFC 6455 §7.4.2
reserves for the protocol, so an implementation of the RFC alone refuses
them as reserved; and RFC 6455 defines no range above 4999, so a code there
may be refused as invalid or taken as the application's own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import ProtocolViolation, Violation

__all__ = [
    "CLOSE_CODE_NAMES",
    "CloseCodeKind",
    "CloseInfo",
    "classify_close_code",
    "encode_close_payload",
    "is_beyond_rfc6455_ranges",
    "is_registered_after_rfc6455",
    "is_valid_on_wire",
    "parse_close_payload",
]


class CloseCodeKind(enum.Enum):
    """What RFC 6455 §7.4 and the IANA registry make of a close code."""

    #: May be sent and must be accepted in a close frame.
    VALID = "valid"
    #: Reserved: defined for local use only, or not assigned yet; never on the wire.
    RESERVED = "reserved"
    #: Outside every range RFC 6455 defines.
    INVALID = "invalid"


#: Names of the codes RFC 6455 and the IANA registry define.
CLOSE_CODE_NAMES: dict[int, str] = {
    1000: "Normal Closure",
    1001: "Going Away",
    1002: "Protocol Error",
    1003: "Unsupported Data",
    1004: "Reserved",
    1005: "No Status Received",
    1006: "Abnormal Closure",
    1007: "Invalid Frame Payload Data",
    1008: "Policy Violation",
    1009: "Message Too Big",
    1010: "Mandatory Extension",
    1011: "Internal Error",
    1012: "Service Restart",
    1013: "Try Again Later",
    1014: "Bad Gateway",
    1015: "TLS Handshake",
}

_RESERVED_NAMED = frozenset({1004, 1005, 1006, 1015})


def classify_close_code(code: int) -> CloseCodeKind:
    """Classify any 16-bit close code (see the table in the module docstring).

    ``ValueError`` outside 0–65535, which a close payload cannot carry.
    """
    if not 0 <= code <= 0xFFFF:
        raise ValueError(f"close code must be 0-65535, got {code}")
    if code < 1000 or code >= 5000:
        return CloseCodeKind.INVALID
    if code >= 3000:
        return CloseCodeKind.VALID
    if code in _RESERVED_NAMED or code >= 1016:
        return CloseCodeKind.RESERVED
    return CloseCodeKind.VALID


def is_valid_on_wire(code: int) -> bool:
    """True iff a received close frame may carry ``code`` (False for any non-16-bit value)."""
    return 0 <= code <= 0xFFFF and classify_close_code(code) is CloseCodeKind.VALID


#: Codes IANA registered after RFC 6455, inside the range 1000–2999 its §7.4.2
#: reserves for the protocol: Service Restart, Try Again Later, Bad Gateway.
_REGISTERED_AFTER_RFC6455 = frozenset({1012, 1013, 1014})


def is_registered_after_rfc6455(code: int) -> bool:
    """True iff ``code`` is VALID only through the IANA registry: registered after
    RFC 6455 in the range its §7.4.2 reserves (1012–1014), so that an
    implementation of the RFC alone takes it for a reserved code."""
    return code in _REGISTERED_AFTER_RFC6455


def is_beyond_rfc6455_ranges(code: int) -> bool:
    """True iff ``code`` lies above 4999, where RFC 6455 §7.4.2 defines no range."""
    return code > 4999


def encode_close_payload(code: int | None = None, reason: str | bytes = b"") -> bytes:
    """The payload of a close frame: ``code`` as 2 bytes, then ``reason``.

    No rule is checked beyond what can be written: any code 0–65535 (valid
    or not), a reason as text (UTF-8 encoded) or as raw bytes (to send
    invalid UTF-8), of any length. ``code=None`` gives the empty payload and
    then requires an empty reason. ``ValueError`` otherwise.
    """
    raw = reason.encode("utf-8") if isinstance(reason, str) else bytes(reason)
    if code is None:
        if raw:
            raise ValueError("a close payload without a code cannot carry a reason")
        return b""
    if not 0 <= code <= 0xFFFF:
        raise ValueError(f"close code must be 0-65535, got {code}")
    return code.to_bytes(2, "big") + raw


@dataclass(frozen=True, slots=True)
class CloseInfo:
    """What a close frame says: ``code`` is ``None`` for an empty payload."""

    code: int | None
    reason: str = ""


def parse_close_payload(payload: bytes) -> CloseInfo:
    """Parse and check the payload of a received close frame.

    Raises :class:`ProtocolViolation`: ``CONTROL_TOO_LONG`` above 125 bytes,
    ``CLOSE_PAYLOAD_TOO_SHORT`` for a single byte, ``INVALID_CLOSE_CODE`` for
    a code that is not VALID, ``INVALID_UTF8`` for a reason that is not UTF-8.
    """
    if len(payload) > 125:
        raise ProtocolViolation(
            Violation.CONTROL_TOO_LONG,
            f"close payload of {len(payload)} bytes (at most 125)",
        )
    if not payload:
        return CloseInfo(None, "")
    if len(payload) == 1:
        raise ProtocolViolation(
            Violation.CLOSE_PAYLOAD_TOO_SHORT,
            f"close payload of 1 byte ({payload.hex()}): a code takes 2",
        )
    code = int.from_bytes(payload[:2], "big")
    kind = classify_close_code(code)
    if kind is not CloseCodeKind.VALID:
        raise ProtocolViolation(
            Violation.INVALID_CLOSE_CODE,
            f"close code {code} is {kind.value} and must not be sent",
        )
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolViolation(
            Violation.INVALID_UTF8,
            f"close reason is not UTF-8 (byte {exc.start} of the reason: "
            f"{payload[2 + exc.start : 2 + exc.end].hex()})",
        ) from None
    return CloseInfo(code, reason)
