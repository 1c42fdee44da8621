"""Servers broken as a whole: every connection, whatever the case sends.

They check the suite rather than one case: a verdict must never rest on a
connection the server was not serving (a server that closes TCP right after
its 101, or refuses every handshake), and a behaviour the RFC allows (pongs
sent unsolicited, RFC 6455 5.5.3) must change no verdict.
"""

from __future__ import annotations

from wsspec.profile import TargetProfile
from wsspec.protocol.handshake import HandshakeRequest
from wsspec.targets.reference.server import Acceptance, Behaviour, Refusal

from .registry import whole_server

#: seconds between the unsolicited pongs of ``unsolicited-pongs``.
PONG_INTERVAL = 0.05


@whole_server("closes-after-101",
              "accepts every valid handshake with a correct 101, then closes TCP at once")
class ClosesAfterUpgrade(Behaviour):
    def serves_after_accept(self) -> bool:
        return False


@whole_server("refuses-everything", "answers every opening handshake with 403 Forbidden")
class RefusesEverything(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        return Refusal(403, "forbidden")


@whole_server("unsolicited-pongs",
              f"compliant, and sends an empty unsolicited pong every {PONG_INTERVAL:g} s "
              "(RFC 6455 5.5.3 allows it)")
class UnsolicitedPongs(Behaviour):
    def unsolicited_pong_interval(self) -> float | None:
        return PONG_INTERVAL
