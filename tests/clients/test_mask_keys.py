"""The judgement of masking keys: random keys pass; each kind of predictable keys is named."""

from __future__ import annotations

import os

import pytest
from wsspec.conformance.clients.test_masking import KEY_FRAMES, judge_keys


def _keys(numbers: list[int]) -> list[bytes]:
    return [(n % 2**32).to_bytes(4, "big") for n in numbers]


def test_random_keys_pass() -> None:
    for _ in range(50):
        assert judge_keys([os.urandom(4) for _ in range(KEY_FRAMES)]) == []


@pytest.mark.parametrize(("keys", "named"), [
    (_keys([0] * KEY_FRAMES), "keys are zero"),
    (_keys([0x12345678] * KEY_FRAMES), "repeat an earlier one"),
    (_keys([0xFFFFFFF0 + 7 * n for n in range(KEY_FRAMES)]), "a counter"),
    ([os.urandom(1) + b"\x00\x00\x00" for _ in range(KEY_FRAMES)], "never change"),
    ([os.urandom(3) + b"\xff" for _ in range(KEY_FRAMES)], "never change"),
    (_keys([(1 << (n % 32)) | (1 << ((n + 5) % 32)) for n in range(KEY_FRAMES)]),
     "key bits are set"),
])
def test_predictable_keys_are_named(keys: list[bytes], named: str) -> None:
    problems = judge_keys(keys)
    assert any(named in problem for problem in problems), problems
