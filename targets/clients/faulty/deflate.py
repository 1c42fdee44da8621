"""Client faults of permessage-deflate (RFC 7692): the offer, and compressing without agreement."""

from __future__ import annotations

from typing import Any

from wsspec.protocol import DeflateOffer, Deflater, Message, encode_frame
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
