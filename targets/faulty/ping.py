"""Faults of pings and pongs (RFC 6455 5.5.2, 5.5.3) and of control frames' size (5.5)."""

from __future__ import annotations

from wsspec.targets.reference.server import Behaviour

from .corrupt import flip_last_bit
from .registry import fault
from .rewrite import RawHeader, Rewriting

#: the cases a server answering pings must get right.
_PONGS = ("ping.pong.*", "ping.unsolicited-pong.*", "fragmentation.ping-between.*",
          "fragmentation.pings-between.*")


@fault(
    "no-pong",
    "RFC 6455 5.5.2: a ping must be answered with a pong; this server never answers.",
    catches=_PONGS,
)
class NoPong(Behaviour):
    def pong(self, payload: bytes) -> bytes | None:
        return None


@fault(
    "pong-wrong-payload",
    "RFC 6455 5.5.3: a pong must carry the ping's application data; this one differs.",
    catches=_PONGS,
)
class PongWrongPayload(Behaviour):
    def pong(self, payload: bytes) -> bytes | None:
        answer = super().pong(payload)
        return None if answer is None else flip_last_bit(answer)


@fault(
    "accept-oversize-control",
    "RFC 6455 5.5: a control frame with more than 125 bytes of payload must fail the "
    "connection; this server skips it and goes on.",
    catches=("ping.too-long.*", "close.payload.reason-124-bytes"),
)
class AcceptOversizeControl(Rewriting):
    """A control frame of more than 125 bytes is skipped instead of failing the connection."""

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        return None if header.opcode >= 0x8 and header.length > 125 else header
