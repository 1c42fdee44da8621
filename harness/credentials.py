"""Credentials a client presents, per the profile's ``[auth]`` table.

The suite mints HS256 tokens with PyJWT from ``jwt_secret`` (or uses
``valid_token``) and places them where each scheme says:

=============  ==========================================================
scheme         where the token goes
=============  ==========================================================
``bearer``     ``Authorization: Bearer <token>``
``query``      ``?<param>=<token>`` on the request target
``cookie``     ``Cookie: <param>=<token>``
``subprotocol`` one ``Sec-WebSocket-Protocol`` offer ``bearer.<token>``,
               beside the real subprotocols offered (never selected)
``basic``      ``Authorization: Basic base64(<param>:<token>)``
=============  ==========================================================
"""

from __future__ import annotations

import base64
import dataclasses
import time
import warnings
from typing import Any
from urllib.parse import quote

import jwt
from wsspec.profile import AuthPolicy
from wsspec.protocol.handshake import HandshakeRequest

#: the prefix of the offered value carrying the token in the ``subprotocol`` scheme.
SUBPROTOCOL_PREFIX = "bearer."


def jwt_secret(auth: AuthPolicy) -> str:
    """The profile's HS256 secret; ValueError when it declares none."""
    if auth.jwt_secret is None:
        raise ValueError("the profile declares no jwt_secret to sign tokens with")
    return auth.jwt_secret


def jwt_claims(auth: AuthPolicy, *, lifetime: float = 600.0, now: float | None = None,
               **claims: Any) -> dict[str, Any]:
    """The claims of a valid token for ``auth`` (``exp`` in ``lifetime`` s,
    ``aud``/``iss`` as declared); ``claims`` override or add claims."""
    issued = time.time() if now is None else now
    payload: dict[str, Any] = {"sub": "wsspec", "iat": int(issued), "exp": int(issued + lifetime)}
    if auth.audience is not None:
        payload["aud"] = auth.audience
    if auth.issuer is not None:
        payload["iss"] = auth.issuer
    payload.update(claims)
    return payload


def mint_jwt(auth: AuthPolicy, *, secret: str | None = None, lifetime: float = 600.0,
             now: float | None = None, **claims: Any) -> str:
    """An HS256 token with :func:`jwt_claims`, signed with ``secret`` (default: the
    profile's, which must then be declared)."""
    payload = jwt_claims(auth, lifetime=lifetime, now=now, **claims)
    with warnings.catch_warnings():
        # A short secret is the server author's choice; PyJWT warns about it.
        warnings.simplefilter("ignore")
        return jwt.encode(payload, secret or jwt_secret(auth), algorithm="HS256")


def valid_token(auth: AuthPolicy) -> str:
    """A token the server must accept: minted when a secret is known."""
    if auth.jwt_secret is not None:
        return mint_jwt(auth)
    if auth.valid_token is None:
        raise ValueError("the profile declares neither jwt_secret nor valid_token")
    return auth.valid_token


def present(request: HandshakeRequest, scheme: str, token: str, param: str) -> HandshakeRequest:
    """``request`` carrying ``token`` the way ``scheme`` says."""
    if scheme == "bearer":
        return request.with_header("Authorization", f"Bearer {token}")
    if scheme == "query":
        sep = "&" if "?" in request.target else "?"
        return _retarget(request, f"{request.target}{sep}{param}={quote(token, safe='')}")
    if scheme == "cookie":
        return request.with_header("Cookie", f"{param}={token}")
    if scheme == "subprotocol":
        offered = list(request.get("Sec-WebSocket-Protocol"))
        values = ", ".join([*offered, SUBPROTOCOL_PREFIX + token])
        return request.replace("Sec-WebSocket-Protocol", values)
    if scheme == "basic":
        raw = base64.b64encode(f"{param}:{token}".encode()).decode("ascii")
        return request.with_header("Authorization", f"Basic {raw}")
    raise ValueError(f"unknown auth scheme {scheme!r}")


def _retarget(request: HandshakeRequest, target: str) -> HandshakeRequest:
    return dataclasses.replace(request, target=target)
