"""Faults of the opening handshake (RFC 6455 4.2): a wrong 101, or a request
accepted that must be refused."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re

from wsspec.profile import TargetProfile
from wsspec.protocol.handshake import HandshakeRequest
from wsspec.targets.reference.server import Acceptance, Behaviour, Refusal

from .registry import fault

_ACCEPT_RE = re.compile(rb"(?im)^(Sec-WebSocket-Accept:[ \t]*)([^\r\n]*)\r\n")
_UPGRADE_RE = re.compile(rb"(?im)^Upgrade:[^\r\n]*\r\n")
_VERSION_HEADER_RE = re.compile(rb"(?im)^Sec-WebSocket-Version:[^\r\n]*\r\n")
#: a well-formed key the handshake faults judge a request with in place of a bad one.
_ANY_VALID_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


@fault(
    "bad-accept",
    "RFC 6455 4.2.2: Sec-WebSocket-Accept must be base64(SHA-1(key + GUID)); "
    "this server sends another value.",
    catches=("handshake.accept.*",),
    also=("handshake.*",),
)
class BadAccept(Behaviour):
    def accept_response(self, response: bytes) -> bytes:
        def wrong(match: re.Match[bytes]) -> bytes:
            value = base64.b64encode(hashlib.sha1(match.group(2)).digest())
            return match.group(1) + value + b"\r\n"

        return _ACCEPT_RE.sub(wrong, super().accept_response(response))


@fault(
    "no-upgrade-header",
    "RFC 6455 4.2.2: the 101 response must carry Upgrade: websocket; this one has none.",
    catches=("handshake.accept.*",),
    also=("handshake.*",),
)
class NoUpgradeHeader(Behaviour):
    def accept_response(self, response: bytes) -> bytes:
        return _UPGRADE_RE.sub(b"", super().accept_response(response))


class _RefusalWithoutVersion(Refusal):
    """A 426 that does not say which version the server speaks."""

    def encode(self) -> bytes:
        return _VERSION_HEADER_RE.sub(b"", super().encode())


@fault(
    "no-426-version-header",
    "RFC 6455 4.2.2: a 426 refusing an unsupported version must carry "
    "Sec-WebSocket-Version with the versions the server speaks; this one has none.",
    catches=("handshake.version.wrong.*",),
)
class No426VersionHeader(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        verdict = super().judge(request, profile)
        if isinstance(verdict, Refusal) and verdict.status == 426:
            return _RefusalWithoutVersion(verdict.status, verdict.reason, verdict.headers)
        return verdict


@fault(
    "accept-any-key",
    "RFC 6455 4.2.1: Sec-WebSocket-Key must be one base64 nonce of 16 bytes, or the "
    "request is refused with 400; this server accepts any key, or none.",
    catches=("handshake.key.*",),
)
class AcceptAnyKey(Behaviour):
    """Judges the request as if its key were valid, then answers for the key it sent
    (the first one; an empty one when none was sent)."""

    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        keys = request.get("Sec-WebSocket-Key")
        verdict = super().judge(request.replace("Sec-WebSocket-Key", _ANY_VALID_KEY), profile)
        if isinstance(verdict, Acceptance):
            return dataclasses.replace(verdict, key=keys[0] if keys else "")
        return verdict


@fault(
    "accept-http10",
    "RFC 6455 4.2.1: the opening handshake must be an HTTP/1.1 request; this server "
    "upgrades an HTTP/1.0 one.",
    catches=("handshake.http_version.*",),
)
class AcceptHttp10(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        if request.http_version != "1.1":
            request = dataclasses.replace(request, http_version="1.1")
        return super().judge(request, profile)


@fault(
    "accept-post",
    "RFC 6455 4.2.1: the opening handshake must be a GET; this server upgrades a "
    "POST, PUT or HEAD.",
    catches=("handshake.method.*",),
)
class AcceptAnyMethod(Behaviour):
    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        if request.method != "GET":
            request = dataclasses.replace(request, method="GET")
        return super().judge(request, profile)
