"""Proofs for wsspec.protocol.deflate: RFC 7692 negotiation both ways, a bounded inflater."""

from __future__ import annotations

import itertools
import os
import time
import tracemalloc
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode
from wsspec.protocol.deflate import (
    DeflateOffer,
    DeflateParams,
    Deflater,
    Inflater,
    build_offer_header,
    check_deflate_response,
    compress_variant,
    deflate_bomb,
    negotiate,
)
from wsspec.protocol.errors import HandshakeViolation, ProtocolViolation, Violation

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Compressible and incompressible content, short and long.
payloads = st.one_of(
    st.binary(max_size=3000),
    st.text(alphabet="ab ", max_size=5000).map(str.encode),
    st.integers(0, 70000).map(lambda n: (b"wsspec " * (n // 7 + 1))[:n]),
)


def inflate_message(
    inflater: Inflater, payload: bytes, cuts: list[int], max_size: int = 1 << 24
) -> bytes:
    """Inflate one message whose payload is split into frames at ``cuts``."""
    points = sorted({min(c, len(payload)) for c in cuts} | {0, len(payload)})
    pieces = [payload[a:b] for a, b in itertools.pairwise(points)] or [b""]
    inflater.reset_message()
    out = b""
    for index, piece in enumerate(pieces):
        out += inflater.decompress(
            piece, final=index == len(pieces) - 1, max_size=max_size - len(out)
        )
    return out


# --------------------------------------------------------------------------- round trips


@FAST
@given(
    window_bits=st.integers(8, 15),
    no_context_takeover=st.booleans(),
    messages=st.lists(
        st.tuples(payloads, st.lists(st.integers(0, 5000), max_size=4)), min_size=1, max_size=4
    ),
)
def test_compress_then_inflate_is_identity(
    window_bits: int, no_context_takeover: bool, messages: list[tuple[bytes, list[int]]]
) -> None:
    deflater = Deflater(window_bits=window_bits, no_context_takeover=no_context_takeover)
    inflater = Inflater(window_bits=window_bits, no_context_takeover=no_context_takeover)
    for data, cuts in messages:
        compressed = deflater.compress(data)
        assert not compressed.endswith(b"\x00\x00\xff\xff") or data == b""
        assert inflate_message(inflater, compressed, cuts) == data
        if no_context_takeover:
            # Each message stands alone: a fresh inflater reads it too.
            assert inflate_message(Inflater(window_bits=window_bits), compressed, cuts) == data


@FAST
@given(
    data=payloads,
    variant=st.sampled_from(["sync", "empty-final-block", "bfinal", "stored"]),
    cuts=st.lists(st.integers(0, 5000), max_size=3),
    then=payloads,
)
def test_every_compliant_variant_inflates(
    data: bytes, variant: str, cuts: list[int], then: bytes
) -> None:
    inflater = Inflater()
    assert inflate_message(inflater, compress_variant(data, variant), cuts) == data  # type: ignore[arg-type]
    # The inflater is left ready for the next message.
    assert inflate_message(inflater, compress_variant(then, "sync"), []) == then


def test_the_rfc_examples_inflate() -> None:
    # RFC 7692 §7.2.3.1-§7.2.3.6, "Hello" in each form a sender may use.
    examples = [
        bytes.fromhex("f248cdc9c90700"),
        bytes.fromhex("0005 00faff 48656c6c6f 00".replace(" ", "")),
        bytes.fromhex("f348cdc9c9070000"),
        bytes.fromhex("f248050000 00ffff cac9c90700".replace(" ", "")),
    ]
    for payload in examples:
        assert inflate_message(Inflater(), payload, []) == b"Hello"
    inflater = Inflater()
    inflater.reset_message()
    first = inflater.decompress(
        bytes.fromhex("f248cdc9c90700") + b"\x00\x00\xff\xff", final=False, max_size=100
    )
    assert first + inflater.decompress(b"\x00", final=True, max_size=100) == b"Hello"
    # §7.2.3.2: the second message refers back into the first.
    inflater = Inflater()
    assert inflate_message(inflater, bytes.fromhex("f248cdc9c90700"), []) == b"Hello"
    assert inflate_message(inflater, bytes.fromhex("f200110000"), []) == b"Hello"


def test_bfinal_message_keeps_the_context_for_the_next() -> None:
    first = os.urandom(1000)
    one = zlib.compressobj(6, zlib.DEFLATED, -15)
    two = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=first)
    inflater = Inflater()
    assert inflate_message(inflater, one.compress(first) + one.flush(zlib.Z_FINISH), []) == first
    second = two.compress(first) + two.flush(zlib.Z_FINISH) + b"\x00"
    assert len(second) < 100  # it is a back-reference, not the data
    assert inflate_message(inflater, second, []) == first


@pytest.mark.parametrize("window_bits", [8, 9, 12, 15])
@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_websockets_reads_ours_and_we_read_websockets(
    window_bits: int, no_context_takeover: bool
) -> None:
    ours = Deflater(window_bits=window_bits, no_context_takeover=no_context_takeover)
    inflater = Inflater(window_bits=window_bits, no_context_takeover=no_context_takeover)
    theirs = PerMessageDeflate(
        no_context_takeover, no_context_takeover, window_bits, max(window_bits, 9)
    )
    for data in (b"hello " * 300, os.urandom(700), b"", b"hello " * 300):
        frame = Frame(Opcode.BINARY, ours.compress(data), rsv1=True)
        assert theirs.decode(frame).data == data
        if window_bits >= 9:  # websockets cannot compress with a window of 8
            encoded = theirs.encode(Frame(Opcode.BINARY, data))
            assert inflate_message(inflater, bytes(encoded.data), []) == data


# --------------------------------------------------------------------------- the inflater's guards


def test_a_bomb_stops_at_the_cap_without_inflating_it() -> None:
    bomb = deflate_bomb(100 << 20)
    assert len(bomb) < 200_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ProtocolViolation) as caught:
            inflate_message(Inflater(), bomb, [50_000], max_size=1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.violation is Violation.MESSAGE_TOO_LARGE
    assert caught.value.close_code == 1009
    assert time.perf_counter() - started < 1.0
    assert peak < 8 << 20


def test_the_cap_is_exact() -> None:
    payload = Deflater().compress(b"x" * 1000)
    assert inflate_message(Inflater(), payload, [], max_size=1000) == b"x" * 1000
    with pytest.raises(ProtocolViolation, match="more than 999 bytes"):
        inflate_message(Inflater(), payload, [], max_size=999)
    with pytest.raises(ProtocolViolation):
        inflate_message(Inflater(), payload, [], max_size=0)


def test_a_bomb_is_what_it_says() -> None:
    assert inflate_message(Inflater(), deflate_bomb(3_000_000), []) == bytes(3_000_000)
    assert inflate_message(Inflater(), deflate_bomb(0), []) == b""


@pytest.mark.parametrize("window_bits", [8, 9, 10])
def test_a_window_larger_than_agreed_is_caught(window_bits: int) -> None:
    block = os.urandom(2100)  # refers back 2100 bytes: beyond twice a 1 KiB window
    payload = Deflater(window_bits=15).compress(block + block)
    with pytest.raises(ProtocolViolation) as caught:
        inflate_message(Inflater(window_bits=window_bits), payload, [])
    assert caught.value.violation is Violation.WINDOW_TOO_LARGE
    assert caught.value.close_code == 1002
    assert inflate_message(Inflater(window_bits=12), payload, []) == block + block


def test_context_takeover_is_not_assumed_when_declared_off() -> None:
    deflater = Deflater()  # a sender that ignores server_no_context_takeover
    message = os.urandom(500)
    first, second = deflater.compress(message), deflater.compress(message)
    assert len(second) < 50
    shared = Inflater()
    assert inflate_message(shared, first, []) == message
    assert inflate_message(shared, second, []) == message
    fresh = Inflater(no_context_takeover=True)
    assert inflate_message(fresh, first, []) == message
    with pytest.raises(ProtocolViolation, match="earlier message") as caught:
        inflate_message(fresh, second, [])
    assert caught.value.violation is Violation.WINDOW_TOO_LARGE


@pytest.mark.parametrize(
    "payload",
    [b"\xff\xff\xff", b"\x78\x9c\x4b\x04\x00", b"\x07" + bytes(10)],
    ids=["reserved block type", "zlib header", "bad stored length"],
)
def test_garbage_is_bad_compressed_data(payload: bytes) -> None:
    with pytest.raises(ProtocolViolation) as caught:
        inflate_message(Inflater(), payload, [])
    assert caught.value.violation is Violation.BAD_COMPRESSED_DATA
    assert caught.value.close_code == 1007


@FAST
@given(st.binary(max_size=200), st.lists(st.integers(0, 200), max_size=3))
def test_the_inflater_returns_or_raises_its_violations_only(data: bytes, cuts: list[int]) -> None:
    try:
        out = inflate_message(Inflater(window_bits=9), data, cuts, max_size=10_000)
    except ProtocolViolation as exc:
        assert exc.violation in {
            Violation.BAD_COMPRESSED_DATA,
            Violation.WINDOW_TOO_LARGE,
            Violation.MESSAGE_TOO_LARGE,
        }
    else:
        assert len(out) <= 10_000


@pytest.mark.parametrize("bits", [7, 16, 0])
def test_window_bits_out_of_range_are_refused(bits: int) -> None:
    with pytest.raises(ValueError, match="8 to 15"):
        Inflater(window_bits=bits)
    with pytest.raises(ValueError, match="8 to 15"):
        Deflater(window_bits=bits)


def test_unknown_variant() -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        compress_variant(b"", "gzip")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- offers


def test_offers_encode() -> None:
    assert DeflateOffer().encode() == "permessage-deflate"
    assert (
        DeflateOffer(
            server_no_context_takeover=True,
            client_no_context_takeover=True,
            server_max_window_bits=10,
            client_max_window_bits=True,
        ).encode()
        == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10; client_max_window_bits"
    )
    assert (
        DeflateOffer(client_max_window_bits=9).encode()
        == "permessage-deflate; client_max_window_bits=9"
    )
    assert DeflateOffer(client_max_window_bits=False).encode() == "permessage-deflate"
    assert (
        DeflateOffer(extra=(("server_max_window_bits", "010"), ("x", None))).encode()
        == "permessage-deflate; server_max_window_bits=010; x"
    )
    assert (
        build_offer_header([DeflateOffer(server_max_window_bits=10), DeflateOffer()])
        == "permessage-deflate; server_max_window_bits=10, permessage-deflate"
    )


# --------------------------------------------------------------------------- server side


@pytest.mark.parametrize(
    ("header", "element", "params"),
    [
        ("permessage-deflate", "permessage-deflate", DeflateParams()),
        (
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate",
            DeflateParams(),
        ),
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=9; client_max_window_bits=10",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=9; client_max_window_bits=10",
            DeflateParams(True, True, 9, 10),
        ),
        (
            'x-foo, permessage-deflate; server_max_window_bits="12"',
            "permessage-deflate; server_max_window_bits=12",
            DeflateParams(server_max_window_bits=12),
        ),
        (
            "permessage-deflate; server_max_window_bits=8, permessage-deflate; foo, "
            "permessage-deflate; client_max_window_bits=8",
            "permessage-deflate; client_max_window_bits=8",
            DeflateParams(client_max_window_bits=8),
        ),
    ],
)
def test_negotiate_accepts_the_first_valid_offer(
    header: str, element: str, params: DeflateParams
) -> None:
    assert negotiate([header]) == (element, params)


@pytest.mark.parametrize(
    "offer",
    [
        DeflateOffer(extra=(("foo", None),)),
        DeflateOffer(extra=(("foo", "1"),)),
        DeflateOffer(
            server_no_context_takeover=True, extra=(("server_no_context_takeover", None),)
        ),
        DeflateOffer(client_max_window_bits=True, extra=(("client_max_window_bits", None),)),
        DeflateOffer(server_max_window_bits=7),
        DeflateOffer(server_max_window_bits=16),
        DeflateOffer(server_max_window_bits=8),
        DeflateOffer(extra=(("server_max_window_bits", "010"),)),
        DeflateOffer(extra=(("server_max_window_bits", "abc"),)),
        DeflateOffer(extra=(("server_max_window_bits", None),)),
        DeflateOffer(extra=(("server_max_window_bits", "+9"),)),
        DeflateOffer(client_max_window_bits=7),
        DeflateOffer(extra=(("client_max_window_bits", "09"),)),
        DeflateOffer(extra=(("server_no_context_takeover", "1"),)),
        DeflateOffer(extra=(("client_no_context_takeover", "true"),)),
    ],
    ids=lambda offer: offer.encode().removeprefix("permessage-deflate; "),
)
def test_negotiate_declines_invalid_offers(offer: DeflateOffer) -> None:
    assert negotiate([offer.encode()]) is None
    # An acceptable fallback after it is still taken.
    assert negotiate([build_offer_header([offer, DeflateOffer()])]) == (
        "permessage-deflate",
        DeflateParams(),
    )


def test_negotiate_when_disabled_absent_or_malformed() -> None:
    assert negotiate(["permessage-deflate"], enabled=False) is None
    assert negotiate([]) is None
    assert negotiate(["x-webkit-deflate-frame"]) is None
    with pytest.raises(HandshakeViolation, match=r"§9\.1"):
        negotiate(["permessage-deflate;;"])


@FAST
@given(
    offer=st.builds(
        DeflateOffer,
        server_no_context_takeover=st.booleans(),
        client_no_context_takeover=st.booleans(),
        server_max_window_bits=st.none() | st.integers(9, 15),
        client_max_window_bits=st.none() | st.just(True) | st.integers(8, 15),
    )
)
def test_negotiated_answers_pass_the_client_check(offer: DeflateOffer) -> None:
    negotiated = negotiate([offer.encode()])
    assert negotiated is not None
    element, params = negotiated
    assert check_deflate_response([element], [offer]) == (params, [])


# --------------------------------------------------------------------------- client side


@pytest.mark.parametrize(
    ("response", "offers", "params"),
    [
        ([], [DeflateOffer()], None),
        (["x-foo"], [DeflateOffer()], None),
        (["permessage-deflate"], [DeflateOffer()], DeflateParams()),
        (
            ["permessage-deflate; client_no_context_takeover; server_no_context_takeover"],
            [DeflateOffer()],
            DeflateParams(True, True),
        ),
        (
            ["permessage-deflate; server_max_window_bits=10"],
            [DeflateOffer()],
            DeflateParams(server_max_window_bits=10),
        ),
        (
            ["permessage-deflate; server_max_window_bits=9"],
            [DeflateOffer(server_max_window_bits=10)],
            DeflateParams(server_max_window_bits=9),
        ),
        (
            ["permessage-deflate; client_max_window_bits=9"],
            [DeflateOffer(client_max_window_bits=True)],
            DeflateParams(client_max_window_bits=9),
        ),
        (
            ["permessage-deflate"],
            [DeflateOffer(client_max_window_bits=11)],
            DeflateParams(client_max_window_bits=11),
        ),
        (
            ["permessage-deflate; server_max_window_bits=11"],
            [DeflateOffer(server_max_window_bits=10), DeflateOffer()],
            DeflateParams(server_max_window_bits=11),
        ),
        (
            ['Permessage-Deflate; client_max_window_bits="9"'],
            [DeflateOffer(client_max_window_bits=9)],
            DeflateParams(client_max_window_bits=9),
        ),
    ],
)
def test_valid_answers(
    response: list[str], offers: list[DeflateOffer], params: DeflateParams | None
) -> None:
    assert check_deflate_response(response, offers) == (params, [])


@pytest.mark.parametrize(
    ("response", "offers", "named"),
    [
        ("permessage-deflate; foo", [DeflateOffer()], "unknown parameter 'foo'"),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            [DeflateOffer()],
            "more than once",
        ),
        ("permessage-deflate; server_max_window_bits=7", [DeflateOffer()], "8 to 15"),
        ("permessage-deflate; server_max_window_bits=16", [DeflateOffer()], "8 to 15"),
        ("permessage-deflate; server_max_window_bits=010", [DeflateOffer()], "leading zeros"),
        ("permessage-deflate; server_max_window_bits=abc", [DeflateOffer()], "8 to 15"),
        ("permessage-deflate; server_max_window_bits", [DeflateOffer()], "needs a value"),
        (
            "permessage-deflate; client_max_window_bits",
            [DeflateOffer(client_max_window_bits=True)],
            "needs a value",
        ),
        ("permessage-deflate; server_no_context_takeover=1", [DeflateOffer()], "takes no value"),
        ("permessage-deflate; client_no_context_takeover=true", [DeflateOffer()], "takes no value"),
        (
            "permessage-deflate; server_max_window_bits=12",
            [DeflateOffer(server_max_window_bits=10)],
            "above the offered 10",
        ),
        ("permessage-deflate", [DeflateOffer(server_max_window_bits=10)], "must include it"),
        ("permessage-deflate; client_max_window_bits=10", [DeflateOffer()], "not in the offer"),
        (
            "permessage-deflate; client_max_window_bits=12",
            [DeflateOffer(client_max_window_bits=10)],
            "above the offered 10",
        ),
        (
            "permessage-deflate",
            [DeflateOffer(server_no_context_takeover=True)],
            "server_no_context_takeover",
        ),
        ("permessage-deflate, permessage-deflate", [DeflateOffer()], "2 times"),
        ("permessage-deflate", [], "not offered"),
        ("permessage-deflate;", [DeflateOffer()], "§9.1"),
        ("permessage-deflate", [DeflateOffer(extra=(("foo", None),))], "must decline"),
        ("permessage-deflate", [DeflateOffer(extra=(("q", '"a b"'),))], "must decline"),
        (
            "permessage-deflate",
            [DeflateOffer(server_max_window_bits=9), DeflateOffer(server_no_context_takeover=True)],
            "fits no offer",
        ),
    ],
)
def test_each_bad_answer_is_caught(response: str, offers: list[DeflateOffer], named: str) -> None:
    params, problems = check_deflate_response([response], offers)
    assert problems, "the bad answer went unnoticed"
    assert any(named in problem for problem in problems), problems
    assert all(problem.startswith("RFC ") for problem in problems)
    if "must decline" not in named and "2 times" not in named:
        assert params is None


def test_an_offered_client_no_context_takeover_holds_when_the_response_omits_it() -> None:
    offer = DeflateOffer(client_no_context_takeover=True)
    params, problems = check_deflate_response(["permessage-deflate"], [offer])
    assert problems == []
    assert params is not None and params.client_no_context_takeover
