"""wsspec.tokens: each token differs from a valid one only where its name says."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from wsspec import tokens
from wsspec.profile import AuthPolicy
from wsspec.targets.reference.auth import token_is_valid

SECRET = "tokens-test-secret-" + "0123456789abcdef" * 3  # 66 bytes: enough for HS512
JWT = AuthPolicy(jwt_secret=SECRET, audience="wsspec", issuer="suite")
OPAQUE = AuthPolicy(valid_token="opaque-token-0123456789")


def header(token: str) -> dict[str, object]:
    head = token.split(".")[0]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    return decoded


def test_valid_tokens_are_valid() -> None:
    assert token_is_valid(tokens.mint(JWT, "valid"), JWT)
    assert tokens.mint(OPAQUE, "valid") == OPAQUE.valid_token


@pytest.mark.parametrize("variant", [row.name for row in tokens.TOKEN_VARIANTS
                                     + tokens.JWT_VARIANTS])
def test_every_jwt_variant_is_refused_by_the_reference_checks(variant: str) -> None:
    assert not token_is_valid(tokens.mint(JWT, variant), JWT)


@pytest.mark.parametrize("variant", [row.name for row in tokens.TOKEN_VARIANTS])
def test_opaque_variants_are_not_the_valid_token(variant: str) -> None:
    token = tokens.mint(OPAQUE, variant)
    assert token != OPAQUE.valid_token
    assert not token_is_valid(token, OPAQUE)


def test_jwt_variants_need_a_secret() -> None:
    for row in tokens.JWT_VARIANTS:
        assert "jwt_secret" in row.needs
        assert row.missing(OPAQUE)
    assert tokens.JWT_VARIANTS[-1].missing(AuthPolicy(jwt_secret=SECRET)) == ["issuer"]


def test_each_jwt_variant_bends_one_thing() -> None:
    now = time.time()
    claims = tokens.unverified_claims(tokens.mint(JWT, "expired"))
    assert claims is not None and claims["exp"] < now
    claims = tokens.unverified_claims(tokens.mint(JWT, "not-yet-valid"))
    assert claims is not None and claims["nbf"] > now and claims["exp"] > now
    assert tokens.unverified_claims(tokens.mint(JWT, "wrong-audience"))["aud"] != "wsspec"  # type: ignore[index]
    assert tokens.unverified_claims(tokens.mint(JWT, "wrong-issuer"))["iss"] != "suite"  # type: ignore[index]
    assert header(tokens.mint(JWT, "alg-none"))["alg"] == "none"
    assert tokens.mint(JWT, "alg-none").endswith(".")
    assert header(tokens.mint(JWT, "alg-hs512"))["alg"] == "HS512"
    assert header(tokens.mint(JWT, "alg-rs256"))["alg"] == "RS256"
    # the HS512 token is right but for its algorithm; the RS256 one carries an HS256 MAC
    jwt.decode(tokens.mint(JWT, "alg-hs512"), SECRET, algorithms=["HS512"], audience="wsspec")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tokens.mint(JWT, "other-secret"), SECRET, algorithms=["HS256"],
                   audience="wsspec")
    altered = tokens.altered(JWT)
    assert header(altered) == {"alg": "HS256", "typ": "JWT"}
    assert tokens.unverified_claims(altered) is not None  # the content is intact
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(altered, SECRET, algorithms=["HS256"], audience="wsspec")


def test_basic_credentials() -> None:
    assert base64.b64decode(tokens.basic_credentials(JWT, "abc")) == b"token:abc"


def test_unknown_variant() -> None:
    with pytest.raises(ValueError, match="no-such"):
        tokens.mint(JWT, "no-such")
