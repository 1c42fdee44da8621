"""Origin checks of the opening handshake (RFC 6455 sections 4.2.2 /origin/ and
10.2, RFC 6454; the profile's ``[origin]`` table). Autobahn|Testsuite has no
such section.

A browser sends the ASCII serialisation of the page's origin (RFC 6454 6.2) in
``Origin``; a server meant for some sites only checks it, because a WebSocket
is not bound by the same-origin policy: without the check any page a user
visits can open an authenticated connection with the user's cookies
(cross-site WebSocket hijacking). RFC 6455 10.2 says such a server SHOULD
answer an unacceptable origin with 403 Forbidden, and 4.2.2 that it MUST then
abort the handshake with an HTTP error.

The cases: every allowed origin is accepted; a foreign origin, ``null``, and
look-alikes of the first allowed origin (its host with a suffix, a prefix or a
subdomain, another scheme, another port) are refused with 403. Another 4xx is
non-strict (403 is the SHOULD), a connection dropped without a status too,
and a 101 fails. A request without ``Origin`` (a client that is not a
browser) is accepted or refused as ``allow_missing`` says.

Case. RFC 6454 4 lowercases the scheme and the host of an origin, so
``https://APP.EXAMPLE`` names the same origin as ``https://app.example``:
accepting it is right. Browsers only ever send the lowercase serialisation,
so a server that compares the header byte for byte and refuses it protects
as well: that is informational, not a failure.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from wsspec.cases import case
from wsspec.dsl import Client
from wsspec.verdicts import CaseFailed, Verdict, unsupported

RULE = "RFC6455 4.2.2 /origin/, 10.2; profile [origin]"

#: an origin no profile allows.
FOREIGN = "https://wsspec-foreign.test"
#: the registrable domain the look-alikes are put under.
EVIL = "wsspec-evil.test"


def allowed(wsspec_client: Client) -> tuple[str, ...]:
    origin = wsspec_client.profile.origin
    assert origin is not None
    return origin.allowed


def parts(origin: str) -> tuple[str, str, str]:
    """``(scheme, host, ":port" or "")`` of an origin serialisation."""
    split = urlsplit(origin)
    port = f":{split.port}" if split.port is not None else ""
    return split.scheme, split.hostname or "", port


def _rehost(origin: str, template: str) -> str:
    """``origin`` with its host put into ``template`` (``{host}``)."""
    scheme, host, port = parts(origin)
    return f"{scheme}://{template.format(host=host)}{port}"


def _other_scheme(origin: str) -> str:
    scheme, host, port = parts(origin)
    other = {"https": "http", "http": "https"}.get(scheme, "https")
    return f"{other}://{host}{port}"


def _other_port(origin: str) -> str:
    scheme, host, port = parts(origin)
    number = int(port[1:]) + 1 if port else 8443
    return f"{scheme}://{host}:{number}"


#: name → (what it is, how it is made from the first allowed origin).
LOOKALIKES: dict[str, tuple[str, Callable[[str], str]]] = {
    "host-suffix": ("the allowed host followed by another domain",
                    lambda origin: _rehost(origin, "{host}." + EVIL)),
    "host-prefix": ("the allowed host glued after other letters",
                    lambda origin: _rehost(origin, "evil{host}")),
    "subdomain": ("a subdomain of the allowed host",
                  lambda origin: _rehost(origin, "evil.{host}")),
    "scheme": ("the allowed host under the other scheme", _other_scheme),
    "port": ("the allowed host on another port", _other_port),
}


def lookalike(wsspec_client: Client, name: str) -> str:
    """The look-alike ``name`` of the first allowed origin (unsupported without one)."""
    origins = allowed(wsspec_client)
    if not origins or not parts(origins[0])[1]:
        unsupported("the profile allows no origin with a host to imitate")
    made = LOOKALIKES[name][1](origins[0])
    if made.lower() in {o.lower() for o in origins}:
        unsupported(f"the look-alike {made} is itself an allowed origin")
    return made


async def expect_origin_refusal(wsspec_client: Client, origin: str | None) -> None:
    """Refused with 403 (another 4xx: non-strict), no 101, nothing after."""
    await wsspec_client.expect_refused(
        wsspec_client.request(origin=origin),
        statuses=range(400, 500),
        rule=RULE,
        policy=True,
        preferred=(403,),
    )


@case(
    "origin.allowed.each",
    title="every allowed origin is accepted",
    rfc="profile [origin]",
    requirement="A handshake from each origin the profile allows is accepted with 101 "
    "(RFC 6455 4.2.2 /origin/).",
    needs=("origin",),
)
async def test_allowed_origins_are_accepted(wsspec_client: Client) -> None:
    origins = allowed(wsspec_client)
    if not origins:
        unsupported("the profile allows no origin")
    for origin in origins:
        ws = await wsspec_client.open(wsspec_client.request(origin=origin))
        await ws.close()
    wsspec_client.record.observe(f"101 for each of {', '.join(origins)}", "101 for each")


@pytest.mark.parametrize(("variant", "origin"), [("foreign", FOREIGN), ("null", "null")])
@case(
    "origin.refused.{variant}",
    title="a handshake from the {variant} origin {origin} is refused with 403",
    rfc="RFC6455 10.2 SHOULD",
    requirement="A server that accepts only some origins refuses a handshake with Origin: "
    "{origin} (not allowed) with 403 Forbidden (RFC 6455 10.2, 4.2.2 /origin/).",
    needs=("origin",),
)
async def test_foreign_origin_is_refused(wsspec_client: Client, variant: str, origin: str) -> None:
    if origin.lower() in {o.lower() for o in allowed(wsspec_client)}:
        unsupported(f"the profile allows {origin}")
    await expect_origin_refusal(wsspec_client, origin)


@pytest.mark.parametrize("variant", list(LOOKALIKES))
@case(
    "origin.lookalike.{variant}",
    title="an origin imitating an allowed one ({variant}) is refused with 403",
    rfc="RFC6455 10.2 SHOULD",
    requirement="Origins are compared whole (RFC 6454 5): {variant} of the first allowed "
    "origin is another origin and is refused with 403 Forbidden (RFC 6455 10.2).",
    needs=("origin",),
)
async def test_lookalike_origin_is_refused(wsspec_client: Client, variant: str) -> None:
    origin = lookalike(wsspec_client, variant)
    wsspec_client.record.wirelog.event(f"Origin: {origin} ({LOOKALIKES[variant][0]})")
    await expect_origin_refusal(wsspec_client, origin)


@pytest.mark.parametrize("variant", ["host", "scheme"])
@case(
    "origin.case.{variant}",
    title="the first allowed origin with its {variant} in capitals is the same origin",
    rfc="profile [origin]",
    requirement="Scheme and host of an origin are case-insensitive (RFC 6454 4): the first "
    "allowed origin with its {variant} in capitals is accepted; a refusal is informational, "
    "as browsers only send the lowercase serialisation (RFC 6454 6.2).",
    needs=("origin",),
)
async def test_origin_case(wsspec_client: Client, variant: str) -> None:
    origins = allowed(wsspec_client)
    if not origins or not parts(origins[0])[1]:
        unsupported("the profile allows no origin with a host")
    scheme, host, port = parts(origins[0])
    origin = (f"{scheme}://{host.upper()}{port}" if variant == "host"
              else f"{scheme.upper()}://{host}{port}")
    _, result = await wsspec_client.handshake(wsspec_client.request(origin=origin))
    status = result.response.status if result.response else None
    wsspec_client.record.observe(f"101 for Origin: {origin}", result.describe())
    if status == 101:
        return
    if status is not None and 400 <= status < 500:
        wsspec_client.record.downgrade(
            Verdict.INFORMATIONAL,
            f"refused: the server compares origins case-sensitively (browsers send "
            f"{origins[0].lower()}, so this is safe)",
        )
        return
    raise CaseFailed(f"101 for Origin: {origin}, or a 4xx refusal (RFC6454 4)",
                     result.describe(), wsspec_client.record.wirelog.tail())


@case(
    "origin.missing",
    title="a handshake without Origin is handled as allow_missing says",
    rfc="profile [origin]",
    requirement="A request without Origin (a client that is not a browser, RFC 6455 4.1) is "
    "accepted when the profile's allow_missing is true and refused with 403 otherwise.",
    needs=("origin",),
)
async def test_missing_origin(wsspec_client: Client) -> None:
    origin = wsspec_client.profile.origin
    assert origin is not None
    if not origin.allow_missing:
        await expect_origin_refusal(wsspec_client, None)
        return
    ws = await wsspec_client.open(wsspec_client.request(origin=None))
    wsspec_client.record.observe("101 for a request without Origin (allow_missing = true)", "101")
    await ws.close()
