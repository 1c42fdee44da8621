"""UTF-8 sequences for the text-message cases (RFC 6455 §8.1, RFC 3629 §3-4; Autobahn 6.5-6.23).

The sequences come from Markus Kuhn's "UTF-8 decoder capability and stress
test" as Autobahn|Testsuite sends them, one row per Autobahn case: each row
carries its Autobahn id ``6.g.n`` (group ``g``, ``n``-th row of the group)
and says whether the bytes are well-formed UTF-8 by RFC 3629. The validity
flags are written by hand from RFC 3629, not computed: the project's own test
``tests/test_utf8_table.py`` checks each one against Python's strict decoder,
so a row cannot claim the wrong answer.

Two facts the table leans on: non-characters (U+FFFE, U+FFFF, U+nFFFE ...)
are well-formed UTF-8 and must be accepted (RFC 3629 forbids only surrogates,
overlong forms and code points above U+10FFFF); a text message that ends in
the middle of a sequence is not valid UTF-8, so every strict prefix of a
multi-byte character is an invalid message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["GROUPS", "KOSME", "SEQUENCES", "Utf8Group", "Utf8Sequence"]

#: "κόσμε" (Greek "cosmos"), the test text of the stress test: κ U+03BA, ό U+1F79
#: (three bytes; not the two-byte U+03CC that NFC text editors write), σ U+03C3,
#: μ U+03BC, ε U+03B5.
KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"


@dataclass(frozen=True)
class Utf8Sequence:
    """One payload of a text message, and whether it is well-formed UTF-8.

    ``group`` and ``index`` name the row (``overlong-ascii``, 3), ``autobahn`` is
    its Autobahn case (``6.17.3``), ``kind`` the group's title in words.
    """

    group: str
    index: int
    payload: bytes
    valid: bool
    autobahn: str
    kind: str

    @property
    def id(self) -> str:
        """``group.index``, e.g. ``overlong-ascii.3``: the tail of the case id."""
        return f"{self.group}.{self.index}"

    @property
    def hex(self) -> str:
        """The payload in hex, shortened past 24 bytes."""
        shown = self.payload[:24].hex(" ")
        return shown + (" …" if len(self.payload) > 24 else "")

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Utf8Group:
    """A group of sequences: Autobahn's sub-section ``6.number``."""

    number: int
    slug: str
    title: str
    rows: tuple[tuple[bytes, bool], ...]

    def sequences(self) -> Iterator[Utf8Sequence]:
        for index, (payload, valid) in enumerate(self.rows, start=1):
            yield Utf8Sequence(self.slug, index, payload, valid, f"6.{self.number}.{index}",
                               self.title)


def _valid(*payloads: bytes) -> tuple[tuple[bytes, bool], ...]:
    return tuple((p, True) for p in payloads)


def _invalid(*payloads: bytes) -> tuple[tuple[bytes, bool], ...]:
    return tuple((p, False) for p in payloads)


def _spaced(first: int, stop: int) -> bytes:
    """Each byte of ``first``..``stop - 1`` followed by a space."""
    return b"".join(bytes((b, 0x20)) for b in range(first, stop))


def _noncharacters() -> Iterable[bytes]:
    """U+FFFE, U+FFFF, then U+nFFFE and U+nFFFF for planes 1 to 16."""
    yield b"\xef\xbf\xbe"
    yield b"\xef\xbf\xbf"
    for plane in range(1, 17):
        for last in (0xFFFE, 0xFFFF):
            yield chr(plane << 16 | last).encode()


_MISSING_LAST_BYTE = (
    # two- to six-byte forms, lowest then highest lead byte, last byte left out
    b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
    b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf",
)

GROUPS: tuple[Utf8Group, ...] = (
    Utf8Group(5, "valid-text", "well-formed text with 1- to 4-byte characters", _valid(
        b"hello$world",                  # U+0024
        b"hello\xc2\xa2world",           # U+00A2
        b"hello\xe2\x82\xacworld",       # U+20AC
        b"hello\xf0\xa4\xad\xa2world",   # U+24B62
        KOSME,
    )),
    Utf8Group(6, "kosme-prefix", "a prefix of 'κόσμε', valid only when cut between characters", (
        (KOSME[:1], False),
        (KOSME[:2], True),   # κ
        (KOSME[:3], False),
        (KOSME[:4], False),
        (KOSME[:5], True),   # κό
        (KOSME[:6], False),
        (KOSME[:7], True),   # κόσ
        (KOSME[:8], False),
        (KOSME[:9], True),   # κόσμ
        (KOSME[:10], False),
        (KOSME[:11], True),  # κόσμε
    )),
    Utf8Group(7, "first-of-length", "the first code point of each length", _valid(
        b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80",
    )),
    Utf8Group(8, "first-of-length-5-6", "5- and 6-byte forms (beyond U+10FFFF)", _invalid(
        b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80",
    )),
    Utf8Group(9, "last-of-length", "the last code point of each length", _valid(
        b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf",
    )),
    Utf8Group(10, "last-of-length-4-6", "the last 4-, 5- and 6-byte forms (beyond U+10FFFF)",
              _invalid(b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf")),
    Utf8Group(11, "boundary", "code points next to the surrogates and to U+10FFFF", (
        (b"\xed\x9f\xbf", True),       # U+D7FF, just below the surrogates
        (b"\xee\x80\x80", True),       # U+E000, just above them
        (b"\xef\xbf\xbd", True),       # U+FFFD
        (b"\xf4\x8f\xbf\xbf", True),   # U+10FFFF, the last code point
        (b"\xf4\x90\x80\x80", False),  # U+110000, beyond it
    )),
    Utf8Group(12, "unexpected-continuation", "continuation bytes without a lead byte", _invalid(
        b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf",
        b"\x80\xbf\x80\xbf\x80", b"\x80\xbf\x80\xbf\x80\xbf",
        bytes(range(0x80, 0xBF)),  # 80 to be, as Autobahn sends it
    )),
    Utf8Group(13, "lonely-start", "lead bytes each followed by a space", _invalid(
        # each block up to its last byte but one, as Autobahn sends them
        _spaced(0xC0, 0xDF), _spaced(0xE0, 0xEF), _spaced(0xF0, 0xF7),
        _spaced(0xF8, 0xFB), _spaced(0xFC, 0xFD),
    )),
    Utf8Group(14, "missing-last-byte", "sequences with their last continuation byte missing",
              _invalid(*_MISSING_LAST_BYTE)),
    Utf8Group(15, "incomplete-concatenated", "the ten incomplete sequences back to back",
              _invalid(b"".join(_MISSING_LAST_BYTE))),
    Utf8Group(16, "impossible-bytes", "bytes that never appear in UTF-8 (fe, ff)",
              _invalid(b"\xfe", b"\xff", b"\xfe\xfe\xff\xff")),
    Utf8Group(17, "overlong-ascii", "'/' (U+002F) in overlong 2- to 6-byte forms", _invalid(
        b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
        b"\xfc\x80\x80\x80\x80\xaf",
    )),
    Utf8Group(18, "overlong-maximum", "the highest code point of each length, one length too long",
              _invalid(b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf",
                       b"\xf8\x87\xbf\xbf\xbf", b"\xfc\x83\xbf\xbf\xbf\xbf")),
    Utf8Group(19, "overlong-nul", "NUL (U+0000) in overlong 2- to 6-byte forms", _invalid(
        b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80",
        b"\xfc\x80\x80\x80\x80\x80",
    )),
    Utf8Group(20, "single-surrogate", "a UTF-16 surrogate encoded alone", _invalid(
        b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf",
        b"\xed\xb0\x80", b"\xed\xbe\x80", b"\xed\xbf\xbf",
    )),
    Utf8Group(21, "paired-surrogates", "a UTF-16 surrogate pair encoded as two characters",
              _invalid(*(high + low
                         for high in (b"\xed\xa0\x80", b"\xed\xad\xbf",
                                      b"\xed\xae\x80", b"\xed\xaf\xbf")
                         for low in (b"\xed\xb0\x80", b"\xed\xbf\xbf")))),
    Utf8Group(22, "noncharacter", "a non-character code point (well-formed UTF-8)",
              _valid(*_noncharacters())),
    Utf8Group(23, "specials", "the Specials block U+FFF9 to U+FFFF (well-formed UTF-8)",
              _valid(*(chr(c).encode() for c in range(0xFFF9, 0x10000)))),
)

#: every row, in Autobahn order (6.5.1 to 6.23.7).
SEQUENCES: tuple[Utf8Sequence, ...] = tuple(s for g in GROUPS for s in g.sequences())
