"""Credential checks of the reference server (the profile's ``[auth]`` table).

A handshake is accepted when it carries at least one valid credential in one
of the schemes the profile declares. A credential presented in a scheme the
profile does not declare is not looked at: a server that reads tokens from
the query string when it promised to read them only from a header is a
server whose tokens end up in access logs.

Where each scheme looks (``param`` is ``AuthPolicy.param``, ``token`` by
default):

``bearer``
    ``Authorization: Bearer <token>`` (RFC 6750 §2.1; the scheme name is
    case-insensitive).
``query``
    ``?<param>=<token>`` in the request target (RFC 6750 §2.3).
``cookie``
    ``Cookie: <param>=<token>`` (RFC 6265 §5.4).
``subprotocol``
    a ``Sec-WebSocket-Protocol`` offer value ``bearer.<token>``: the token
    rides in one offered subprotocol, after the marker ``bearer.``. The
    marker value is never selected as the connection's subprotocol, so a
    client that needs a subprotocol offers its real one next to it, e.g.
    ``Sec-WebSocket-Protocol: chat.v1, bearer.eyJhbGciOi...``. Browsers can
    only set this header, which is why the convention exists.
``basic``
    ``Authorization: Basic base64(user:password)`` (RFC 7617) whose
    *password* is the token; the user name is not checked.

What makes a token valid: with ``jwt_secret``, the token is a JWT signed
with HS256 and that algorithm only (``alg: none`` and any other algorithm are
refused, so a forged or algorithm-switched token never passes), it must carry
``exp`` and not be expired, ``nbf`` is honoured, and ``aud``/``iss`` are
checked when the profile declares ``audience``/``issuer``. Without
``jwt_secret`` the token must equal ``valid_token`` (compared in constant
time).

Refusals: ``401`` when no credential was presented at all, ``403`` when one
was presented but none was valid; when the profile's ``reject_status`` does
not list the code, its first entry is used instead. Refusal bodies are fixed
sentences: they never echo a token or an exception text.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

import jwt
from wsspec.profile import AuthPolicy

__all__ = [
    "SUBPROTOCOL_TOKEN_PREFIX",
    "AuthDecision",
    "RequestView",
    "check_credentials",
    "presented_tokens",
    "token_is_valid",
]

#: Offered subprotocol values starting with this carry a token (scheme ``subprotocol``).
SUBPROTOCOL_TOKEN_PREFIX = "bearer."

#: Seconds of clock skew tolerated on ``exp``/``nbf``: none, the suite mints its own tokens.
_LEEWAY = 0

# Header values the server will not even try to decode: a credential longer
# than this is refused as invalid instead of costing a base64/JWT parse.
_MAX_CREDENTIAL = 8192


@dataclass(frozen=True)
class AuthDecision:
    """The outcome of :func:`check_credentials`.

    ``accepted`` is true when a valid credential was found. Otherwise
    ``status`` is the HTTP status to refuse with, ``reason`` a fixed
    sentence for the response body and ``challenge`` the value of a
    ``WWW-Authenticate`` header (for a 401), or ``None``.
    """

    accepted: bool
    status: int = 0
    reason: str = ""
    challenge: str | None = None


class RequestView(Protocol):
    """What the checks need of a request (``HandshakeRequest`` provides it)."""

    @property
    def target(self) -> str:
        """The request target, e.g. ``/echo?token=abc``."""
        ...

    def get(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        ...


def _authorization(view: RequestView, scheme: str) -> list[str]:
    found = []
    for value in view.get("Authorization"):
        name, _, credentials = value.strip().partition(" ")
        if name.lower() == scheme:
            found.append(credentials.strip())
    return found


def _basic_password(credentials: str) -> str | None:
    if len(credentials) > _MAX_CREDENTIAL:
        return None
    try:
        decoded = base64.b64decode(credentials.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    user, colon, password = decoded.partition(":")
    del user
    return password if colon else None


def _query(view: RequestView, param: str) -> list[str]:
    query = urlsplit(view.target).query
    return [value for name, value in parse_qsl(query, keep_blank_values=True) if name == param]


def _cookies(view: RequestView, param: str) -> list[str]:
    found = []
    for header in view.get("Cookie"):
        for pair in header.split(";"):
            name, eq, value = pair.strip().partition("=")
            if eq and name == param:
                found.append(value.strip().strip('"'))
    return found


def _subprotocol(view: RequestView) -> list[str]:
    found = []
    for header in view.get("Sec-WebSocket-Protocol"):
        for item in header.split(","):
            value = item.strip()
            if value.startswith(SUBPROTOCOL_TOKEN_PREFIX):
                found.append(value[len(SUBPROTOCOL_TOKEN_PREFIX) :])
    return found


def presented_tokens(view: RequestView, policy: AuthPolicy) -> list[str]:
    """Every token presented in a scheme ``policy`` declares, in scheme order.

    A malformed credential of a declared scheme (``Basic`` that is not
    base64 of ``user:password``) counts as presented, as an empty token, so
    that it is refused as wrong rather than as missing.
    """
    tokens: list[str] = []
    for scheme in policy.schemes:
        if scheme == "bearer":
            tokens += _authorization(view, "bearer")
        elif scheme == "basic":
            for credentials in _authorization(view, "basic"):
                password = _basic_password(credentials)
                tokens.append("" if password is None else password)
        elif scheme == "query":
            tokens += _query(view, policy.param)
        elif scheme == "cookie":
            tokens += _cookies(view, policy.param)
        elif scheme == "subprotocol":
            tokens += _subprotocol(view)
    return tokens


def token_is_valid(token: str, policy: AuthPolicy) -> bool:
    """Whether ``token`` is valid under ``policy`` (see the module docstring)."""
    if not token or len(token) > _MAX_CREDENTIAL:
        return False
    if policy.jwt_secret is not None:
        try:
            jwt.decode(
                token,
                policy.jwt_secret,
                algorithms=["HS256"],
                audience=policy.audience,
                issuer=policy.issuer,
                leeway=_LEEWAY,
                options={
                    "require": ["exp"],
                    "verify_aud": policy.audience is not None,
                    "verify_iss": policy.issuer is not None,
                },
            )
        except jwt.PyJWTError:
            return False
        return True
    if policy.valid_token is None:
        return False
    return hmac.compare_digest(token.encode("utf-8"), policy.valid_token.encode("utf-8"))


def _status(policy: AuthPolicy, preferred: int) -> int:
    return preferred if preferred in policy.reject_status else policy.reject_status[0]


def _challenge(policy: AuthPolicy) -> str | None:
    # RFC 9110 11.6.1: a 401 carries at least one challenge. Every scheme but
    # basic carries a bearer token (RFC 6750 covers the header and the query
    # forms), so Bearer is the challenge for them.
    challenges = []
    if set(policy.schemes) - {"basic"}:
        challenges.append('Bearer realm="wsspec"')
    if "basic" in policy.schemes:
        challenges.append('Basic realm="wsspec", charset="UTF-8"')
    return ", ".join(challenges) or None


def check_credentials(view: RequestView, policy: AuthPolicy) -> AuthDecision:
    """Accept the request when it carries a valid credential in a declared scheme."""
    tokens = presented_tokens(view, policy)
    if any(token_is_valid(token, policy) for token in tokens):
        return AuthDecision(accepted=True)
    if not tokens:
        status = _status(policy, 401)
        return AuthDecision(
            accepted=False,
            status=status,
            reason="credentials required",
            challenge=_challenge(policy) if status == 401 else None,
        )
    status = _status(policy, 403)
    return AuthDecision(
        accepted=False,
        status=status,
        reason="credentials rejected",
        challenge=_challenge(policy) if status == 401 else None,
    )
