"""The faults: each one a small :class:`~wsspec.targets.reference.server.Behaviour`
override that breaks one rule, and nothing else.

Each class calls ``super()`` for the compliant work and bends its result, so
several faults combine into one behaviour (see
:func:`wsspec.targets.faulty.behaviour_with`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections import deque

from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.frames import Frame, LengthForm, Opcode, is_reserved
from wsspec.protocol.messages import Message
from wsspec.targets.reference.server import Behaviour

from .rewrite import ZERO_MASK, FrameRewriter, RawHeader

_ACCEPT_RE = re.compile(rb"(?im)^(Sec-WebSocket-Accept:[ \t]*)([^\r\n]*)\r\n")
_UPGRADE_RE = re.compile(rb"(?im)^Upgrade:[^\r\n]*\r\n")


def _flip_last_bit(data: bytes) -> bytes:
    # XOR 1 on the last byte keeps valid UTF-8 valid (every range boundary of
    # UTF-8 is even), so a corrupted text echo is wrong, not malformed.
    if not data:
        return b"?"
    return data[:-1] + bytes((data[-1] ^ 0x01,))


class BadAccept(Behaviour):
    def accept_response(self, response: bytes) -> bytes:
        def wrong(match: re.Match[bytes]) -> bytes:
            value = base64.b64encode(hashlib.sha1(match.group(2)).digest())
            return match.group(1) + value + b"\r\n"

        return _ACCEPT_RE.sub(wrong, super().accept_response(response))


class NoUpgradeHeader(Behaviour):
    def accept_response(self, response: bytes) -> bytes:
        return _UPGRADE_RE.sub(b"", super().accept_response(response))


class BinaryAsText(Behaviour):
    def echo(self, message: Message) -> tuple[int, bytes] | None:
        echoed = super().echo(message)
        if echoed is not None and echoed[0] == Opcode.BINARY:
            return Opcode.TEXT, echoed[1]
        return echoed


class CorruptEcho(Behaviour):
    def echo(self, message: Message) -> tuple[int, bytes] | None:
        echoed = super().echo(message)
        return None if echoed is None else (echoed[0], _flip_last_bit(echoed[1]))


class NoEcho(Behaviour):
    def echo(self, message: Message) -> tuple[int, bytes] | None:
        return None


class NoPong(Behaviour):
    def pong(self, payload: bytes) -> bytes | None:
        return None


class PongWrongPayload(Behaviour):
    def pong(self, payload: bytes) -> bytes | None:
        answer = super().pong(payload)
        return None if answer is None else _flip_last_bit(answer)


class MaskedFrames(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        return dataclasses.replace(super().frame(opcode, payload, rsv1=rsv1), mask_key=b"wsfm")


class RsvSet(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        return dataclasses.replace(super().frame(opcode, payload, rsv1=rsv1), rsv2=True)


class NonMinimalLength(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        frame = super().frame(opcode, payload, rsv1=rsv1)
        if len(frame.payload) <= 125:
            return dataclasses.replace(frame, length_form=LengthForm.MEDIUM)
        return frame


class NoCloseReply(Behaviour):
    def close_reply(self, code: int | None) -> bytes | None:
        return None


class Close1005OnWire(Behaviour):
    def close_reply(self, code: int | None) -> bytes | None:
        return None if super().close_reply(code) is None else encode_close_payload(1005)


class _Rewriting(Behaviour):
    """Base of the faults that edit received frames (see :mod:`.rewrite`)."""

    def __init__(self) -> None:
        super().__init__()
        self._rewriter = FrameRewriter(self._rewrite)

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        return header

    def incoming(self, data: bytes) -> bytes:
        return super().incoming(self._rewriter.feed(data))


class AcceptUnmasked(_Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.mask_key is None:
            # A zero key masks nothing: the parser sees the frame as masked.
            return dataclasses.replace(header, mask_key=ZERO_MASK)
        return header


class AcceptReservedOpcode(_Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        return None if is_reserved(header.opcode) else header


class IgnoreUtf8(_Rewriting):
    """Text messages reach the parser as binary (so UTF-8 goes unchecked), and
    are echoed as text again."""

    def __init__(self) -> None:
        super().__init__()
        self._kinds: deque[int] = deque()

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.opcode in (Opcode.TEXT, Opcode.BINARY):
            self._kinds.append(header.opcode)
        if header.opcode == Opcode.TEXT:
            return dataclasses.replace(header, opcode=Opcode.BINARY)
        return header

    def echo(self, message: Message) -> tuple[int, bytes] | None:
        kind = self._kinds.popleft() if self._kinds else message.opcode
        echoed = super().echo(message)
        if echoed is not None and kind == Opcode.TEXT:
            return Opcode.TEXT, echoed[1]
        return echoed


#: name → (the rule broken, with its section; the override that breaks it).
CATALOGUE: dict[str, tuple[str, type[Behaviour]]] = {
    "bad-accept": (
        "RFC 6455 4.2.2: Sec-WebSocket-Accept must be base64(SHA-1(key + GUID)); "
        "this server sends another value.",
        BadAccept,
    ),
    "no-upgrade-header": (
        "RFC 6455 4.2.2: the 101 response must carry Upgrade: websocket; this one has none.",
        NoUpgradeHeader,
    ),
    "binary-as-text": (
        "RFC 6455 5.6: an echo must keep the message's opcode; binary messages come back as text.",
        BinaryAsText,
    ),
    "corrupt-echo": (
        "RFC 6455 6.2: the server must deliver the unmasked payload; each echo has "
        "one bit of its last byte flipped.",
        CorruptEcho,
    ),
    "no-echo": (
        "Profile echo = true: every message must be echoed; this server drops them.",
        NoEcho,
    ),
    "no-pong": (
        "RFC 6455 5.5.2: a ping must be answered with a pong; this server never answers.",
        NoPong,
    ),
    "pong-wrong-payload": (
        "RFC 6455 5.5.3: a pong must carry the ping's application data; this one differs.",
        PongWrongPayload,
    ),
    "masked-frames": (
        "RFC 6455 5.1: a server must not mask the frames it sends; this one masks all.",
        MaskedFrames,
    ),
    "rsv-set": (
        "RFC 6455 5.2: RSV bits must be 0 unless an extension defines them; this server "
        "sets RSV2 on every frame.",
        RsvSet,
    ),
    "no-close-reply": (
        "RFC 6455 5.5.1: a close must be answered with a close and the TCP connection "
        "closed; this server ignores it and keeps the connection open.",
        NoCloseReply,
    ),
    "close-1005-on-wire": (
        "RFC 6455 7.4.1: 1005 must not be sent in a close frame; this server answers "
        "a close with it.",
        Close1005OnWire,
    ),
    "accept-unmasked": (
        "RFC 6455 5.1: a server must close the connection on an unmasked client frame; "
        "this one processes it.",
        AcceptUnmasked,
    ),
    "accept-reserved-opcode": (
        "RFC 6455 5.2: a frame with a reserved opcode must fail the connection; this "
        "server silently skips it.",
        AcceptReservedOpcode,
    ),
    "ignore-utf8": (
        "RFC 6455 8.1: a text message that is not valid UTF-8 must fail the connection "
        "with 1007; this server echoes it.",
        IgnoreUtf8,
    ),
    "non-minimal-length": (
        "RFC 6455 5.2: the payload length must use the minimal encoding; this server "
        "uses the 16-bit form for payloads of 125 bytes or less.",
        NonMinimalLength,
    ),
}


# -- policy faults: the profile's [auth], [origin], [heartbeat], [limits] ---------
# Imported here, after the faults above, so that this block stays one append.

import jwt  # noqa: E402
from wsspec.profile import AuthPolicy, TargetProfile  # noqa: E402
from wsspec.protocol.handshake import HandshakeRequest  # noqa: E402
from wsspec.targets.reference.auth import presented_tokens  # noqa: E402
from wsspec.targets.reference.server import Acceptance, Refusal  # noqa: E402

#: a timer that never fires within any run (s).
_NEVER = 1e9


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


class AuthBypassNoCredentials(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        if profile.auth is not None and not presented_tokens(request, profile.auth):
            profile = dataclasses.replace(profile, auth=None)
        return super().judge(request, profile)


class AuthExpiredAccepted(_LetsTokensThrough):
    def _lets_through(self, token: str, auth: AuthPolicy) -> bool:
        return _claims_pass(token, auth, expiry=False)


class AuthAlgNoneAccepted(_LetsTokensThrough):
    def _lets_through(self, token: str, auth: AuthPolicy) -> bool:
        alg = _jwt_header_alg(token)
        return alg is not None and alg.lower() == "none" and _claims_pass(
            token, auth, signature=False)


class AuthBadSignatureAccepted(_LetsTokensThrough):
    def _lets_through(self, token: str, auth: AuthPolicy) -> bool:
        return _jwt_header_alg(token) == "HS256" and _claims_pass(token, auth, signature=False)


class AuthHeaderTokenRefused(Behaviour):
    """Reads every declared scheme but ``Authorization: Bearer``."""

    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        auth = profile.auth
        if auth is not None and "bearer" in auth.schemes:
            schemes = tuple(scheme for scheme in auth.schemes if scheme != "bearer")
            profile = dataclasses.replace(profile, auth=dataclasses.replace(auth, schemes=schemes))
        return super().judge(request, profile)


class OriginAnyAccepted(Behaviour):
    def policy(self, profile: TargetProfile) -> TargetProfile:
        return dataclasses.replace(super().policy(profile), origin=None)


class SubprotocolFirstHeaderOnly(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        offers = request.get("Sec-WebSocket-Protocol")
        if len(offers) > 1:
            request = request.replace("Sec-WebSocket-Protocol", offers[0])
        return super().judge(request, profile)


class SubprotocolRequirementIgnored(Behaviour):
    def policy(self, profile: TargetProfile) -> TargetProfile:
        return dataclasses.replace(super().policy(profile), subprotocol_required=False)


class _HeartbeatTimerOff(Behaviour):
    """Base of the faults that run one heartbeat timer never (``timer``)."""

    timer = ""

    def policy(self, profile: TargetProfile) -> TargetProfile:
        profile = super().policy(profile)
        if profile.heartbeat is None:
            return profile
        heartbeat = dataclasses.replace(profile.heartbeat, **{self.timer: _NEVER})
        return dataclasses.replace(profile, heartbeat=heartbeat)


class HeartbeatNoPings(_HeartbeatTimerOff):
    timer = "ping_interval"


class HeartbeatNeverDrops(_HeartbeatTimerOff):
    timer = "timeout"


class HeartbeatDropsAnswering(_Rewriting):
    """Pongs never reach the heartbeat: well-formed ones are taken out of the
    input (malformed ones still reach the parser, which fails on them)."""

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        well_formed = (header.fin and header.length <= 125
                       and not (header.rsv1 or header.rsv2 or header.rsv3))
        return None if header.opcode == Opcode.PONG and well_formed else header


class LimitIgnored(Behaviour):
    def policy(self, profile: TargetProfile) -> TargetProfile:
        profile = super().policy(profile)
        if profile.limits is None:
            return profile
        limits = dataclasses.replace(profile.limits, max_message_size=None)
        return dataclasses.replace(profile, limits=limits)


class LimitWrongCloseCode(Behaviour):
    """The close the server starts for an oversized message carries 1008; a
    reply echoing a client's 1009 (which has no reason) is left alone."""

    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        if opcode == Opcode.CLOSE and len(payload) > 2 and payload[:2] == b"\x03\xf1":
            payload = (1008).to_bytes(2, "big") + payload[2:]
        return super().frame(opcode, payload, rsv1=rsv1)


class HandshakeTimeoutIgnored(Behaviour):
    def policy(self, profile: TargetProfile) -> TargetProfile:
        profile = super().policy(profile)
        if profile.limits is None:
            return profile
        limits = dataclasses.replace(profile.limits, handshake_timeout=_NEVER)
        return dataclasses.replace(profile, limits=limits)


CATALOGUE.update({
    "auth-bypass-no-credentials": (
        "Profile [auth]: a handshake without credentials must be refused; this server "
        "accepts one that presents none.",
        AuthBypassNoCredentials,
    ),
    "auth-expired-accepted": (
        "Profile [auth] (RFC 7519 4.1.4): an expired JWT must be refused; this server "
        "accepts one whose signature and other claims are right.",
        AuthExpiredAccepted,
    ),
    "auth-alg-none-accepted": (
        "Profile [auth] (RFC 8725 3.1): an unsigned JWT (alg: none) must be refused; this "
        "server accepts one whose claims are right.",
        AuthAlgNoneAccepted,
    ),
    "auth-bad-signature-accepted": (
        "Profile [auth] (RFC 7515 5.2): a JWT whose HS256 signature does not verify must be "
        "refused; this server does not check the signature.",
        AuthBadSignatureAccepted,
    ),
    "auth-header-token-refused": (
        "Profile [auth]: a valid token in Authorization: Bearer must be accepted when the "
        "bearer scheme is declared; this server only reads the other schemes.",
        AuthHeaderTokenRefused,
    ),
    "origin-any-accepted": (
        "RFC 6455 10.2 and profile [origin]: an Origin not allowed must be refused with 403; "
        "this server accepts any.",
        OriginAnyAccepted,
    ),
    "subprotocol-first-header-only": (
        "RFC 6455 11.3.4: several Sec-WebSocket-Protocol headers are one list; this server "
        "reads only the first.",
        SubprotocolFirstHeaderOnly,
    ),
    "subprotocol-requirement-ignored": (
        "Profile subprotocol_required: a client offering no spoken subprotocol must be "
        "refused; this server accepts it.",
        SubprotocolRequirementIgnored,
    ),
    "heartbeat-no-pings": (
        "Profile [heartbeat]: the server must ping every ping_interval; this one never pings.",
        HeartbeatNoPings,
    ),
    "heartbeat-never-drops": (
        "Profile [heartbeat]: a client that does not answer pings must be dropped within "
        "timeout; this server pings but never drops it.",
        HeartbeatNeverDrops,
    ),
    "heartbeat-drops-answering": (
        "Profile [heartbeat] (RFC 6455 5.5.3): a pong answers the heartbeat; this server "
        "ignores pongs and drops every client after timeout.",
        HeartbeatDropsAnswering,
    ),
    "limit-ignored": (
        "RFC 6455 10.4 and profile [limits]: a message beyond max_message_size must be "
        "refused with 1009; this server takes up to 64 MiB.",
        LimitIgnored,
    ),
    "limit-wrong-close-code": (
        "RFC 6455 7.4.1: a message too big to process is refused with close code 1009; "
        "this server sends 1008.",
        LimitWrongCloseCode,
    ),
    "handshake-timeout-ignored": (
        "Profile [limits] handshake_timeout: a client that does not complete the opening "
        "handshake in time must be dropped; this server waits for ever.",
        HandshakeTimeoutIgnored,
    ),
})


# -- permessage-deflate faults (RFC 7692) ----------------------------------------
# Imported here, after the faults above, so that this block stays one append.

from wsspec.protocol.deflate import DeflateParams, Deflater  # noqa: E402
from wsspec.protocol.messages import Decompressor  # noqa: E402

#: "no cap" for an inflater that ignores the size limit (bytes).
_UNCAPPED = 1 << 40


class DeflateKeepsContext(Behaviour):
    def deflater(self, params: DeflateParams | None) -> Deflater | None:
        compressor = super().deflater(params)
        if params is None or compressor is None or not params.server_no_context_takeover:
            return compressor
        return Deflater(window_bits=params.server_max_window_bits)


class DeflateWindowTooLarge(Behaviour):
    def deflater(self, params: DeflateParams | None) -> Deflater | None:
        compressor = super().deflater(params)
        if params is None or compressor is None or params.server_max_window_bits == 15:
            return compressor
        return Deflater(window_bits=15, no_context_takeover=params.server_no_context_takeover)


class DeflateUnnegotiated(Behaviour):
    def deflater(self, params: DeflateParams | None) -> Deflater | None:
        compressor = super().deflater(params)
        return Deflater() if compressor is None else compressor


class AcceptRsv1Continuation(_Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.opcode == Opcode.CONTINUATION and header.rsv1:
            return dataclasses.replace(header, rsv1=False)
        return header


class AcceptRsv1Control(_Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.opcode >= 0x8 and header.rsv1:
            return dataclasses.replace(header, rsv1=False)
        return header


class _WholeMessageInflater:
    """Holds a compressed message's frames, then inflates the whole message at its
    last frame with no cap on the output (the assembler checks the size after)."""

    def __init__(self, inner: Decompressor) -> None:
        self._inner = inner
        self._held = bytearray()

    def reset_message(self) -> None:
        self._held.clear()
        self._inner.reset_message()

    def decompress(self, data: bytes, *, final: bool, max_size: int) -> bytes:
        self._held += data
        if not final:
            return b""
        held = bytes(self._held)
        self._held.clear()
        return self._inner.decompress(held, final=True, max_size=_UNCAPPED)


class DeflateUnboundedInflate(Behaviour):
    def inflater(self, params: DeflateParams) -> Decompressor:
        return _WholeMessageInflater(super().inflater(params))


CATALOGUE.update({
    "deflate-context-takeover": (
        "RFC 7692 7.1.1.1: having agreed server_no_context_takeover, the server must start "
        "each message with an empty LZ77 window; this one refers back into earlier messages.",
        DeflateKeepsContext,
    ),
    "deflate-window-too-large": (
        "RFC 7692 7.1.2.1: the server must not compress with a window larger than the "
        "server_max_window_bits it agreed; this one always uses 15 bits (32 KiB).",
        DeflateWindowTooLarge,
    ),
    "deflate-unnegotiated": (
        "RFC 6455 5.2, RFC 7692 6: RSV1 marks a compressed message only where "
        "permessage-deflate was agreed; this server compresses every echo, RSV1 set.",
        DeflateUnnegotiated,
    ),
    "accept-rsv1-continuation": (
        "RFC 7692 6, RFC 6455 5.2: a continuation frame with RSV1 set must fail the "
        "connection; this server ignores the bit.",
        AcceptRsv1Continuation,
    ),
    "accept-rsv1-control": (
        "RFC 7692 6, RFC 6455 5.2: a control frame with RSV1 set must fail the connection; "
        "this server ignores the bit.",
        AcceptRsv1Control,
    ),
    "deflate-unbounded-inflate": (
        "RFC 6455 10.4: a message size limit must hold while a message is inflated; this "
        "server inflates each compressed message whole, once complete and without the "
        "limit, and only then checks its size.",
        DeflateUnboundedInflate,
    ),
})


# -- handshake, framing, fragmentation, UTF-8 and close faults ---------------------
# Imported here, after the faults above, so that this block stays one append.

from .rewrite import _parse_header  # noqa: E402

#: a well-formed key the handshake faults judge a request with in place of a bad one.
_ANY_VALID_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
_VERSION_HEADER_RE = re.compile(rb"(?im)^Sec-WebSocket-Version:[^\r\n]*\r\n")


class _RefusalWithoutVersion(Refusal):
    """A 426 that does not say which version the server speaks."""

    def encode(self) -> bytes:
        return _VERSION_HEADER_RE.sub(b"", super().encode())


class No426VersionHeader(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        verdict = super().judge(request, profile)
        if isinstance(verdict, Refusal) and verdict.status == 426:
            return _RefusalWithoutVersion(verdict.status, verdict.reason, verdict.headers)
        return verdict


class AcceptAnyKey(Behaviour):
    """Judges the request as if its key were valid, then answers for the key it sent
    (the first one; an empty one when none was sent)."""

    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        keys = request.get("Sec-WebSocket-Key")
        verdict = super().judge(request.replace("Sec-WebSocket-Key", _ANY_VALID_KEY), profile)
        if isinstance(verdict, Acceptance):
            return dataclasses.replace(verdict, key=keys[0] if keys else "")
        return verdict


class AcceptHttp10(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        if request.http_version != "1.1":
            request = dataclasses.replace(request, http_version="1.1")
        return super().judge(request, profile)


class AcceptAnyMethod(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        if request.method != "GET":
            request = dataclasses.replace(request, method="GET")
        return super().judge(request, profile)


class _MessageTracking(_Rewriting):
    """A rewriting fault that knows whether a fragmented message is in progress
    in what it passes on to the parser."""

    def __init__(self) -> None:
        super().__init__()
        self._in_message = False

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        rewritten = self._bend(header)
        if rewritten is not None and rewritten.opcode < 0x8:
            self._in_message = not rewritten.fin
        return rewritten

    def _bend(self, header: RawHeader) -> RawHeader | None:
        return header


class AcceptContinuationWithoutStart(_MessageTracking):
    """A continuation frame with no message to continue starts a binary message."""

    def _bend(self, header: RawHeader) -> RawHeader | None:
        if header.opcode == Opcode.CONTINUATION and not self._in_message:
            return dataclasses.replace(header, opcode=Opcode.BINARY)
        return header


class AcceptInterleavedMessages(_MessageTracking):
    """A new text or binary frame inside a fragmented message continues it."""

    def _bend(self, header: RawHeader) -> RawHeader | None:
        if header.opcode in (Opcode.TEXT, Opcode.BINARY) and self._in_message:
            return dataclasses.replace(header, opcode=Opcode.CONTINUATION)
        return header


class AcceptControlFragmented(_Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.opcode >= 0x8 and not header.fin:
            return dataclasses.replace(header, fin=True)
        return header


class AcceptOversizeControl(_Rewriting):
    """A control frame of more than 125 bytes is skipped instead of failing the connection."""

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        return None if header.opcode >= 0x8 and header.length > 125 else header


class AcceptRsv1(_Rewriting):
    """RSV1 is cleared on every frame when permessage-deflate was not agreed."""

    def __init__(self) -> None:
        super().__init__()
        self._deflate_agreed = False

    def deflater(self, params: DeflateParams | None) -> Deflater | None:
        self._deflate_agreed = params is not None
        return super().deflater(params)

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.rsv1 and not self._deflate_agreed:
            return dataclasses.replace(header, rsv1=False)
        return header


#: text frames longer than this are not held back (bytes): a frame declaring an
#: absurd length must still be refused at its header, and a message over the
#: size limit at once, as the reference server does.
_HOLD_LIMIT = 1 << 20


class _TextMessageHolder:
    """Holds back every frame of a text message, header and payload, until the
    payload of its final frame is complete, then lets the whole message through
    at once. Control frames pass as they come (they may come between
    fragments); any other data frame, or a text frame over :data:`_HOLD_LIMIT`,
    first releases what is held, so the parser sees the frames in their order."""

    def __init__(self) -> None:
        self._pending = b""  # an incomplete header
        self._payload_left = 0
        self._holding = False  # the current frame's payload is held
        self._release_after = False  # the current frame is its message's last
        self._in_text = False  # a held text message is not complete yet
        self._held = bytearray()

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            if self._payload_left:
                chunk, data = data[: self._payload_left], data[self._payload_left :]
                self._payload_left -= len(chunk)
                (self._held if self._holding else out).extend(chunk)
            else:
                self._pending += data
                header, size = _parse_header(self._pending)
                if header is None:
                    break
                raw, data, self._pending = self._pending[:size], self._pending[size:], b""
                data_frame = header.opcode < 0x8
                text = header.opcode == Opcode.TEXT or (
                    header.opcode == Opcode.CONTINUATION and self._in_text)
                self._holding = text and header.length <= _HOLD_LIMIT
                if data_frame and not self._holding:
                    out += self._held  # the frames held go first, in order
                    self._held.clear()
                    self._in_text = False
                self._release_after = self._holding and header.fin
                if self._holding:
                    self._in_text = not header.fin
                (self._held if self._holding else out).extend(raw)
                self._payload_left = header.length
            if not self._payload_left and self._release_after:
                out += self._held
                self._held.clear()
                self._holding = self._release_after = False
        return bytes(out)


class NoFailFastUtf8(Behaviour):
    def __init__(self) -> None:
        super().__init__()
        self._holder = _TextMessageHolder()

    def incoming(self, data: bytes) -> bytes:
        return super().incoming(self._holder.feed(data))


#: the code this server answers every close with.
_WRONG_REPLY_CODE = 1001


class CloseEchoWrongCode(Behaviour):
    def close_reply(self, code: int | None) -> bytes | None:
        reply = super().close_reply(code)
        if reply is None or code is None or code == _WRONG_REPLY_CODE:
            return reply
        return encode_close_payload(_WRONG_REPLY_CODE)


CATALOGUE.update({
    "no-426-version-header": (
        "RFC 6455 4.2.2: a 426 refusing an unsupported version must carry "
        "Sec-WebSocket-Version with the versions the server speaks; this one has none.",
        No426VersionHeader,
    ),
    "accept-any-key": (
        "RFC 6455 4.2.1: Sec-WebSocket-Key must be one base64 nonce of 16 bytes, or the "
        "request is refused with 400; this server accepts any key, or none.",
        AcceptAnyKey,
    ),
    "accept-http10": (
        "RFC 6455 4.2.1: the opening handshake must be an HTTP/1.1 request; this server "
        "upgrades an HTTP/1.0 one.",
        AcceptHttp10,
    ),
    "accept-post": (
        "RFC 6455 4.2.1: the opening handshake must be a GET; this server upgrades a "
        "POST, PUT or HEAD.",
        AcceptAnyMethod,
    ),
    "accept-continuation-without-start": (
        "RFC 6455 5.4: a continuation frame with no message in progress must fail the "
        "connection; this server takes it as the start of a binary message.",
        AcceptContinuationWithoutStart,
    ),
    "accept-interleaved-messages": (
        "RFC 6455 5.4: a text or binary frame inside a fragmented message must fail the "
        "connection; this server appends it to the message in progress.",
        AcceptInterleavedMessages,
    ),
    "accept-control-fragmented": (
        "RFC 6455 5.5: control frames must not be fragmented; this server takes a control "
        "frame with FIN clear as if FIN were set.",
        AcceptControlFragmented,
    ),
    "accept-oversize-control": (
        "RFC 6455 5.5: a control frame with more than 125 bytes of payload must fail the "
        "connection; this server skips it and goes on.",
        AcceptOversizeControl,
    ),
    "accept-rsv1": (
        "RFC 6455 5.2: RSV1 must be 0 unless an extension defining it was agreed; this "
        "server ignores RSV1 when permessage-deflate was not agreed.",
        AcceptRsv1,
    ),
    "no-fail-fast-utf8": (
        "RFC 6455 8.1 (SHOULD fail fast): invalid UTF-8 should fail the connection as soon "
        "as it arrives; this server checks a text message only once all of it arrived.",
        NoFailFastUtf8,
    ),
    "close-echo-wrong-code": (
        "RFC 6455 5.5.1: a close reply typically echoes the code received; this server "
        "answers every close with 1001.",
        CloseEchoWrongCode,
    ),
})


# -- faults on the server's own frames and TCP close (the wire and close hooks) ------
# Imported here, after the faults above, so that this block stays one append.

#: the size of the frames a fragmenting echo is cut into (bytes).
_ECHO_FRAME = 4096


class EchoFragmentedWrongly(Behaviour):
    """Echoes longer than :data:`_ECHO_FRAME` bytes go out in frames of that size,
    every one of them carrying the message's opcode instead of continuation."""

    def wire(self, frame: Frame) -> bytes:
        if frame.opcode not in (Opcode.TEXT, Opcode.BINARY) or len(frame.payload) <= _ECHO_FRAME:
            return super().wire(frame)
        pieces = [frame.payload[i:i + _ECHO_FRAME]
                  for i in range(0, len(frame.payload), _ECHO_FRAME)]
        return b"".join(
            super(EchoFragmentedWrongly, self).wire(
                Frame(frame.opcode, piece, fin=i == len(pieces) - 1, rsv1=frame.rsv1 and i == 0))
            for i, piece in enumerate(pieces))


class NoTcpCloseAfterClose(Behaviour):
    def closes_tcp_after_close(self) -> bool:
        return False


#: close codes of a connection the server fails (RFC 6455 7.4.1).
_FAILURE_CODES = {1002, 1007, 1009}


class FailWithoutCloseFrame(Behaviour):
    """The close frame that would fail a connection is never written: the server
    only closes TCP."""

    def wire(self, frame: Frame) -> bytes:
        if frame.opcode == Opcode.CLOSE and len(frame.payload) >= 2 and \
                int.from_bytes(frame.payload[:2], "big") in _FAILURE_CODES:
            return b""
        return super().wire(frame)


class CloseReasonNotUtf8(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        if opcode == Opcode.CLOSE and len(payload) > 2:
            payload = payload[:2] + b"\xc0\xaf" + payload[2:]
        return super().frame(opcode, payload, rsv1=rsv1)


CATALOGUE.update({
    "echo-fragmented-wrongly": (
        "RFC 6455 5.4: the frames after the first of a fragmented message are continuation "
        "frames; this server cuts echoes of more than 4 KiB into frames that all carry the "
        "message's opcode.",
        EchoFragmentedWrongly,
    ),
    "no-tcp-close-after-close": (
        "RFC 6455 5.5.1, 7.1.1: once it has sent and received a close frame the server must "
        "close the TCP connection; this one waits for the client to close it.",
        NoTcpCloseAfterClose,
    ),
    "fail-without-close-frame": (
        "RFC 6455 7.1.7 (SHOULD): a server failing the connection sends a close frame "
        "before closing TCP; this one closes TCP without it.",
        FailWithoutCloseFrame,
    ),
    "close-reason-not-utf8": (
        "RFC 6455 5.5.1: a close reason must be UTF-8; this server puts an overlong "
        "(invalid) sequence in front of every reason it sends.",
        CloseReasonNotUtf8,
    ),
})
