"""Payloads of the permessage-deflate traffic cases (Autobahn|Testsuite 12.x, 13.x).

Autobahn compresses slices of five files of different compressibility: a JSON
document and an HTML page (sent as text), a bitmap picture, a German play and a
PDF (sent as binary). The suite ships no such files; each corpus here is made
from a seeded generator with the same character: markup and records full of
repeated keys and tags, prose with umlauts, a smooth grey-scale picture with
noise, and a PDF whose streams are already compressed (nearly random). The
text corpora are ASCII, so any slice of them is valid UTF-8.

A case takes its messages one after the other from a corpus, wrapping around at
its end, as Autobahn does.
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

KiB = 1024

#: bytes of each corpus: room for a few messages of the largest size (128 KiB).
CORPUS_SIZE = 256 * KiB


@dataclass(frozen=True)
class Corpus:
    """One data set: its id in case ids, Autobahn's 12.x subsection, how it is sent."""

    name: str
    autobahn: int
    description: str
    binary: bool


CORPORA = (
    Corpus("json", 1, "JSON records", binary=False),
    Corpus("bitmap", 2, "a 512x512 grey-scale bitmap", binary=True),
    Corpus("prose", 3, "German verse (UTF-8, sent as binary)", binary=True),
    Corpus("html", 4, "an HTML page", binary=False),
    Corpus("pdf", 5, "a PDF of compressed streams", binary=True),
)

_LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
    "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure "
    "reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
    "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim est"
)
_WORDS = _LOREM.split()

_VERSE = (
    "Nacht Licht Herz Welt Geist Traum Stunde Himmel Erde Feuer Wasser Liebe Schmerz "
    "Freude Glück Sehnsucht Zauber Wald Quelle Stimme Seele Leben Zeit Morgen Abend "
    "schweben glühen träumen rufen flüstern wandern suchen finden fühlen wissen "
    "größer schöner süß müde kühl früh spät über für während täglich ewig "
    "und oder doch nicht nie wohl noch schon mir dir uns euch sich mein dein"
)
_GERMAN = _VERSE.split()

_SPEAKERS = ("DER DICHTER", "DIE STIMME", "DER WANDERER", "DER CHOR", "DIE HEXE")


def _json(rng: random.Random) -> bytes:
    records: list[dict[str, object]] = []
    size = 0
    while size < CORPUS_SIZE:
        first, last = rng.choice(_WORDS).title(), rng.choice(_WORDS).title()
        record = {
            "id": len(records),
            "guid": f"{rng.getrandbits(64):016x}-{rng.getrandbits(32):08x}",
            "isActive": rng.random() < 0.5,
            "balance": f"${rng.randint(1000, 99999) / 100:,.2f}",
            "age": rng.randint(18, 90),
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@example.org",
            "registered": f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-"
                          f"{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00",
            "latitude": round(rng.uniform(-90, 90), 6),
            "longitude": round(rng.uniform(-180, 180), 6),
            "tags": rng.sample(_WORDS, 5),
            "friends": [{"id": i, "name": rng.choice(_WORDS).title()} for i in range(3)],
            "greeting": " ".join(rng.choices(_WORDS, k=12)),
        }
        records.append(record)
        size += 600
    return json.dumps(records, indent=2).encode("ascii")


def _html(rng: random.Random) -> bytes:
    parts = ["<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<title>Archive</title>\n<link rel=\"stylesheet\" href=\"/static/site.css\">\n"
             "</head>\n<body>\n<nav class=\"top\"><ul>"]
    parts += [f"<li><a href=\"/{w}/\">{w.title()}</a></li>" for w in _WORDS[:12]]
    parts.append("</ul></nav>\n<main>\n")
    article = 0
    while sum(map(len, parts)) < CORPUS_SIZE:
        article += 1
        parts.append(f"<article id=\"post-{article}\" class=\"post\">\n"
                     f"  <h2 class=\"title\"><a href=\"/posts/{article}\">"
                     f"{' '.join(rng.choices(_WORDS, k=4)).title()}</a></h2>\n")
        for _ in range(rng.randint(1, 3)):
            parts.append(f"  <p class=\"body\">{' '.join(rng.choices(_WORDS, k=40))}.</p>\n")
        parts.append("  <table class=\"facts\">\n")
        for _ in range(3):
            parts.append(f"    <tr><td class=\"key\">{rng.choice(_WORDS)}</td>"
                         f"<td class=\"value\">{rng.randint(0, 10**6)}</td></tr>\n")
        parts.append("  </table>\n</article>\n")
    parts.append("</main>\n</body>\n</html>\n")
    return "".join(parts).encode("ascii")


def _prose(rng: random.Random) -> bytes:
    lines: list[str] = []
    size = 0
    while size < CORPUS_SIZE:
        line = f"\n{rng.choice(_SPEAKERS)}.\n" if rng.random() < 0.1 else ""
        words = rng.choices(_GERMAN, k=rng.randint(5, 9))
        line += " ".join(words).capitalize() + rng.choice((",", ";", ".", "!", "?")) + "\n"
        lines.append(line)
        size += len(line.encode())
    return "".join(lines).encode("utf-8")


def _bitmap(rng: random.Random) -> bytes:
    width = height = 512
    palette = b"".join(bytes((v, v, v, 0)) for v in range(256))
    offset = 14 + 40 + len(palette)
    header = (b"BM" + (offset + width * height).to_bytes(4, "little") + bytes(4)
              + offset.to_bytes(4, "little"))
    info = (b"(\x00\x00\x00" + width.to_bytes(4, "little") + height.to_bytes(4, "little")
            + b"\x01\x00\x08\x00" + bytes(4) + (width * height).to_bytes(4, "little")
            + bytes(8) + (256).to_bytes(4, "little") + bytes(4))
    columns = [60 * math.sin(x / 37) for x in range(width)]
    diagonals = [40 * math.sin(k / 59) for k in range(width + height)]
    jitter = [n % 7 - 3 for n in rng.randbytes(width * height)]
    rows = bytearray()
    for y in range(height):
        wave = math.cos(y / 23)
        start = y * width
        rows += bytes(int(128 + c * wave + d + j) & 0xFF for c, d, j in
                      zip(columns, diagonals[y:y + width], jitter[start:start + width],
                          strict=True))
    return header + info + palette + bytes(rows)


def _pdf(rng: random.Random) -> bytes:
    parts = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    number = 0
    while sum(map(len, parts)) < CORPUS_SIZE:
        number += 1
        stream = rng.randbytes(rng.randint(2 * KiB, 12 * KiB))
        parts.append(f"{number} 0 obj\n<< /Length {len(stream)} /Filter /FlateDecode >>\n"
                     f"stream\n".encode() + stream + b"\nendstream\nendobj\n")
    parts.append(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
    return b"".join(parts)


_BUILDERS: dict[str, Callable[[random.Random], bytes]] = {
    "json": _json, "bitmap": _bitmap, "prose": _prose, "html": _html, "pdf": _pdf,
}


@functools.cache
def corpus_bytes(name: str) -> bytes:
    """The corpus ``name``: exactly :data:`CORPUS_SIZE` bytes, the same on every run."""
    data = _BUILDERS[name](random.Random(f"wsspec-deflate-{name}"))
    return (data * (CORPUS_SIZE // len(data) + 1))[:CORPUS_SIZE]


def messages(name: str, size: int, count: int) -> list[bytes]:
    """``count`` consecutive slices of ``size`` bytes of a corpus, wrapping around."""
    data = corpus_bytes(name)
    out = []
    for index in range(count):
        start = (index * size) % len(data)
        piece = data[start:start + size]
        if len(piece) < size:
            piece += data[:size - len(piece)]
        out.append(piece)
    return out


def window_probe(block: int = 48) -> bytes:
    """Random data in which a block of ``block`` bytes recurs at a distance just
    beyond each window size from 256 bytes (8 bits) to 16 KiB (14 bits), and at
    30000 bytes: a compressor refers back to a copy only if its window reaches
    it, so every back-reference beyond the agreed window shows in the output."""
    rng = random.Random("wsspec-deflate-window-probe")
    out = bytearray()
    for bits in range(8, 15):
        distance = (1 << bits) + (1 << bits) // 4
        repeated = rng.randbytes(block)
        out += repeated + rng.randbytes(distance - block) + repeated
    repeated = rng.randbytes(block)
    return bytes(out + repeated + rng.randbytes(30000 - block) + repeated)
