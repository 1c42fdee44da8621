"""Incremental, fail-fast UTF-8 validation (RFC 6455 §8.1, RFC 3629).

An endpoint must fail the connection on invalid UTF-8 in a text message "as
soon as" it sees it, not after the message is complete: Autobahn's 6.x cases
check exactly that, with text fragmented inside code points. Python's
incremental UTF-8 decoder does the checking, with one gap filled here: it
holds ``ED A0``–``ED BF`` (the start of an encoded surrogate, which no
continuation can make valid) as a pending sequence instead of rejecting it.
"""

from __future__ import annotations

import codecs

__all__ = ["Utf8Validator", "is_valid_utf8"]

_Decoder = codecs.getincrementaldecoder("utf-8")


class Utf8Validator:
    """Checks a stream of bytes, piece by piece, for well-formed UTF-8.

    Agrees exactly with ``bytes.decode("utf-8")`` (strict): overlong forms,
    surrogates and code points above U+10FFFF are invalid. Fail-fast:
    :meth:`feed` returns False as soon as the bytes so far cannot be the
    start of valid UTF-8, whatever follows.
    """

    def __init__(self) -> None:
        self._decoder = _Decoder()
        self._valid = True

    def feed(self, data: bytes) -> bool:
        """Add bytes; True while everything so far can still start valid UTF-8.

        Once False, stays False until :meth:`reset`.
        """
        if not self._valid:
            return False
        try:
            self._decoder.decode(data)
        except UnicodeDecodeError:
            self._valid = False
            return False
        pending = self._decoder.getstate()[0]
        if len(pending) == 2 and pending[0] == 0xED and pending[1] >= 0xA0:
            self._valid = False
        return self._valid

    @property
    def valid(self) -> bool:
        """True while the bytes fed so far can still start valid UTF-8."""
        return self._valid

    @property
    def complete(self) -> bool:
        """True iff the bytes fed so far are valid UTF-8 with no sequence cut short."""
        return self._valid and not self._decoder.getstate()[0]

    def copy(self) -> Utf8Validator:
        """An independent validator in the same state (to look ahead without committing)."""
        twin = Utf8Validator()
        twin._decoder.setstate(self._decoder.getstate())
        twin._valid = self._valid
        return twin

    def reset(self) -> None:
        """Forget everything fed, to check a new stream."""
        self._decoder.reset()
        self._valid = True


def is_valid_utf8(data: bytes) -> bool:
    """True iff ``data`` is well-formed UTF-8 (as ``bytes.decode("utf-8")`` decides)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
