"""UTF-8 validation: agrees with Python's strict decoder, and fails fast."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsspec.protocol import Utf8Validator, is_valid_utf8

# Well-formed UTF-8 byte sequences, Unicode 15 Table 3-7: for each range of
# lead bytes, the ranges its continuation bytes must fall in. An oracle
# written from the standard, independent of the decoder under test.
WELL_FORMED = [
    ((0x00, 0x7F),),
    ((0xC2, 0xDF), (0x80, 0xBF)),
    ((0xE0, 0xE0), (0xA0, 0xBF), (0x80, 0xBF)),
    ((0xE1, 0xEC), (0x80, 0xBF), (0x80, 0xBF)),
    ((0xED, 0xED), (0x80, 0x9F), (0x80, 0xBF)),
    ((0xEE, 0xEF), (0x80, 0xBF), (0x80, 0xBF)),
    ((0xF0, 0xF0), (0x90, 0xBF), (0x80, 0xBF), (0x80, 0xBF)),
    ((0xF1, 0xF3), (0x80, 0xBF), (0x80, 0xBF), (0x80, 0xBF)),
    ((0xF4, 0xF4), (0x80, 0x8F), (0x80, 0xBF), (0x80, 0xBF)),
]


def can_start_utf8(data: bytes) -> tuple[bool, bool]:
    """(some extension of data is well formed, data itself is well formed)."""
    i = 0
    while i < len(data):
        row = next((r for r in WELL_FORMED if r[0][0] <= data[i] <= r[0][1]), None)
        if row is None:
            return False, False
        for offset, (low, high) in enumerate(row[1:], start=1):
            if i + offset == len(data):
                return True, False  # cut short, every byte so far in range
            if not low <= data[i + offset] <= high:
                return False, False
        i += len(row)
    return True, True


def test_oracle_agrees_with_the_decoder_on_complete_input():
    for first in range(256):
        for second in range(256):
            data = bytes((first, second))
            assert can_start_utf8(data)[1] == is_valid_utf8(data), data


def test_every_one_and_two_byte_input():
    for first in range(256):
        for second in [None, *range(256)]:
            data = bytes([first] if second is None else [first, second])
            validator = Utf8Validator()
            possible, complete = can_start_utf8(data)
            assert validator.feed(data) is possible, data
            assert validator.valid is possible
            assert validator.complete is complete, data


@pytest.mark.parametrize(
    "data",
    [
        b"\xed\xa0", b"\xed\xbf",  # surrogates, which Python's decoder only rejects later
        b"\xf4\x90", b"\xe0\x80", b"\xe0\x9f", b"\xf0\x80", b"\xf0\x8f",  # overlong / too big
        b"\xc0", b"\xc1", b"\xf5", b"\xff", b"\x80", b"\xbf", b"a\xc3a",
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80",  # Autobahn 6.4.x style
    ],
)  # fmt: skip
def test_fails_fast(data):
    validator = Utf8Validator()
    assert validator.feed(data) is False
    assert validator.feed(b"a") is False  # stays failed
    assert not validator.valid and not validator.complete


@pytest.mark.parametrize("data", [b"\xed\x9f", b"\xf4\x8f", b"\xe0\xa0", b"\xf0\x90", b"\xc2"])
def test_valid_prefixes_stay_pending(data):
    validator = Utf8Validator()
    assert validator.feed(data) is True
    assert validator.valid and not validator.complete


def test_reset():
    validator = Utf8Validator()
    validator.feed(b"\xff")
    validator.reset()
    assert validator.valid and validator.complete
    validator.feed(b"\xe2\x82")
    validator.reset()
    assert validator.complete


def test_empty_input():
    validator = Utf8Validator()
    assert validator.feed(b"") is True
    assert validator.complete
    assert is_valid_utf8(b"")


utf8ish = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=20).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.lists(
        st.sampled_from([b"a", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xed\xa0\x80",
                         b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\x80", b"\xff", b"\xe0\x80"]),
        max_size=8,
    ).map(b"".join),
)  # fmt: skip


@given(utf8ish)
def test_agrees_with_decode(data):
    validator = Utf8Validator()
    validator.feed(data)
    assert validator.complete is is_valid_utf8(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert not is_valid_utf8(data)
    else:
        assert is_valid_utf8(data)


@given(utf8ish)
def test_every_prefix_byte_by_byte(data):
    validator = Utf8Validator()
    decoder = codecs.getincrementaldecoder("utf-8")()
    for end in range(1, len(data) + 1):
        prefix = data[:end]
        still_valid = validator.feed(data[end - 1 : end])
        possible, complete = can_start_utf8(prefix)
        # Fail-fast: False exactly when no continuation can make it valid.
        assert still_valid is possible, prefix
        assert validator.complete is complete
        if still_valid:
            decoder.decode(data[end - 1 : end])  # the prefix decodes so far
        else:
            break


@given(st.data())
def test_any_chopping_gives_the_same_answer(data):
    payload = data.draw(utf8ish)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(payload)), max_size=6)))
    validator = Utf8Validator()
    results = [
        validator.feed(payload[a:b]) for a, b in zip([0, *cuts], [*cuts, len(payload)], strict=True)
    ]
    assert results[-1] is can_start_utf8(payload)[0]
    assert validator.complete is is_valid_utf8(payload)
