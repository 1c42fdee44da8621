"""Subprotocol negotiation (RFC 6455 sections 1.9, 4.1, 4.2.2 /subprotocol/ and 11.3.4;
the profile's ``subprotocols`` and ``subprotocol_required``). Autobahn|Testsuite
has no such section.

The client offers subprotocols in ``Sec-WebSocket-Protocol``, in order of
preference; the server selects one of them, or none, and names it in one
``Sec-WebSocket-Protocol`` of the 101 (4.2.2 /subprotocol/, 11.3.4). The header
may appear several times in a request, which is the same as one header
holding all the values (11.3.4). Every 101 in the suite is already checked
to name at most one subprotocol, and only an offered one
(:meth:`wsspec.dsl.Client.open`); the cases here add:

* no offer → no ``Sec-WebSocket-Protocol`` in the response;
* offers of the declared subprotocols, in the declared order, reversed, after
  an unknown one, and each one alone → one of them is selected. RFC 6455 lets
  a server select none; a profile that lists ``subprotocols`` declares that
  the server speaks them, so selecting none of an offer made only of them
  fails the declared policy. Which one is selected among several is the
  server's choice (recorded);
* the same offer split across two headers → the same selection as in one;
* with ``subprotocol_required``: a client offering none, or only an unknown
  one, is refused with a 4xx before the upgrade.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from wsspec.cases import case
from wsspec.dsl import Client
from wsspec.protocol.handshake import HandshakeRequest, parse_header_list
from wsspec.verdicts import CaseFailed, unsupported

#: a subprotocol no server speaks.
UNKNOWN = "x-wsspec-unknown"
HEADER = "Sec-WebSocket-Protocol"


def declared(wsspec_client: Client) -> tuple[str, ...]:
    """The profile's subprotocols (cases needing ``subprotocols`` only run with some)."""
    return wsspec_client.profile.subprotocols


def in_headers(request: HandshakeRequest, groups: Sequence[Sequence[str]]) -> HandshakeRequest:
    """``request`` offering ``groups``, one ``Sec-WebSocket-Protocol`` header per
    group; offers the request already made beside them (a credential of the
    subprotocol scheme) go in the last header."""
    grouped = {value for group in groups for value in group}
    extra = [v for v in parse_header_list(request.get(HEADER)) if v not in grouped]
    request = request.without(HEADER)
    for index, group in enumerate(groups):
        values = [*group, *(extra if index == len(groups) - 1 else ())]
        request = request.with_header(HEADER, ", ".join(values))
    return request


async def selection(wsspec_client: Client, request: HandshakeRequest) -> str | None:
    """Open with ``request`` (the 101 is checked as every 101 is) and return the
    selected subprotocol; the connection is closed."""
    ws = await wsspec_client.open(request)
    selected = ws.subprotocol
    await ws.close()
    return selected


@case(
    "subprotocol.none.not-offered",
    title="no subprotocol offered: none in the response",
    rfc="RFC6455 4.2.2 MUST",
    requirement="Without Sec-WebSocket-Protocol in the request the server selects no "
    "subprotocol: the 101 carries no Sec-WebSocket-Protocol (4.2.2 /subprotocol/).",
)
async def test_nothing_selected_without_offer(wsspec_client: Client) -> None:
    if wsspec_client.profile.subprotocol_required:
        unsupported("the profile requires a subprotocol, so a request offering none is refused")
    request = wsspec_client.request(subprotocols=())
    if request.get(HEADER):
        unsupported("credentials of the subprotocol scheme are offered in Sec-WebSocket-Protocol")
    selected = await selection(wsspec_client, request)
    wsspec_client.record.observe("no Sec-WebSocket-Protocol", f"{HEADER}: {selected or '(absent)'}")


ORDERS = ["declared", "reversed", "unknown-first"]


@pytest.mark.parametrize("order", ORDERS)
@case(
    "subprotocol.select.{order}",
    title="an offer of the declared subprotocols ({order} order) gets one of them",
    rfc="RFC6455 4.2.2 MUST",
    requirement="Offered the declared subprotocols ({order} order), the server selects "
    "exactly one of them in a single Sec-WebSocket-Protocol (4.2.2 /subprotocol/, 11.3.4).",
    needs=("subprotocols",),
)
async def test_one_offered_subprotocol_is_selected(wsspec_client: Client, order: str) -> None:
    offer = list(declared(wsspec_client))
    if order == "reversed":
        offer.reverse()
    elif order == "unknown-first":
        offer.insert(0, UNKNOWN)
    await expect_one_of(wsspec_client, offer, [p for p in offer if p != UNKNOWN])


@case(
    "subprotocol.select.each-alone",
    title="each declared subprotocol offered alone is selected",
    rfc="RFC6455 4.2.2 MUST",
    requirement="Offered only one of the declared subprotocols, the server selects it "
    "(4.2.2 /subprotocol/; the profile declares the server speaks it).",
    needs=("subprotocols",),
)
async def test_each_subprotocol_alone_is_selected(wsspec_client: Client) -> None:
    for protocol in declared(wsspec_client):
        await expect_one_of(wsspec_client, [protocol], [protocol])
    wsspec_client.record.observe("each declared subprotocol selected when offered alone",
                          f"{', '.join(declared(wsspec_client))} each selected")


async def expect_one_of(wsspec_client: Client, offer: list[str], spoken: list[str]) -> None:
    """Offered ``offer``, the server selects one of ``spoken``."""
    selected = await selection(wsspec_client, wsspec_client.request(subprotocols=offer))
    expected = (f"one of {', '.join(spoken)} selected when offered {', '.join(offer)} "
                "(RFC6455 4.2.2; the profile declares them)")
    wsspec_client.record.observe(expected, f"{HEADER}: {selected or '(absent)'}")
    if selected not in spoken:
        raise CaseFailed(expected, f"{HEADER}: {selected or '(absent)'}",
                         wsspec_client.record.wirelog.tail())


LAYOUTS: dict[str, Callable[[list[str]], list[list[str]]]] = {
    "unknown-then-declared": lambda spoken: [[UNKNOWN], spoken],
    "one-header-each": lambda spoken: [[protocol] for protocol in spoken],
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@case(
    "subprotocol.split.{layout}",
    title="an offer split across Sec-WebSocket-Protocol headers ({layout}) is read whole",
    rfc="RFC6455 11.3.4 MUST NOT",
    requirement="Several Sec-WebSocket-Protocol headers in a request are one list (11.3.4): "
    "an offer split across them ({layout}) gets the same selection as in one header.",
    needs=("subprotocols",),
)
async def test_split_offer_is_read_whole(wsspec_client: Client, layout: str) -> None:
    groups = LAYOUTS[layout](list(declared(wsspec_client)))
    offer = [value for group in groups for value in group]
    whole = await selection(wsspec_client, wsspec_client.request(subprotocols=offer))
    split = await selection(
        wsspec_client, in_headers(wsspec_client.request(subprotocols=offer), groups)
    )
    expected = (f"the selection made for one header ({whole or 'none'}) when the offer "
                f"is split across {len(groups)} headers (RFC6455 11.3.4)")
    wsspec_client.record.observe(expected, f"{HEADER}: {split or '(absent)'}")
    if split != whole:
        raise CaseFailed(expected, f"{HEADER}: {split or '(absent)'}",
                         wsspec_client.record.wirelog.tail())


@pytest.mark.parametrize(("variant", "offer"), [("none", ()), ("unknown", (UNKNOWN,))])
@case(
    "subprotocol.required.{variant}-offered",
    title="with a required subprotocol, a client offering {variant} is refused",
    rfc="profile [subprotocols]",
    requirement="A server that requires a subprotocol (subprotocol_required) refuses a "
    "handshake offering {variant} of its subprotocols with a 4xx before the upgrade.",
    needs=("subprotocols",),
)
async def test_missing_required_subprotocol_is_refused(wsspec_client: Client, variant: str,
                                                       offer: tuple[str, ...]) -> None:
    if not wsspec_client.profile.subprotocol_required:
        unsupported("the profile does not require a subprotocol")
    await wsspec_client.expect_refused(
        wsspec_client.request(subprotocols=offer), statuses=range(400, 500), policy=True,
        rule="RFC6455 4.2.2 /subprotocol/; profile subprotocol_required")
