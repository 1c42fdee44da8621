"""Helpers of the permessage-deflate cases: negotiating with any header layout,
grading the answer, and checking the window of what the server compressed."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from wsspec.dsl import Client, Connection, HandshakeResult
from wsspec.protocol.deflate import (
    DeflateOffer,
    DeflateParams,
    build_offer_header,
    check_deflate_response,
    deflate_bomb,
)
from wsspec.protocol.handshake import check_response, parse_extension_header, parse_header_list
from wsspec.verdicts import CaseFailed, Verdict

#: what a sender strips from a compressed message and a receiver appends (RFC 7692 7.2.1).
TAIL = b"\x00\x00\xff\xff"

#: the offer Autobahn|Testsuite makes in 12.x: the client announces that it will not use
#: context takeover and that it supports client_max_window_bits; nothing is asked of the server.
AUTOBAHN_DEFAULT = DeflateOffer(client_no_context_takeover=True, client_max_window_bits=True)


@dataclass
class Negotiation:
    """A handshake offering permessage-deflate and what came of it."""

    result: HandshakeResult
    connection: Connection | None
    params: DeflateParams | None

    @property
    def header(self) -> str:
        """The response's Sec-WebSocket-Extensions, for observations."""
        response = self.result.response
        values = response.get("Sec-WebSocket-Extensions") if response is not None else []
        return ", ".join(values) if values else "(absent)"


async def negotiate(wsspec_client: Client, offers: Sequence[DeflateOffer], *,
                    headers: Sequence[str] | None = None) -> Negotiation:
    """Offer ``offers`` (one Sec-WebSocket-Extensions header, or the raw ``headers``
    lines, which must offer the same elements) and check a 101 answer strictly.

    A response that breaks RFC 6455 4.2.2 or RFC 7692 fails the case; a refusal
    is returned as it is, with no connection.
    """
    values = list(headers) if headers is not None else [build_offer_header(offers)]
    request = wsspec_client.request()
    for value in values:
        request = request.with_header("Sec-WebSocket-Extensions", value)
    driver, result = await wsspec_client.handshake(request)
    response = result.response
    if response is None or response.status != 101:
        return Negotiation(result, None, None)
    problems = check_response(
        response,
        key=request.get("Sec-WebSocket-Key")[0],
        subprotocols=parse_header_list(request.get("Sec-WebSocket-Protocol")),
        extensions_offered=[name for name, _ in parse_extension_header(values)],
    )
    params, deflate_problems = check_deflate_response(response.extensions, offers)
    problems += deflate_problems
    if problems:
        raise CaseFailed("a 101 response that follows RFC 6455 4.2.2 and RFC 7692 5, 7",
                         "; ".join(problems), wsspec_client.record.wirelog.tail())
    connection = Connection(wsspec_client, driver, response, params)
    if result.trailing:
        connection.feed(result.trailing)
    return Negotiation(result, connection, params)


def describe(offers: Sequence[DeflateOffer]) -> str:
    return build_offer_header(offers) or "(nothing)"


async def open_deflate(wsspec_client: Client, offers: Sequence[DeflateOffer], *,
                       headers: Sequence[str] | None = None,
                       required: bool = False) -> tuple[Connection, DeflateParams | None]:
    """Offer permessage-deflate; the handshake must succeed.

    ``required``: the server must accept (the profile declares ``[deflate]``
    and the offers include one every implementation supports), else the case
    fails. Otherwise a declined offer is informational (RFC 7692 7.1.2: a
    server declines parameters it does not support), except an offer of
    ``server_no_context_takeover`` alone, whose support 7.1.1.1 RECOMMENDS
    (non-strict); the connection goes on uncompressed.
    """
    shown = " / ".join(headers) if headers is not None else describe(offers)
    outcome = await negotiate(wsspec_client, offers, headers=headers)
    if outcome.connection is None:
        raise CaseFailed(f"101 Switching Protocols for a valid handshake offering {shown} "
                         "(RFC 7692 5: an offer the server does not take is declined)",
                         outcome.result.describe(), wsspec_client.record.wirelog.tail())
    expected = f"permessage-deflate accepted for the offer {shown} (RFC 7692 5, 7)"
    wsspec_client.record.observe(expected, f"Sec-WebSocket-Extensions: {outcome.header}")
    if outcome.params is None:
        if required:
            raise CaseFailed(expected + "; the profile declares [deflate]",
                             "permessage-deflate declined", wsspec_client.record.wirelog.tail())
        if DeflateOffer(server_no_context_takeover=True) in offers:
            wsspec_client.record.downgrade(
                Verdict.NON_STRICT,
                f"the server declined {shown}: RFC 7692 7.1.1.1 RECOMMENDS that a server "
                "support server_no_context_takeover; messages were exchanged uncompressed",
            )
        else:
            wsspec_client.record.downgrade(
                Verdict.INFORMATIONAL,
                f"the server declined {shown} (RFC 7692 7.1.2 lets it decline parameters it "
                "does not support); messages were exchanged uncompressed",
            )
    return outcome.connection, outcome.params


async def expect_declined(wsspec_client: Client, offers: Sequence[DeflateOffer], why: str, *,
                          headers: Sequence[str] | None = None) -> Connection | None:
    """The server must decline the offers: a 101 without permessage-deflate (pass),
    or a refusal with a 4xx status (non-strict: RFC 7692 7 asks for the offer to be
    declined, and the connection could have gone on uncompressed). Accepting an offer
    it must decline fails the case (checked by :func:`negotiate`)."""
    shown = " / ".join(headers) if headers is not None else describe(offers)
    outcome = await negotiate(wsspec_client, offers, headers=headers)
    expected = f"the offer {shown} declined: {why} (RFC 7692 7)"
    response = outcome.result.response
    if outcome.connection is None:
        wsspec_client.record.observe(expected, outcome.result.describe())
        if response is None or not 400 <= response.status < 500:
            raise CaseFailed(expected + ", the handshake going on without it",
                             outcome.result.describe(), wsspec_client.record.wirelog.tail())
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            f"the whole handshake was refused ({response.status}) where declining the offer "
            "would have let the connection go on uncompressed",
        )
        return None
    wsspec_client.record.observe(expected, f"101, Sec-WebSocket-Extensions: {outcome.header}")
    if outcome.params is not None:  # check_deflate_response accepted a valid offer
        raise CaseFailed(expected, f"accepted: Sec-WebSocket-Extensions: {outcome.header}",
                         wsspec_client.record.wirelog.tail())
    return outcome.connection


def window_problem(payloads: Sequence[bytes], *, window_bits: int,
                   no_context_takeover: bool, sender: str = "server") -> str | None:
    """Why the compressed messages ``payloads`` (each message's frames joined, as
    sent, tail removed) break the agreed window, or None; ``sender`` (``"server"`` or
    ``"client"``) names the parameters in the reason.

    Each is inflated one output byte at a time, so zlib checks every
    back-reference against exactly the bytes already produced, at most
    ``2**window_bits`` of them (and none of an earlier message without context
    takeover).
    """
    size = 1 << window_bits
    history = bytearray()
    inflater = zlib.decompressobj(-window_bits)
    for number, payload in enumerate(payloads, 1):
        if no_context_takeover:
            inflater = zlib.decompressobj(-window_bits)
            history.clear()
        data = payload + TAIL
        produced = 0
        while data:
            try:
                out = inflater.decompress(data, 1)
            except zlib.error as exc:
                if "too far back" not in str(exc):
                    return f"message {number} is not valid DEFLATE data (zlib: {exc})"
                where = "beyond its window" if produced >= size or not no_context_takeover \
                    else "into an earlier message"
                return (f"message {number}, after {produced} bytes, refers back {where}: "
                        f"further than the {size} bytes of {sender}_max_window_bits={window_bits}"
                        + (f" with {sender}_no_context_takeover" if no_context_takeover else ""))
            produced += len(out)
            history += out
            if len(history) > 2 * size:
                del history[:-size]
            data = inflater.unconsumed_tail
            if inflater.eof:  # a BFINAL block (RFC 7692 7.2.3.4): a new stream follows
                data = inflater.unused_data
                inflater = zlib.decompressobj(-window_bits, zdict=bytes(history[-size:]))
                if data in (b"", TAIL):
                    break
            elif not out:
                break
    return None


@functools.cache
def bomb(size: int) -> bytes:
    """A compressed message payload inflating to ``size`` zero bytes (cached)."""
    return deflate_bomb(size)


def inflated_size(payload: bytes, cap: int) -> int:
    """How many bytes a compressed payload prefix inflates to, counting to ``cap`` + 1."""
    inflater = zlib.decompressobj(-15)
    return len(inflater.decompress(payload, cap + 1))
