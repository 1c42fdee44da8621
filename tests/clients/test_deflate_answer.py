"""The suite's answer to a client's permessage-deflate offer: what the case asks, as far as
the offer allows, and always a response the reference client's strict check takes."""

from __future__ import annotations

from typing import Any

import pytest
from wsspec.clientside.deflate import answer, read_offers
from wsspec.protocol import DeflateOffer, DeflateParams, check_deflate_response


@pytest.mark.parametrize(("offer", "asks", "element", "params", "unmet"), [
    (DeflateOffer(client_max_window_bits=True), {},
     "permessage-deflate", DeflateParams(), 0),
    (DeflateOffer(client_max_window_bits=True),
     {"client_no_context_takeover": True, "client_max_window_bits": 8},
     "permessage-deflate; client_no_context_takeover; client_max_window_bits=8",
     DeflateParams(client_no_context_takeover=True, client_max_window_bits=8), 0),
    # not offered: a response may not carry it
    (DeflateOffer(), {"client_max_window_bits": 8}, "permessage-deflate", DeflateParams(), 1),
    # offered with a value: never above it, and the client keeps to it unasked
    (DeflateOffer(client_max_window_bits=10), {"client_max_window_bits": 15},
     "permessage-deflate; client_max_window_bits=10", DeflateParams(client_max_window_bits=10),
     1),
    (DeflateOffer(client_max_window_bits=10), {}, "permessage-deflate",
     DeflateParams(client_max_window_bits=10), 0),
    # what the offer asks of the server is honoured; 8 bits too
    (DeflateOffer(server_no_context_takeover=True, server_max_window_bits=8), {},
     "permessage-deflate; server_no_context_takeover; server_max_window_bits=8",
     DeflateParams(server_no_context_takeover=True, server_max_window_bits=8), 0),
    # granted unasked, never above what was offered
    (DeflateOffer(server_max_window_bits=10), {"server_max_window_bits": 12},
     "permessage-deflate; server_max_window_bits=10", DeflateParams(server_max_window_bits=10),
     0),
    (DeflateOffer(client_no_context_takeover=True), {"server_max_window_bits": 9},
     "permessage-deflate; server_max_window_bits=9",
     DeflateParams(client_no_context_takeover=True, server_max_window_bits=9), 0),
])
def test_answer(offer: DeflateOffer, asks: dict[str, Any], element: str,
                params: DeflateParams, unmet: int) -> None:
    [read] = read_offers([offer.encode()])
    agreed = answer(read, **asks)
    assert (agreed.element, agreed.params, len(agreed.unmet)) == (element, params, unmet)
    assert check_deflate_response([agreed.element], [offer]) == (params, [])


def test_offers_are_read_with_their_problems() -> None:
    offers = read_offers(["x-other, permessage-deflate; server_max_window_bits=16",
                          "permessage-deflate; client_max_window_bits"])
    assert [bool(offer.problems) for offer in offers] == [True, False]
    assert offers[1].client_max_window_bits is True and offers[1].server_max_window_bits is None
    assert offers[0].encode() == "permessage-deflate; server_max_window_bits=16"
