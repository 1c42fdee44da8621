"""What a case saw, in words: the one place events become text for failure messages.

Every ``expected``/``observed`` pair the DSL, the cases and the fuzz runner
report describes the target's events (a message, a control frame, the end of
the stream, nothing at all) with :func:`describe_event`, so the same event
reads the same in every report.
"""

from __future__ import annotations

from collections.abc import Sequence

from wsspec.driver.base import StreamEnd
from wsspec.protocol.close import CloseInfo, parse_close_payload
from wsspec.protocol.frames import Frame, Opcode, opcode_name
from wsspec.protocol.messages import Message

__all__ = [
    "describe_close",
    "describe_codes",
    "describe_difference",
    "describe_event",
    "describe_message",
    "describe_statuses",
]

#: bytes of a message's data shown; the length is always given in full.
_SHOWN = 48


def describe_event(event: Frame | Message | StreamEnd | None, wait: float) -> str:
    """One phrase for what came from the target within ``wait`` seconds (None:
    nothing did), e.g. ``close frame code 1002``."""
    if event is None:
        return f"nothing within {wait:g} s"
    if isinstance(event, StreamEnd):
        return "TCP connection closed (FIN)" if event is StreamEnd.FIN else "connection reset"
    if isinstance(event, Message):
        return describe_message(event)
    if event.opcode == Opcode.CLOSE:
        return f"close frame {describe_close(parse_close_payload(event.payload))}"
    return f"{opcode_name(event.opcode)} frame {event.payload[:32]!r}"


def describe_message(message: Message) -> str:
    """``text message of 5 bytes 'hello'``; binary data is shown in hex."""
    kind = "text" if message.opcode == Opcode.TEXT else "binary"
    data = message.data
    shown = data[:_SHOWN]
    more = "…" if len(data) > _SHOWN else ""
    body = repr(shown.decode("utf-8", "replace")) if kind == "text" else shown.hex()
    return f"{kind} message of {len(data)} bytes {body}{more}"


def describe_close(info: CloseInfo) -> str:
    """``code 1000 reason 'bye'``, or ``without a status code``."""
    if info.code is None:
        return "without a status code"
    return f"code {info.code}" + (f" reason {info.reason!r}" if info.reason else "")


def describe_codes(codes: Sequence[int]) -> str:
    """``1002 or 1007``."""
    return " or ".join(str(c) for c in codes)


def describe_statuses(statuses: Sequence[int] | range) -> str:
    """``a status 400-499``, or ``status 401 or 403``."""
    if isinstance(statuses, range) and statuses.step == 1:
        return f"a status {statuses.start}-{statuses.stop - 1}"
    return "status " + " or ".join(str(s) for s in statuses)


def describe_difference(sent: bytes, got: bytes) -> str:
    """Where an echo departs from what was sent, for a reader comparing them."""
    at = next((i for i, (a, b) in enumerate(zip(sent, got, strict=False)) if a != b), None)
    if at is None:
        return f", {len(got)} bytes where {len(sent)} were sent (the common part is equal)"
    window = slice(max(at - 4, 0), at + 8)
    return (f", differing from the message sent at byte {at}: sent "
            f"{sent[window].hex(' ')}, got {got[window].hex(' ')}")
