"""Faults of the profile's policies: ``[auth]``, ``[origin]``, the subprotocol,
``[heartbeat]`` and ``[limits]``. Each bends the profile or the request the
reference server judges, so it enforces less (or other) than it declares."""

from __future__ import annotations

import dataclasses

import jwt
from wsspec.profile import AuthPolicy, TargetProfile
from wsspec.protocol.frames import Frame, Opcode
from wsspec.protocol.handshake import HandshakeRequest
from wsspec.targets.reference.auth import presented_tokens
from wsspec.targets.reference.server import Acceptance, Behaviour, Refusal

from .registry import fault
from .rewrite import RawHeader, Rewriting

#: a timer that never fires within any run (s).
_NEVER = 1e9
#: the limits cases, less the one that waits for the handshake timeout.
_LIMITS = "limits.policy and not handshake-timeout"


# -- [auth] ------------------------------------------------------------------------


def _jwt_header_alg(token: str) -> str | None:
    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError:
        return None
    return alg if isinstance(alg, str) else None


def _claims_pass(token: str, auth: AuthPolicy, *, signature: bool = True,
                 expiry: bool = True) -> bool:
    """Whether ``token`` passes the reference server's JWT checks, less the
    signature and/or the expiry check."""
    if auth.jwt_secret is None:
        return False
    try:
        jwt.decode(
            token,
            auth.jwt_secret,
            algorithms=["HS256"],
            audience=auth.audience,
            issuer=auth.issuer,
            options={
                "verify_signature": signature,
                "verify_exp": expiry,
                "verify_nbf": True,
                "verify_aud": auth.audience is not None,
                "verify_iss": auth.issuer is not None,
                "require": ["exp"],
            },
        )
    except jwt.PyJWTError:
        return False
    return True


class _LetsTokensThrough(Behaviour):
    """Base of the faults that accept tokens the reference server refuses."""

    def _lets_through(self, token: str, auth: AuthPolicy) -> bool:
        return False

    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        auth = profile.auth
        if auth is not None and any(
            self._lets_through(token, auth) for token in presented_tokens(request, auth)
        ):
            profile = dataclasses.replace(profile, auth=None)
        return super().judge(request, profile)


@fault(
    "auth-bypass-no-credentials",
    "Profile [auth]: a handshake without credentials must be refused; this server "
    "accepts one that presents none.",
    catches=("auth.missing.*", "auth.misformatted.jwt-word", "auth.misformatted.no-word",
             "auth.misformatted.offer-without-marker", "auth.misformatted.token-word"),
)
class AuthBypassNoCredentials(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        if profile.auth is not None and not presented_tokens(request, profile.auth):
            profile = dataclasses.replace(profile, auth=None)
        return super().judge(request, profile)


@fault(
    "auth-expired-accepted",
    "Profile [auth] (RFC 7519 4.1.4): an expired JWT must be refused; this server "
    "accepts one whose signature and other claims are right.",
    catches=("auth.jwt.expired.*",),
)
class AuthExpiredAccepted(_LetsTokensThrough):
    def _lets_through(self, token: str, auth: AuthPolicy) -> bool:
        return _claims_pass(token, auth, expiry=False)


@fault(
    "auth-alg-none-accepted",
    "Profile [auth] (RFC 8725 3.1): an unsigned JWT (alg: none) must be refused; this "
    "server accepts one whose claims are right.",
    catches=("auth.jwt.alg-none.*",),
)
class AuthAlgNoneAccepted(_LetsTokensThrough):
    def _lets_through(self, token: str, auth: AuthPolicy) -> bool:
        alg = _jwt_header_alg(token)
        return alg is not None and alg.lower() == "none" and _claims_pass(
            token, auth, signature=False)


@fault(
    "auth-bad-signature-accepted",
    "Profile [auth] (RFC 7515 5.2): a JWT whose HS256 signature does not verify must be "
    "refused; this server does not check the signature.",
    catches=("auth.jwt.other-secret.*", "auth.token.altered.*"),
)
class AuthBadSignatureAccepted(_LetsTokensThrough):
    def _lets_through(self, token: str, auth: AuthPolicy) -> bool:
        return _jwt_header_alg(token) == "HS256" and _claims_pass(token, auth, signature=False)


@fault(
    "auth-header-token-refused",
    "Profile [auth]: a valid token in Authorization: Bearer must be accepted when the "
    "bearer scheme is declared; this server only reads the other schemes.",
    # bearer is the reference profile's first scheme, so every case outside the auth
    # section, whose credentials it carries, catches it too
    catches=("auth.bearer.scheme-case", "auth.valid.bearer"),
)
class AuthHeaderTokenRefused(Behaviour):
    """Reads every declared scheme but ``Authorization: Bearer``."""

    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        auth = profile.auth
        if auth is not None and "bearer" in auth.schemes:
            schemes = tuple(scheme for scheme in auth.schemes if scheme != "bearer")
            profile = dataclasses.replace(profile, auth=dataclasses.replace(auth, schemes=schemes))
        return super().judge(request, profile)


# -- [origin] and the subprotocol ----------------------------------------------------


@fault(
    "origin-any-accepted",
    "RFC 6455 10.2 and profile [origin]: an Origin not allowed must be refused with 403; "
    "this server accepts any.",
    catches=("origin.lookalike.*", "origin.refused.*"),
)
class OriginAnyAccepted(Behaviour):
    def policy(self, profile: TargetProfile) -> TargetProfile:
        return dataclasses.replace(super().policy(profile), origin=None)


@fault(
    "subprotocol-first-header-only",
    "RFC 6455 11.3.4: several Sec-WebSocket-Protocol headers are one list; this server "
    "reads only the first.",
    catches=("subprotocol.split.unknown-then-declared",),
)
class SubprotocolFirstHeaderOnly(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        offers = request.get("Sec-WebSocket-Protocol")
        if len(offers) > 1:
            request = request.replace("Sec-WebSocket-Protocol", offers[0])
        return super().judge(request, profile)


@fault(
    "subprotocol-requirement-ignored",
    "Profile subprotocol_required: a client offering no spoken subprotocol must be "
    "refused; this server accepts it.",
    catches=("subprotocol.required.*",),
    profile="opaque-token",
)
class SubprotocolRequirementIgnored(Behaviour):
    def policy(self, profile: TargetProfile) -> TargetProfile:
        return dataclasses.replace(super().policy(profile), subprotocol_required=False)


# -- [heartbeat] -------------------------------------------------------------------


class _HeartbeatTimerOff(Behaviour):
    """Base of the faults that run one heartbeat timer never (``timer``)."""

    timer = ""

    def policy(self, profile: TargetProfile) -> TargetProfile:
        profile = super().policy(profile)
        if profile.heartbeat is None:
            return profile
        heartbeat = dataclasses.replace(profile.heartbeat, **{self.timer: _NEVER})
        return dataclasses.replace(profile, heartbeat=heartbeat)


@fault(
    "heartbeat-no-pings",
    "Profile [heartbeat]: the server must ping every ping_interval; this one never pings.",
    catches=("heartbeat.ping.*", "heartbeat.drop.*"),
    profile="full",
)
class HeartbeatNoPings(_HeartbeatTimerOff):
    timer = "ping_interval"


@fault(
    "heartbeat-never-drops",
    "Profile [heartbeat]: a client that does not answer pings must be dropped within "
    "timeout; this server pings but never drops it.",
    catches=("heartbeat.drop.*",),
    profile="full",
)
class HeartbeatNeverDrops(_HeartbeatTimerOff):
    timer = "timeout"


@fault(
    "heartbeat-drops-answering",
    "Profile [heartbeat] (RFC 6455 5.5.3): a pong answers the heartbeat; this server "
    "ignores pongs and drops every client after timeout.",
    catches=("heartbeat.keepalive.*",),
    profile="full",
)
class HeartbeatDropsAnswering(Rewriting):
    """Pongs never reach the heartbeat: well-formed ones are taken out of the
    input (malformed ones still reach the parser, which fails on them)."""

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        well_formed = (header.fin and header.length <= 125
                       and not (header.rsv1 or header.rsv2 or header.rsv3))
        return None if header.opcode == Opcode.PONG and well_formed else header


# -- [limits] ----------------------------------------------------------------------


@fault(
    "limit-ignored",
    "RFC 6455 10.4 and profile [limits]: a message beyond max_message_size must be "
    "refused with 1009; this server takes up to 64 MiB.",
    catches=("limits.policy.over.*",),
    scope=_LIMITS,
)
class LimitIgnored(Behaviour):
    def policy(self, profile: TargetProfile) -> TargetProfile:
        profile = super().policy(profile)
        if profile.limits is None:
            return profile
        limits = dataclasses.replace(profile.limits, max_message_size=None)
        return dataclasses.replace(profile, limits=limits)


@fault(
    "limit-wrong-close-code",
    "RFC 6455 7.4.1, 7.1.7: a message too big to process is refused with the code for it, "
    "1009 (an appropriate code is a SHOULD); this server sends 1008.",
    catches=("limits.policy.over.*", "limits.policy.huge-frame"),
    verdict="non-strict",
    scope=_LIMITS,
)
class LimitWrongCloseCode(Behaviour):
    """The close the server starts for an oversized message carries 1008; a
    reply echoing a client's 1009 (which has no reason) is left alone."""

    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        if opcode == Opcode.CLOSE and len(payload) > 2 and payload[:2] == b"\x03\xf1":
            payload = (1008).to_bytes(2, "big") + payload[2:]
        return super().frame(opcode, payload, rsv1=rsv1)


@fault(
    "handshake-timeout-ignored",
    "Profile [limits] handshake_timeout: a client that does not complete the opening "
    "handshake in time must be dropped; this server waits for ever.",
    catches=("limits.policy.handshake-timeout.*",),
    scope="handshake-timeout",
)
class HandshakeTimeoutIgnored(Behaviour):
    def policy(self, profile: TargetProfile) -> TargetProfile:
        profile = super().policy(profile)
        if profile.limits is None:
            return profile
        limits = dataclasses.replace(profile.limits, handshake_timeout=_NEVER)
        return dataclasses.replace(profile, limits=limits)
