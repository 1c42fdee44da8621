"""Authentication of the opening handshake (RFC 6455 sections 4.2.2 and 10.5; the
profile's ``[auth]`` table). Autobahn|Testsuite has no such section.

RFC 6455 10.5 leaves client authentication to the means of HTTP (cookies, HTTP
authentication, tokens) and 4.2.2 lets the server refuse the handshake with an
HTTP status such as 401. A profile declares where credentials go (``schemes``:
bearer, query, cookie, subprotocol, basic; see :mod:`wsspec.credentials`),
what makes one valid (``jwt_secret`` or ``valid_token``) and the statuses a
refusal may carry (``reject_status``). The cases then check, for every scheme:

* a valid token is accepted with 101, and the connection works (echo); so is
  ``Authorization: bearer <token>``, as scheme names are case-insensitive
  (RFC 9110 11.1);
* no credentials, an empty or malformed one, a token with one character
  changed, and (with a secret) every forged JWT of :mod:`wsspec.tokens`
  (another secret, ``alg: none``, HS512 or an RS256 header, expired, not yet
  valid, another audience or issuer) are refused *before the upgrade*: one of
  ``reject_status``, no 101, and not one WebSocket byte after the response;
* a valid token written the way another scheme writes it (``Token x``, a
  missing ``Bearer`` word, ``Basic`` around a bearer token, ``?token=Bearer
  x``) or placed where no declared scheme looks (a valid query token for a
  server that only reads headers) is refused too: it is not a credential of
  any declared scheme, and a server that picks tokens from places it did not
  promise to read puts them in logs and caches.

Grading: a refusal with a listed status passes; a connection dropped without
any status is non-strict (RFC 6455 10.7: answer an HTTP status); a 101 or
another status fails. A refusal that shows the client the token it presented
(RFC 6750 5.3) or a stack trace, an exception or a source path (CWE-209) is
non-strict. The 401 challenge (RFC 9110 11.6.1) is checked once, by
``auth.missing.challenge``, not in every refusal. A case for a scheme the
profile does not declare is ``unsupported``; so are the JWT cases when the
profile has an opaque ``valid_token`` instead of a ``jwt_secret``.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from urllib.parse import quote

import pytest
from wsspec import credentials, tokens
from wsspec.cases import case
from wsspec.dsl import Client, HandshakeResult
from wsspec.profile import AUTH_SCHEMES, AuthPolicy
from wsspec.protocol.handshake import TOKEN_RE, HandshakeRequest
from wsspec.verdicts import CaseFailed, Verdict, unsupported

RULE = "RFC6455 4.2.2, 10.5; profile [auth]"

#: where each scheme carries the token, for titles.
PLACES = {
    "bearer": "Authorization: Bearer",
    "query": "the query parameter",
    "cookie": "a cookie",
    "subprotocol": "a bearer.<token> subprotocol offer",
    "basic": "the password of Authorization: Basic",
}


def policy(wsspec_client: Client) -> AuthPolicy:
    """The profile's ``[auth]`` table (cases needing ``auth`` only run with one)."""
    auth = wsspec_client.profile.auth
    assert auth is not None
    return auth


def declared(wsspec_client: Client, scheme: str) -> AuthPolicy:
    """The ``[auth]`` table, when it declares ``scheme``; otherwise the case is unsupported."""
    auth = policy(wsspec_client)
    if scheme not in auth.schemes:
        unsupported(f"the profile does not declare the {scheme} scheme "
                    f"(declared: {', '.join(auth.schemes)})")
    return auth


def presenting(wsspec_client: Client, scheme: str, token: str) -> HandshakeRequest:
    """A valid request carrying ``token`` in ``scheme`` and no other credential."""
    auth = policy(wsspec_client)
    return credentials.present(wsspec_client.request(authenticate=False), scheme, token, auth.param)


def secrets(auth: AuthPolicy, token: str) -> list[str]:
    """What a refusal must not show: the token, and its Basic encoding."""
    return [token, tokens.basic_credentials(auth, token)]


async def expect_auth_refusal(wsspec_client: Client, request: HandshakeRequest,
                              token: str = "") -> HandshakeResult:
    """Refused before the upgrade with one of ``reject_status``; nothing leaked."""
    auth = policy(wsspec_client)
    return await wsspec_client.expect_refused(request, statuses=auth.reject_status, rule=RULE,
                                       policy=True, secrets=secrets(auth, token))


# -- a valid token is accepted -------------------------------------------------------


@pytest.mark.parametrize("scheme", AUTH_SCHEMES)
@case(
    "auth.valid.{scheme}",
    title="a valid token in the {scheme} scheme is accepted",
    rfc="profile [auth]",
    requirement="A handshake presenting a valid token the way the declared {scheme} scheme "
    "says is accepted with 101 and the connection works (RFC 6455 4.2.2, 10.5).",
    needs=("auth",),
)
async def test_valid_token_is_accepted(wsspec_client: Client, scheme: str) -> None:
    auth = declared(wsspec_client, scheme)
    token = tokens.valid(auth)
    ws = await wsspec_client.open(presenting(wsspec_client, scheme, token))
    wsspec_client.record.observe(f"101 for a valid token in {PLACES[scheme]}",
                          f"{ws.response.status}, subprotocol {ws.subprotocol or '(none)'}")
    if ws.subprotocol and ws.subprotocol.startswith(credentials.SUBPROTOCOL_PREFIX):
        wsspec_client.record.downgrade(
            Verdict.INFORMATIONAL,
            "the server selected the offer carrying the token, so the token comes back in "
            "the 101 response",
        )
    if wsspec_client.profile.echo:
        await ws.expect_echo("wsspec: authenticated")
    await ws.close()


@case(
    "auth.bearer.scheme-case",
    title="the Bearer scheme name is matched case-insensitively",
    rfc="profile [auth]",
    requirement="An authentication scheme name is case-insensitive (RFC 9110 11.1, RFC 6750 "
    "2.1): Authorization: bearer <valid token> is accepted like Bearer.",
    needs=("auth",),
)
async def test_bearer_scheme_is_case_insensitive(wsspec_client: Client) -> None:
    auth = declared(wsspec_client, "bearer")
    request = wsspec_client.request(authenticate=False).with_header(
        "Authorization", f"bearer {tokens.valid(auth)}")
    ws = await wsspec_client.open(request)
    wsspec_client.record.observe("101 for Authorization: bearer <valid token>", "101")
    await ws.close()


# -- no credentials ----------------------------------------------------------------


@case(
    "auth.missing.refused",
    title="a handshake without credentials is refused",
    rfc="profile [auth]",
    requirement="A server that requires authentication refuses a handshake presenting no "
    "credentials with an HTTP error before the upgrade (RFC 6455 4.2.2, 10.5).",
    needs=("auth",),
)
async def test_missing_credentials_are_refused(wsspec_client: Client) -> None:
    await expect_auth_refusal(wsspec_client, wsspec_client.request(authenticate=False))


@case(
    "auth.missing.challenge",
    title="a 401 refusal carries a WWW-Authenticate challenge",
    rfc="RFC9110 11.6.1 MUST",
    requirement="A 401 response carries a WWW-Authenticate header with at least one "
    "challenge (RFC 9110 11.6.1, 15.5.2); a refusal with another status needs none.",
    needs=("auth",),
)
async def test_unauthorized_carries_challenge(wsspec_client: Client) -> None:
    result = await expect_auth_refusal(wsspec_client, wsspec_client.request(authenticate=False))
    if result.response is None or result.response.status != 401:
        return
    challenges = result.response.get("WWW-Authenticate")
    expected = "401 with a WWW-Authenticate challenge (RFC9110 11.6.1)"
    wsspec_client.record.observe(
        expected, f"401, WWW-Authenticate: {', '.join(challenges) or '(absent)'}"
    )
    if not any(value.strip() for value in challenges):
        raise CaseFailed(
            expected, "401 without WWW-Authenticate", wsspec_client.record.wirelog.tail()
        )


# -- tokens that are not valid -----------------------------------------------------


@pytest.mark.parametrize("scheme", AUTH_SCHEMES)
@pytest.mark.parametrize("variant", [row.name for row in tokens.TOKEN_VARIANTS])
@case(
    "auth.token.{variant}.{scheme}",
    title="{variant} token in the {scheme} scheme is refused",
    rfc="profile [auth]",
    requirement="A handshake presenting, the way the {scheme} scheme says, a token that is "
    "not valid ({variant}) is refused with one of reject_status before the upgrade.",
    needs=("auth",),
)
async def test_invalid_token_is_refused(wsspec_client: Client, variant: str, scheme: str) -> None:
    auth = declared(wsspec_client, scheme)
    token = tokens.mint(auth, variant)
    await expect_auth_refusal(wsspec_client, presenting(wsspec_client, scheme, token), token)


@pytest.mark.parametrize("scheme", AUTH_SCHEMES)
@pytest.mark.parametrize("variant", [row.name for row in tokens.JWT_VARIANTS])
@case(
    "auth.jwt.{variant}.{scheme}",
    title="a forged or unusable JWT ({variant}) in the {scheme} scheme is refused",
    rfc="profile [auth]",
    requirement="A handshake presenting, the way the {scheme} scheme says, a JWT the "
    "declared secret and claims do not make valid ({variant}; RFC 7519, RFC 8725 3.1) is "
    "refused with one of reject_status before the upgrade.",
    needs=("auth", "jwt_secret"),
)
async def test_invalid_jwt_is_refused(wsspec_client: Client, variant: str, scheme: str) -> None:
    auth = declared(wsspec_client, scheme)
    row = next(row for row in tokens.JWT_VARIANTS if row.name == variant)
    missing = row.missing(auth)
    if missing:
        unsupported(f"the profile declares no {' or '.join(missing)} to check")
    token = row.make(auth)
    await expect_auth_refusal(wsspec_client, presenting(wsspec_client, scheme, token), token)


# -- a valid token where no declared scheme looks ----------------------------------


def _authorization(value: Callable[[AuthPolicy, str], str]) -> Callable[..., HandshakeRequest]:
    def build(wsspec_client: Client, auth: AuthPolicy, token: str) -> HandshakeRequest:
        return wsspec_client.request(authenticate=False).with_header("Authorization",
                                                              value(auth, token))
    return build


def _query_with_word(wsspec_client: Client, auth: AuthPolicy, token: str) -> HandshakeRequest:
    request = wsspec_client.request(authenticate=False)
    sep = "&" if "?" in request.target else "?"
    target = f"{request.target}{sep}{auth.param}={quote('Bearer ' + token, safe='')}"
    return dataclasses.replace(request, target=target)


def _cookie_with_marker(wsspec_client: Client, auth: AuthPolicy, token: str) -> HandshakeRequest:
    value = f"{auth.param}={credentials.SUBPROTOCOL_PREFIX}{token}"
    return wsspec_client.request(authenticate=False).with_header("Cookie", value)


def _offer_without_marker(wsspec_client: Client, auth: AuthPolicy, token: str) -> HandshakeRequest:
    request = wsspec_client.request(authenticate=False)
    offered = [*request.get("Sec-WebSocket-Protocol"), token]
    return request.replace("Sec-WebSocket-Protocol", ", ".join(offered))


#: name → (the declared schemes it concerns, what is sent, how).
MISFORMATTED: dict[str, tuple[tuple[str, ...], str, Callable[..., HandshakeRequest]]] = {
    "token-word": (("bearer",), "Authorization: Token <token>",
                   _authorization(lambda auth, token: f"Token {token}")),
    "jwt-word": (("bearer",), "Authorization: JWT <token>",
                 _authorization(lambda auth, token: f"JWT {token}")),
    "no-word": (("bearer",), "Authorization: <token>",
                _authorization(lambda auth, token: token)),
    "basic-word": (("bearer", "basic"), "Authorization: Basic <token>, the token not encoded",
                   _authorization(lambda auth, token: f"Basic {token}")),
    "bearer-word": (("basic",), "Authorization: Bearer base64(user:token)",
                    _authorization(lambda auth, token:
                                   f"Bearer {tokens.basic_credentials(auth, token)}")),
    "query-with-word": (("query",), "?<param>=Bearer <token>", _query_with_word),
    "cookie-with-marker": (("cookie",), "Cookie: <param>=bearer.<token>", _cookie_with_marker),
    "offer-without-marker": (("subprotocol",), "the token offered as a subprotocol without "
                             "the bearer. marker", _offer_without_marker),
}


@pytest.mark.parametrize("form", list(MISFORMATTED))
@case(
    "auth.misformatted.{form}",
    title="a valid token written as another scheme writes it ({form}) is refused",
    rfc="profile [auth]",
    requirement="A valid token that is not presented the way a declared scheme says "
    "({form}) is no credential of that scheme: the handshake is refused with one of "
    "reject_status before the upgrade.",
    needs=("auth",),
)
async def test_misformatted_token_is_refused(wsspec_client: Client, form: str) -> None:
    auth = policy(wsspec_client)
    concerns, shown, build = MISFORMATTED[form]
    if not set(concerns) & set(auth.schemes):
        unsupported(f"the profile declares none of the schemes this form imitates "
                    f"({', '.join(concerns)})")
    token = tokens.valid(auth)
    if form == "offer-without-marker" and not _is_token(token):
        unsupported("the valid token is not an HTTP token, so it cannot be a subprotocol")
    wsspec_client.record.wirelog.event(f"presenting a valid token as {shown}")
    await expect_auth_refusal(wsspec_client, build(wsspec_client, auth, token), token)


@pytest.mark.parametrize("scheme", AUTH_SCHEMES)
@case(
    "auth.undeclared.{scheme}",
    title="a valid token in the undeclared {scheme} scheme is refused",
    rfc="profile [auth]",
    requirement="A valid token presented only where the profile's schemes do not look "
    "({scheme}) is no credential: the handshake is refused with one of reject_status.",
    needs=("auth",),
)
async def test_token_in_undeclared_scheme_is_refused(wsspec_client: Client, scheme: str) -> None:
    auth = policy(wsspec_client)
    if scheme in auth.schemes:
        unsupported(f"the profile declares the {scheme} scheme")
    token = tokens.valid(auth)
    await expect_auth_refusal(wsspec_client, presenting(wsspec_client, scheme, token), token)


# -- helpers -----------------------------------------------------------------------


def _is_token(value: str) -> bool:
    return bool(TOKEN_RE.fullmatch(value))
