"""The UTF-8 table of the conformance cases cannot claim a wrong answer."""

from __future__ import annotations

import pytest
from wsspec.conformance._utf8_sequences import GROUPS, KOSME, SEQUENCES, Utf8Sequence
from wsspec.protocol.utf8 import Utf8Validator, is_valid_utf8


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("row", SEQUENCES, ids=str)
def test_each_row_says_what_the_decoders_say(row: Utf8Sequence) -> None:
    assert row.valid is _decodes(row.payload), row.autobahn
    assert row.valid is is_valid_utf8(row.payload), row.autobahn


@pytest.mark.parametrize("row", SEQUENCES, ids=str)
def test_the_incremental_validator_agrees_byte_by_byte(row: Utf8Sequence) -> None:
    validator = Utf8Validator()
    for i in range(len(row.payload)):
        validator.feed(row.payload[i:i + 1])
    assert validator.complete is row.valid, row.autobahn


def test_rows_carry_autobahn_ids_6_5_1_to_6_23_7_in_order() -> None:
    expected = [f"6.{g.number}.{n}" for g in GROUPS for n in range(1, len(g.rows) + 1)]
    assert [row.autobahn for row in SEQUENCES] == expected
    assert [g.number for g in GROUPS] == list(range(5, 24))
    assert len(SEQUENCES) == 132
    assert len({row.id for row in SEQUENCES}) == len(SEQUENCES)


def test_kosme_is_the_stress_test_spelling() -> None:
    # ό is U+1F79 (three bytes), as in the stress test, not the NFC form U+03CC
    assert KOSME.decode() == "\u03ba\u1f79\u03c3\u03bc\u03b5"


def test_non_characters_are_valid_and_surrogates_are_not() -> None:
    kinds = {row.group: row for row in SEQUENCES}
    assert kinds["noncharacter"].valid
    assert not kinds["single-surrogate"].valid
    noncharacters = [row.payload.decode() for row in SEQUENCES if row.group == "noncharacter"]
    assert len(noncharacters) == 34
    assert all(ord(c) & 0xFFFE == 0xFFFE for c in noncharacters)
