"""Masking of frame payloads (RFC 6455 §5.3).

Masking XORs the payload with a 4-byte key repeated over its length; the same
operation masks and unmasks. websockets ships a C implementation of it; when
that extension is importable it does the work, otherwise a pure-Python
fallback does, at a fraction of the speed but still far from byte-at-a-time.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["HAS_SPEEDUP", "apply_mask", "apply_mask_pure"]


def apply_mask_pure(data: bytes | bytearray | memoryview, mask: bytes) -> bytes:
    """Return ``data`` XORed with ``mask`` repeated over its length.

    ``data`` is any bytes-like object of any length, including 0; ``mask`` must be exactly 4 bytes
    (``ValueError`` otherwise). Pure Python, for when the C speed-up is
    missing: one big-integer XOR over the whole payload, which CPython runs
    in linear time in C, instead of a loop over bytes.
    """
    if len(mask) != 4:
        raise ValueError(f"mask must be 4 bytes, got {len(mask)}")
    size = len(data)
    if not size:
        return b""
    # The byte order only has to be the same on both sides of the XOR; little
    # endian is the native order of every common CPU, so the conversions are
    # plain copies there.
    key = bytes(mask) * (size // 4) + bytes(mask[: size % 4])
    value = int.from_bytes(data, "little") ^ int.from_bytes(key, "little")
    return value.to_bytes(size, "little")


_Masker = Callable[[bytes | bytearray | memoryview, bytes], bytes]

try:
    from websockets.speedups import apply_mask as _speedup_apply_mask
except ImportError:  # pragma: no cover - depends on how websockets was built
    HAS_SPEEDUP: bool = False
    _apply_mask: _Masker = apply_mask_pure
else:
    HAS_SPEEDUP = True
    _apply_mask = _speedup_apply_mask


def apply_mask(data: bytes | bytearray | memoryview, mask: bytes) -> bytes:
    """Return ``data`` XORed with ``mask`` repeated over its length.

    Same contract as :func:`apply_mask_pure`; runs websockets' C
    implementation when :data:`HAS_SPEEDUP` is true.
    """
    return _apply_mask(data, mask)
