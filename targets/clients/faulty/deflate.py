"""Client faults of permessage-deflate (RFC 7692): the offer, the response's checks, the
parameters the server asks for, compressing without agreement, and bad compressed frames
read past."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from wsspec.protocol import (
    DeflateOffer,
    DeflateParams,
    Deflater,
    HandshakeResponse,
    Message,
    Receiver,
    Violation,
    encode_frame,
)
from wsspec.targets.clients.reference import ReferenceClient

from .registry import fault


@fault("bad-deflate-offer", "RFC 7692 7.1.2.1: client_max_window_bits takes a value from 8 to "
       "15; this client offers 16.",
       catches=["client.deflate.offer", "client.deflate.echo.*"])
class BadDeflateOffer(ReferenceClient):
    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.offers = (DeflateOffer(client_max_window_bits=16),)


@fault("compresses-when-declined", "RFC 7692 6: RSV1 means compressed only once deflate is "
       "agreed; this client compresses its echo even when the server declined.",
       catches=["client.deflate.declined", "client.framing.echo.*"], also=["client.*"])
class CompressesWhenDeclined(ReferenceClient):
    def on_message(self, message: Message) -> None:
        if self.deflater is not None:
            super().on_message(message)
            return
        data = Deflater().compress(message.data)
        self.send(encode_frame(message.opcode, data, rsv1=True, mask_key=self.mask_key()))


# -- checking the response ---------------------------------------------------------------


class _OverlooksDeflate(ReferenceClient):
    """Takes a permessage-deflate response despite the problems that mention one of
    :attr:`overlooked` (a response it cannot make sense of leaves it uncompressed)."""

    overlooked: tuple[str, ...] = ()

    def check_response(self, response: HandshakeResponse, key: str) -> list[str]:
        return [problem for problem in super().check_response(response, key)
                if not any(text in problem for text in self.overlooked)]


@fault("accepts-unknown-deflate-parameter", "RFC 7692 5.1: a response with a parameter "
       "permessage-deflate does not define MUST fail the connection; this client takes it.",
       catches=["client.deflate.refuse.unknown-parameter"])
class AcceptsUnknownDeflateParameter(_OverlooksDeflate):
    overlooked = ("unknown parameter",)


@fault("accepts-bad-window-bits", "RFC 7692 7.1.2: window bits in a response are a decimal "
       "8 to 15 without leading zeros; this client takes any value, or none.",
       catches=["client.deflate.refuse.server-window-[0-9]*",
                "client.deflate.refuse.server-window-abc",
                "client.deflate.refuse.server-window-no-value",
                "client.deflate.refuse.client-window-16",
                "client.deflate.refuse.client-window-no-value"])
class AcceptsBadWindowBits(_OverlooksDeflate):
    overlooked = ("§7.1.2: ",)


@fault("accepts-repeated-deflate", "RFC 7692 5.1, 5: a response repeating a parameter, or "
       "accepting permessage-deflate twice, MUST fail the connection; this client takes it.",
       catches=["client.deflate.refuse.duplicate-*", "client.deflate.refuse.accepted-twice"])
class AcceptsRepeatedDeflate(_OverlooksDeflate):
    overlooked = ("more than once", "it must select one offer")


@fault("accepts-unoffered-client-window", "RFC 7692 7.1.2.2: client_max_window_bits in a "
       "response to an offer without it MUST fail the connection; this client offers "
       "permessage-deflate alone and takes it.",
       catches=["client.deflate.refuse.client-window-unoffered"])
class AcceptsUnofferedClientWindow(_OverlooksDeflate):
    overlooked = ("§7.1.2.2",)

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.offers = (DeflateOffer(),)


@fault("accepts-larger-server-window", "RFC 7692 7.1.2.1: server_max_window_bits above the "
       "value offered MUST fail the connection; this client offers 10 and takes any.",
       catches=["client.deflate.refuse.server-window-above-offer"])
class AcceptsLargerServerWindow(_OverlooksDeflate):
    overlooked = ("§7.1.2.1",)

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.offers = (DeflateOffer(server_max_window_bits=10, client_max_window_bits=True),)


# -- what the server asks of the client ------------------------------------------------------


class _CompressesAs(ReferenceClient):
    """Compresses with :meth:`compressor_params` instead of the agreed parameters."""

    def compressor_params(self, params: DeflateParams) -> DeflateParams:
        return params

    def make_receiver(self) -> Receiver:
        receiver = super().make_receiver()
        if self.params is not None:
            own = self.compressor_params(self.params)
            self.deflater = Deflater(window_bits=own.client_max_window_bits,
                                     no_context_takeover=own.client_no_context_takeover)
        return receiver


@fault("keeps-context", "RFC 7692 7.1.1.2: a client answered client_no_context_takeover "
       "MUST start each message with an empty window; this client keeps its context.",
       catches=["client.deflate.client-no-context-takeover"],
       also=["client.deflate.params.*", "client.deflate.accept.all-parameters"])
class KeepsContext(_CompressesAs):
    def compressor_params(self, params: DeflateParams) -> DeflateParams:
        return replace(params, client_no_context_takeover=False)


@fault("ignores-client-window", "RFC 7692 7.1.2.2: a client answered client_max_window_bits=N "
       "MUST NOT refer back further than 2^N bytes; this client always uses 2^15.",
       catches=["client.deflate.client-window.[89]", "client.deflate.client-window.1[0-4]"],
       also=["client.deflate.params.*", "client.deflate.accept.all-parameters"])
class IgnoresClientWindow(_CompressesAs):
    def compressor_params(self, params: DeflateParams) -> DeflateParams:
        return replace(params, client_max_window_bits=15)


# -- what the client receives ------------------------------------------------------------------


class _ReadsPast(ReferenceClient):
    """Reads past :attr:`tolerated` instead of failing the connection."""


@fault("ignores-misplaced-rsv1", "RFC 7692 6: RSV1 on a control or continuation frame MUST "
       "fail the connection; this client reads past it.",
       catches=["client.deflate.receive.*-rsv1"])
class IgnoresMisplacedRsv1(_ReadsPast):
    tolerated = frozenset({Violation.COMPRESSED_CONTROL, Violation.COMPRESSED_CONTINUATION})


@fault("ignores-bad-compressed-data", "RFC 7692 6.2: data that does not inflate MUST fail "
       "the connection; this client reads past it.",
       catches=["client.deflate.receive.reserved-block-type"])
class IgnoresBadCompressedData(_ReadsPast):
    tolerated = frozenset({Violation.BAD_COMPRESSED_DATA})
