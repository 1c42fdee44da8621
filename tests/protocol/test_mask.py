"""Masking: both implementations against the definition of RFC 6455 §5.3."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsspec.protocol import HAS_SPEEDUP, apply_mask, apply_mask_pure

MASKERS = [pytest.param(apply_mask, id="apply_mask"), pytest.param(apply_mask_pure, id="pure")]


def masked_by_definition(data: bytes, mask: bytes) -> bytes:
    # RFC 6455 §5.3: octet i of the result is octet i of the data XOR octet
    # i MOD 4 of the key.
    return bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))


@pytest.mark.parametrize("masker", MASKERS)
@pytest.mark.parametrize("size", [*range(10), 125, 126, 1000, 1001, 1002, 1003, 65537])
def test_every_length_matches_the_definition(masker, size):
    data = bytes(i * 7 % 256 for i in range(size))
    mask = b"\x37\xfa\x21\x3d"
    assert masker(data, mask) == masked_by_definition(data, mask)


@pytest.mark.parametrize("masker", MASKERS)
@given(data=st.binary(max_size=300), mask=st.binary(min_size=4, max_size=4))
def test_arbitrary_data_and_keys(masker, data, mask):
    masked = masker(data, mask)
    assert masked == masked_by_definition(data, mask)
    assert masker(masked, mask) == data  # masking twice gives the data back


@pytest.mark.parametrize("masker", MASKERS)
def test_rfc_example(masker):
    # RFC 6455 §5.7, "A single-frame masked text message".
    assert masker(b"Hello", b"\x37\xfa\x21\x3d") == bytes.fromhex("7f9f4d5158")


@pytest.mark.parametrize("masker", MASKERS)
def test_result_is_bytes_for_any_bytes_like_input(masker):
    mask = b"\x01\x02\x03\x04"
    expected = masked_by_definition(b"abcdefg", mask)
    assert masker(bytearray(b"abcdefg"), mask) == expected
    assert masker(memoryview(b"xxabcdefg")[2:], mask) == expected
    assert type(masker(b"abcdefg", mask)) is bytes
    assert masker(b"", mask) == b""


@pytest.mark.parametrize("masker", MASKERS)
@pytest.mark.parametrize("mask", [b"", b"\x01", b"\x01\x02\x03", b"\x01\x02\x03\x04\x05"])
def test_mask_must_be_four_bytes(masker, mask):
    with pytest.raises(ValueError):
        masker(b"data", mask)


def test_speedup_is_used_when_present():
    try:
        from websockets.speedups import apply_mask as speedup
    except ImportError:  # pragma: no cover - depends on the websockets build
        assert HAS_SPEEDUP is False
    else:
        assert HAS_SPEEDUP is True
        data = bytes(range(256)) * 3
        assert apply_mask(data, b"abcd") == speedup(data, b"abcd")
