"""Tokens a server must refuse: forged, expired, unsigned and misplaced JWTs.

The auth cases present a credential in one of the schemes of
:mod:`wsspec.credentials` and expect the opening handshake to be refused
(or, for a valid token, accepted). This module makes the tokens. With the
profile's ``jwt_secret`` every token is an HS256 JWT minted with PyJWT, then
bent in exactly one way; with only a ``valid_token`` the token is opaque and
only the variants that need no secret exist.

Why each JWT variant must be refused (RFC 7519, RFC 8725 "JWT Best Current
Practices"):

``altered``
    the signature no longer matches the content (RFC 7515 5.2 step 8).
``other-secret``
    signed with HS256, but by a key the server does not hold (RFC 7515 5.2).
``alg-none``
    an unsecured JWT (RFC 7519 6): a server that trusts the header's ``alg``
    accepts anything (RFC 8725 2.1, 3.1).
``alg-hs512``
    the right key, another algorithm than the one the server uses: RFC 8725
    3.1 requires the algorithm to be checked against the expected one.
``alg-rs256``
    a header claiming RS256 over an HS256 signature: the algorithm in the
    header lies, which a server that ignores ``alg`` misses (RFC 8725 2.1).
``expired`` / ``not-yet-valid``
    ``exp`` in the past, ``nbf`` in the future (RFC 7519 4.1.4, 4.1.5).
``wrong-audience`` / ``wrong-issuer``
    ``aud`` / ``iss`` other than the ones the profile declares (4.1.3, 4.1.1).

Minting never looks at the server: the same profile gives the same kinds of
tokens, and each differs from a valid one only where its name says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from wsspec import credentials
from wsspec.profile import AuthPolicy

__all__ = [
    "JWT_VARIANTS",
    "OTHER_SECRET",
    "TOKEN_VARIANTS",
    "TokenVariant",
    "basic_credentials",
    "mint",
    "unverified_claims",
]

#: a secret that is not the profile's: tokens signed with it must be refused.
OTHER_SECRET = "wsspec-some-other-secret-0123456789abcdef"

#: seconds a token is expired by, or not yet valid for: well beyond any clock skew.
SKEW = 3600


@dataclass(frozen=True)
class TokenVariant:
    """One way of bending a credential: a name, what it is, and how to make it.

    ``needs`` names the profile keys the variant depends on beyond ``[auth]``:
    ``jwt_secret``, ``audience``, ``issuer``; a variant whose keys are absent
    does not apply to the target.
    """

    name: str
    description: str
    make: Callable[[AuthPolicy], str]
    needs: tuple[str, ...] = ()

    def missing(self, auth: AuthPolicy) -> list[str]:
        """The profile keys this variant needs that ``auth`` does not declare."""
        return [key for key in self.needs if getattr(auth, key) is None]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def _hand_signed(header: dict[str, Any], claims: dict[str, Any], secret: str | None,
                 digest: Callable[[], Any] = hashlib.sha256) -> str:
    """A JWS compact serialisation signed by hand (headers PyJWT would not write)."""
    signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), digest).digest()
    return f"{signing_input}.{_b64(mac)}"


def valid(auth: AuthPolicy) -> str:
    """A token the server must accept (a fresh HS256 JWT, or ``valid_token``)."""
    return credentials.valid_token(auth)


def altered(auth: AuthPolicy) -> str:
    """A valid token with one character changed: in a JWT, one byte of its signature."""
    token = valid(auth)
    if auth.jwt_secret is None:
        return token[:-1] + ("A" if token[-1] != "A" else "B")
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    return f"{head}.{payload}.{_b64(bytes(raw))}"


def malformed(auth: AuthPolicy) -> str:
    """Something that is no token at all (not three base64url parts, not the opaque value)."""
    del auth
    return "wsspec-not-a-token"


def empty(auth: AuthPolicy) -> str:
    """The empty credential."""
    del auth
    return ""


def other_secret(auth: AuthPolicy) -> str:
    """A well-formed HS256 JWT signed with :data:`OTHER_SECRET`."""
    credentials.jwt_secret(auth)
    return credentials.mint_jwt(auth, secret=OTHER_SECRET)


def alg_none(auth: AuthPolicy) -> str:
    """An unsecured JWT: header ``{"alg": "none"}`` and an empty signature."""
    credentials.jwt_secret(auth)
    return _hand_signed({"alg": "none", "typ": "JWT"}, credentials.jwt_claims(auth), None)


def alg_hs512(auth: AuthPolicy) -> str:
    """Signed with the profile's secret, but with HS512 instead of HS256."""
    return _hand_signed({"alg": "HS512", "typ": "JWT"}, credentials.jwt_claims(auth),
                        credentials.jwt_secret(auth), hashlib.sha512)


def alg_rs256(auth: AuthPolicy) -> str:
    """A header claiming RS256 over a correct HS256 signature with the profile's secret."""
    return _hand_signed({"alg": "RS256", "typ": "JWT"}, credentials.jwt_claims(auth),
                        credentials.jwt_secret(auth))


def expired(auth: AuthPolicy) -> str:
    """Signed correctly, but ``exp`` lies an hour in the past."""
    now = int(time.time())
    return credentials.mint_jwt(auth, iat=now - 2 * SKEW, exp=now - SKEW)


def not_yet_valid(auth: AuthPolicy) -> str:
    """Signed correctly, but ``nbf`` lies an hour in the future."""
    now = int(time.time())
    return credentials.mint_jwt(auth, nbf=now + SKEW, exp=now + 2 * SKEW)


def wrong_audience(auth: AuthPolicy) -> str:
    """Signed correctly, for another audience than the declared one."""
    return credentials.mint_jwt(auth, aud=f"{auth.audience}-elsewhere")


def wrong_issuer(auth: AuthPolicy) -> str:
    """Signed correctly, by another issuer than the declared one."""
    return credentials.mint_jwt(auth, iss=f"{auth.issuer}-elsewhere")


def mint(auth: AuthPolicy, variant: str) -> str:
    """The token of ``variant`` (a name from :data:`TOKEN_VARIANTS` or
    :data:`JWT_VARIANTS`, or ``valid``) for ``auth``."""
    if variant == "valid":
        return valid(auth)
    for table in (TOKEN_VARIANTS, JWT_VARIANTS):
        for row in table:
            if row.name == variant:
                return row.make(auth)
    raise ValueError(f"unknown token variant {variant!r}")


def basic_credentials(auth: AuthPolicy, token: str) -> str:
    """``base64(param:token)``, the credentials of the ``basic`` scheme."""
    return base64.b64encode(f"{auth.param}:{token}".encode()).decode("ascii")


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT without checking anything, or None if it is not one."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


#: Variants for any token, opaque or JWT.
TOKEN_VARIANTS: tuple[TokenVariant, ...] = (
    TokenVariant("empty", "an empty credential", empty),
    TokenVariant("malformed", "a credential that is no token at all", malformed),
    TokenVariant("altered", "a valid token with one character changed (a JWT: its signature)",
                 altered),
)

#: Variants that need the profile's ``jwt_secret`` (and ``audience``/``issuer``).
JWT_VARIANTS: tuple[TokenVariant, ...] = (
    TokenVariant("other-secret", "a JWT signed with another secret", other_secret,
                 ("jwt_secret",)),
    TokenVariant("alg-none", "an unsigned JWT (alg: none)", alg_none, ("jwt_secret",)),
    TokenVariant("alg-hs512", "a JWT signed with the secret but HS512, not HS256", alg_hs512,
                 ("jwt_secret",)),
    TokenVariant("alg-rs256", "a JWT whose header claims RS256 over an HS256 signature",
                 alg_rs256, ("jwt_secret",)),
    TokenVariant("expired", "a JWT whose exp is an hour past", expired, ("jwt_secret",)),
    TokenVariant("not-yet-valid", "a JWT whose nbf is an hour ahead", not_yet_valid,
                 ("jwt_secret",)),
    TokenVariant("wrong-audience", "a JWT for another audience", wrong_audience,
                 ("jwt_secret", "audience")),
    TokenVariant("wrong-issuer", "a JWT from another issuer", wrong_issuer,
                 ("jwt_secret", "issuer")),
)
