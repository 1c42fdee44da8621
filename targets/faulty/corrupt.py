"""Corrupting a payload while keeping it well-formed: wrong, not malformed."""

from __future__ import annotations

__all__ = ["flip_last_bit"]


def flip_last_bit(data: bytes) -> bytes:
    """``data`` with the low bit of its last byte flipped (``b"?"`` for nothing).

    XOR 1 on the last byte keeps valid UTF-8 valid (every range boundary of
    UTF-8 is even), so a corrupted text echo is wrong, not malformed.
    """
    if not data:
        return b"?"
    return data[:-1] + bytes((data[-1] ^ 0x01,))
