"""permessage-deflate (RFC 7692) from the server's side of a client case: the client's
offer read, and the suite's answer to it.

The suite plays a server that accepts an offer with what a case asks of the
client (``client_no_context_takeover``, ``client_max_window_bits=N``), as far
as the offer lets a server ask it: RFC 7692 §7.1.2.2 allows
``client_max_window_bits`` in a response only when the offer has it, and
never above the value offered. What a case asked and the offer did not allow
is named in :attr:`Answer.unmet`, so the case grades what it could exercise
instead of sending an invalid response. Whatever the offer asks of the
server (``server_no_context_takeover``, ``server_max_window_bits``) is
honoured; 8 window bits too, which the deflater honours with Huffman coding
alone (:class:`~wsspec.protocol.Deflater`).
"""

from __future__ import annotations

from dataclasses import dataclass

from wsspec.protocol import DeflateParams, parse_extension_header
from wsspec.protocol.deflate import EXTENSION_NAME, offer_problems

__all__ = ["Answer", "ClientOffer", "answer", "read_offers"]

SERVER_NCT, CLIENT_NCT = "server_no_context_takeover", "client_no_context_takeover"
SERVER_MWB, CLIENT_MWB = "server_max_window_bits", "client_max_window_bits"


@dataclass(frozen=True)
class ClientOffer:
    """One permessage-deflate element of a client's offer, and the RFC 7692 §7.1 rules
    it breaks (none: the suite may accept it)."""

    params: tuple[tuple[str, str | None], ...]
    problems: tuple[str, ...]

    def _value(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.params)

    @property
    def server_max_window_bits(self) -> int | None:
        value = self._value(SERVER_MWB)
        return int(value.strip('"')) if value is not None else None

    @property
    def client_max_window_bits(self) -> int | bool | None:
        """The window bits offered, ``True`` for the parameter without a value (the
        client supports the server's limiting its window), ``None`` when not offered."""
        if not self.has(CLIENT_MWB):
            return None
        value = self._value(CLIENT_MWB)
        return True if value is None else int(value.strip('"'))

    def encode(self) -> str:
        return "; ".join([EXTENSION_NAME, *(key if value is None else f"{key}={value}"
                                            for key, value in self.params)])


def read_offers(values: list[str]) -> list[ClientOffer]:
    """The permessage-deflate elements of a request's Sec-WebSocket-Extensions, in the
    client's order of preference. :class:`~wsspec.protocol.HandshakeViolation` for a
    header that breaks the RFC 6455 §9.1 grammar."""
    return [ClientOffer(tuple(params), tuple(offer_problems(params)))
            for name, params in parse_extension_header(values)
            if name.lower() == EXTENSION_NAME]


@dataclass(frozen=True)
class Answer:
    """The suite's response element, the parameters both sides then use, and what the
    case asked of the client that the offer did not allow."""

    element: str
    params: DeflateParams
    unmet: tuple[str, ...] = ()


def answer(offer: ClientOffer, *, client_no_context_takeover: bool = False,
           client_max_window_bits: int | None = None, server_no_context_takeover: bool = False,
           server_max_window_bits: int | None = None) -> Answer:
    """The valid answer to ``offer`` asking the client for ``client_*`` and granting the
    server's ``server_*`` unasked (RFC 7692 §7.1.1.1, §7.1.2.1 let a server add them),
    besides what the offer asks of the server (see the module docstring)."""
    response: list[str] = [EXTENSION_NAME]
    unmet: list[str] = []
    server_nct = server_no_context_takeover or offer.has(SERVER_NCT)
    if server_nct:
        response.append(SERVER_NCT)
    client_nct = client_no_context_takeover or offer.has(CLIENT_NCT)
    if client_no_context_takeover:
        response.append(CLIENT_NCT)
    server_bits = offer.server_max_window_bits
    if server_max_window_bits is not None:
        server_bits = min(server_max_window_bits, server_bits or 15)
    if server_bits is not None:
        response.append(f"{SERVER_MWB}={server_bits}")
    offered = offer.client_max_window_bits
    client_bits = offered if isinstance(offered, int) and not isinstance(offered, bool) else None
    if client_max_window_bits is not None:
        if offered is None:
            unmet.append(f"client_max_window_bits={client_max_window_bits} (the client did "
                         f"not offer client_max_window_bits)")
        else:
            client_bits = min(client_max_window_bits, client_bits or 15)
            if client_bits != client_max_window_bits:
                unmet.append(f"client_max_window_bits={client_max_window_bits} (the client "
                             f"offered at most {client_bits})")
            response.append(f"{CLIENT_MWB}={client_bits}")
    params = DeflateParams(server_no_context_takeover=server_nct,
                           client_no_context_takeover=client_nct,
                           server_max_window_bits=server_bits or 15,
                           client_max_window_bits=client_bits or 15)
    return Answer("; ".join(response), params, tuple(unmet))
