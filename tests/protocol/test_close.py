"""Close codes and close payloads (RFC 6455 §5.5.1, §7.4, IANA registry)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsspec.protocol import (
    CLOSE_CODE_NAMES,
    CloseCodeKind,
    CloseInfo,
    ProtocolViolation,
    Violation,
    classify_close_code,
    encode_close_payload,
    is_valid_on_wire,
    parse_close_payload,
)
from wsspec.protocol.close import is_beyond_rfc6455_ranges, is_registered_after_rfc6455

VALID, RESERVED, INVALID = CloseCodeKind.VALID, CloseCodeKind.RESERVED, CloseCodeKind.INVALID

# The whole 16-bit space, written out range by range from RFC 6455 §7.4 and
# the IANA "WebSocket Close Code Number Registry".
EXPECTED_RANGES = [
    (0, 999, INVALID),
    (1000, 1003, VALID),
    (1004, 1006, RESERVED),
    (1007, 1014, VALID),
    (1015, 2999, RESERVED),
    (3000, 4999, VALID),
    (5000, 65535, INVALID),
]


def test_ranges_cover_every_code_once():
    covered = [code for low, high, _ in EXPECTED_RANGES for code in range(low, high + 1)]
    assert covered == list(range(65536))


def test_every_code_is_classified_as_listed():
    for low, high, kind in EXPECTED_RANGES:
        for code in range(low, high + 1):
            assert classify_close_code(code) is kind, code
            assert is_valid_on_wire(code) is (kind is VALID), code


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (0, INVALID), (999, INVALID), (1000, VALID), (1001, VALID), (1002, VALID),
        (1003, VALID), (1004, RESERVED), (1005, RESERVED), (1006, RESERVED),
        (1007, VALID), (1008, VALID), (1009, VALID), (1010, VALID), (1011, VALID),
        (1012, VALID), (1013, VALID), (1014, VALID), (1015, RESERVED), (1016, RESERVED),
        (2000, RESERVED), (2999, RESERVED), (3000, VALID), (3999, VALID), (4000, VALID),
        (4999, VALID), (5000, INVALID), (65535, INVALID),
    ],
)  # fmt: skip
def test_spot_checks(code, kind):
    assert classify_close_code(code) is kind


@pytest.mark.parametrize("code", [-1, 65536, 2**32])
def test_codes_outside_16_bits(code):
    with pytest.raises(ValueError):
        classify_close_code(code)
    assert not is_valid_on_wire(code)


def test_codes_read_two_ways():
    later = [code for code in range(65536) if is_registered_after_rfc6455(code)]
    assert later == [1012, 1013, 1014]
    assert all(classify_close_code(code) is VALID for code in later)
    beyond = [code for code in range(65536) if is_beyond_rfc6455_ranges(code)]
    assert beyond == list(range(5000, 65536))
    assert all(classify_close_code(code) is INVALID for code in beyond)


def test_names_cover_the_registered_codes():
    assert sorted(CLOSE_CODE_NAMES) == list(range(1000, 1016))
    assert CLOSE_CODE_NAMES[1000] == "Normal Closure"
    assert CLOSE_CODE_NAMES[1014] == "Bad Gateway"


@pytest.mark.parametrize(
    ("code", "reason", "payload"),
    [
        (None, b"", b""),
        (None, "", b""),
        (1000, b"", b"\x03\xe8"),
        (1001, "bye", b"\x03\xe9bye"),
        (1000, "é", b"\x03\xe8\xc3\xa9"),
        (1000, b"\xff", b"\x03\xe8\xff"),  # raw bytes: invalid UTF-8 on purpose
        (0, b"", b"\x00\x00"),
        (65535, b"", b"\xff\xff"),
        (1005, b"", b"\x03\xed"),  # not validated
        (1000, "x" * 200, b"\x03\xe8" + b"x" * 200),  # nor the length
    ],
)
def test_encode_close_payload(code, reason, payload):
    assert encode_close_payload(code, reason) == payload


@pytest.mark.parametrize(("code", "reason"), [(None, "bye"), (None, b"x"), (-1, ""), (65536, "")])
def test_encode_close_payload_refuses_what_cannot_be_written(code, reason):
    with pytest.raises(ValueError):
        encode_close_payload(code, reason)


@pytest.mark.parametrize(
    ("payload", "info"),
    [
        (b"", CloseInfo(None, "")),
        (b"\x03\xe8", CloseInfo(1000, "")),
        (b"\x03\xe8ok", CloseInfo(1000, "ok")),
        (b"\x0b\xb8\xe2\x82\xac", CloseInfo(3000, "€")),
        (b"\x0f\xa0" + b"a" * 123, CloseInfo(4000, "a" * 123)),
    ],
)
def test_parse_close_payload(payload, info):
    assert parse_close_payload(payload) == info


@pytest.mark.parametrize(
    ("payload", "violation"),
    [
        (b"\x03", Violation.CLOSE_PAYLOAD_TOO_SHORT),
        (b"\x03\xe8" + b"a" * 124, Violation.CONTROL_TOO_LONG),
        (b"\x00\x00", Violation.INVALID_CLOSE_CODE),
        (b"\x03\xe7", Violation.INVALID_CLOSE_CODE),  # 999
        (b"\x03\xec", Violation.INVALID_CLOSE_CODE),  # 1004
        (b"\x03\xed", Violation.INVALID_CLOSE_CODE),  # 1005
        (b"\x03\xee", Violation.INVALID_CLOSE_CODE),  # 1006
        (b"\x03\xf7", Violation.INVALID_CLOSE_CODE),  # 1015
        (b"\x03\xf8", Violation.INVALID_CLOSE_CODE),  # 1016
        (b"\x0b\xb7", Violation.INVALID_CLOSE_CODE),  # 2999
        (b"\x13\x88", Violation.INVALID_CLOSE_CODE),  # 5000
        (b"\xff\xff", Violation.INVALID_CLOSE_CODE),
        (b"\x03\xe8\xff", Violation.INVALID_UTF8),
        (b"\x03\xe8ok\xc3", Violation.INVALID_UTF8),  # reason cut inside a character
        (b"\x03\xe8\xed\xa0\x80", Violation.INVALID_UTF8),  # a surrogate
    ],
)
def test_parse_close_payload_violations(payload, violation):
    with pytest.raises(ProtocolViolation) as caught:
        parse_close_payload(payload)
    assert caught.value.violation is violation


@given(
    code=st.sampled_from([c for c in range(65536) if is_valid_on_wire(c)]),
    reason=st.text(max_size=40).filter(lambda text: len(text.encode()) <= 123),
)
def test_encode_then_parse(code, reason):
    assert parse_close_payload(encode_close_payload(code, reason)) == CloseInfo(code, reason)
