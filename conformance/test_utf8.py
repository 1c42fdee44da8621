"""UTF-8 in text messages (RFC 6455 sections 5.6 and 8.1, RFC 3629; Autobahn|Testsuite 6.x).

A text message carries UTF-8 as RFC 3629 defines it. A server delivers every
well-formed message, however it is fragmented (fragment boundaries may fall
inside a character), and fails the connection with 1007 on a message that is
not valid UTF-8. It should fail it as soon as the invalid byte arrives, not
once the message is complete: the fail-fast cases grade a late failure as
non-strict.

The table of sequences, one row per Autobahn case 6.5.1-6.23.7, lives in
``conformance/_utf8_sequences.py``.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence

import pytest
from wsspec.cases import case
from wsspec.conformance._utf8_sequences import KOSME, SEQUENCES, Utf8Sequence
from wsspec.dsl import Client, Connection
from wsspec.protocol.frames import Frame, Opcode
from wsspec.verdicts import Verdict

TEXT, CONTINUATION, PING = Opcode.TEXT, Opcode.CONTINUATION, Opcode.PING

HELLO = "Hello-µ@ßöäüàá-UTF-8!!".encode()

#: the longest a fail-fast server may take to fail once the invalid byte is in
#: (when no ping can prove that the server read it); later counts as non-strict.
FAIL_FAST_WAIT = 1.0


def split_at(payload: bytes, *cuts: int) -> list[bytes]:
    """``payload`` cut at the given offsets."""
    edges = [0, *cuts, len(payload)]
    return [payload[a:b] for a, b in itertools.pairwise(edges)]


def every_byte(payload: bytes) -> list[bytes]:
    """``payload`` as 1-byte fragments."""
    return [payload[i:i + 1] for i in range(len(payload))]


async def send_text_fragments(ws: Connection, fragments: Sequence[bytes]) -> None:
    """One text message, one frame per fragment, all in one write."""
    last = len(fragments) - 1
    await ws.send_frames([Frame(TEXT if i == 0 else CONTINUATION, data, fin=i == last)
                          for i, data in enumerate(fragments)])


def autobahn_of(table: dict[str, str]) -> Callable[..., str | None]:
    """An ``autobahn=`` callable mapping the ``variant`` parameter through ``table``."""
    return lambda variant, **_: table.get(variant)


# -- empty and fragmented valid text -----------------------------------------------


@case(
    "utf8.empty.{variant}",
    title="an empty text message ({variant}) is echoed",
    rfc="RFC6455 5.6 MUST",
    requirement="An empty payload is valid UTF-8: a text message with no bytes, in one "
    "frame or in empty fragments, is delivered.",
    autobahn=autobahn_of({"one-frame": "6.1.1", "empty-fragments": "6.1.2",
                          "empty-first-and-last": "6.1.3"}),
    needs=("echo",),
)
@pytest.mark.parametrize(("variant", "fragments"), [
    ("one-frame", [b""]),
    ("empty-fragments", [b"", b"", b""]),
    ("empty-first-and-last", [b"", b"middle frame payload", b""]),
])
async def test_empty_text(wsspec_client: Client, variant: str, fragments: list[bytes]) -> None:
    ws = await wsspec_client.open()
    await send_text_fragments(ws, fragments)
    await ws.expect_message(b"".join(fragments), opcode=TEXT, rule="RFC6455 5.6")
    await ws.close()


@case(
    "utf8.valid-fragmented.{variant}",
    title="valid UTF-8 text ({variant}) is echoed",
    rfc="RFC6455 5.6 MUST",
    requirement="A text message is valid when its whole payload is UTF-8, whatever the "
    "fragments: fragments may end inside a character, and the message is delivered.",
    autobahn=autobahn_of({"one-frame": "6.2.1", "cut-between-characters": "6.2.2",
                          "bytewise": "6.2.3", "kosme-bytewise": "6.2.4"}),
    needs=("echo",),
)
@pytest.mark.parametrize(("variant", "fragments"), [
    ("one-frame", [HELLO]),
    ("cut-between-characters", split_at(HELLO, len("Hello-µ@ßöä".encode()))),
    ("cut-inside-a-character", split_at(HELLO, len("Hello-µ@ßöä".encode()) + 1)),
    ("bytewise", every_byte(HELLO)),
    ("kosme-bytewise", every_byte(KOSME)),
])
async def test_valid_fragmented_text(wsspec_client: Client, variant: str,
                                     fragments: list[bytes]) -> None:
    ws = await wsspec_client.open()
    await send_text_fragments(ws, fragments)
    await ws.expect_message(b"".join(fragments), opcode=TEXT, rule="RFC6455 5.6")
    await ws.close()


# -- invalid text ------------------------------------------------------------------

#: valid text, then an encoded surrogate (invalid at its second byte a0), then valid text.
SURROGATE_INSIDE = KOSME + b"\xed\xa0\x80" + b"edited"


@case(
    "utf8.invalid-fragmented.{variant}",
    title="text with an encoded surrogate in the middle ({variant}) fails the connection",
    rfc="RFC6455 8.1 MUST",
    requirement="A server finding that a text message is not valid UTF-8 fails the "
    "connection with 1007, however the message is fragmented.",
    autobahn=autobahn_of({"one-frame": "6.3.1", "bytewise": "6.3.2"}),
)
@pytest.mark.parametrize(("variant", "fragments"), [
    ("one-frame", [SURROGATE_INSIDE]),
    ("bytewise", every_byte(SURROGATE_INSIDE)),
])
async def test_invalid_fragmented_text(wsspec_client: Client, variant: str,
                                       fragments: list[bytes]) -> None:
    ws = await wsspec_client.open()
    await send_text_fragments(ws, fragments)
    await ws.expect_failure((1007,), rule="RFC6455 8.1")


#: valid text, then U+110000 in the 4-byte form (invalid at its second byte 90),
#: then valid text.
BEYOND_UNICODE_INSIDE = KOSME + b"\xf4\x90\x80\x80" + b"edited"
_KOSME_END = len(KOSME)

FAIL_FAST = [
    # variant, how the parts are sent, the two cuts between the three parts
    ("frames", "frames", (_KOSME_END, _KOSME_END + 4)),
    ("frames-cut-at-invalid-byte", "frames", (_KOSME_END + 1, _KOSME_END + 2)),
    ("chops", "chops", (_KOSME_END, _KOSME_END + 4)),
    ("chops-cut-at-invalid-byte", "chops", (_KOSME_END + 1, _KOSME_END + 2)),
]


async def send_parts_as_frames(ws: Connection, first: bytes, second: bytes, rest: bytes,
                               timeout: float) -> Callable[[], Awaitable[object]] | None:
    """Send ``first`` and ``second`` as fragments, a ping after each: its pong proves
    the server read the part and went on. None when the server failed the
    connection (graded), else how to send ``rest``."""
    await ws.send_frames([Frame(TEXT, first, fin=False), Frame(PING, b"first part")])
    await ws.expect_pong(b"first part")
    await ws.send_frames([Frame(CONTINUATION, second, fin=False), Frame(PING, b"second part")])
    if await ws.poll_failure(timeout, (1007,), rule="RFC6455 8.1") is not None:
        return None
    await ws.expect_pong(b"second part")
    return lambda: ws.send_frame(CONTINUATION, rest)


async def send_parts_as_chops(ws: Connection, first: bytes, second: bytes, rest: bytes,
                              timeout: float) -> Callable[[], Awaitable[object]] | None:
    """Write one frame carrying the three parts, the first two as separate writes. No
    ping can come inside a frame, so the server has ``timeout`` seconds to fail.
    None when it did (graded), else how to write ``rest``."""
    wire = ws.encode_frames([Frame(TEXT, first + second + rest)])
    end_of_second = len(wire) - len(rest)
    await ws.send_raw(wire[:end_of_second - len(second)])
    await ws.send_raw(wire[end_of_second - len(second):end_of_second])
    if await ws.poll_failure(timeout, (1007,), rule="RFC6455 8.1") is not None:
        return None
    return lambda: ws.send_raw(wire[end_of_second:])


@case(
    "utf8.fail-fast.{variant}",
    title="text whose second part makes it invalid ({variant}): the connection fails "
    "before the rest is sent",
    rfc="RFC6455 8.1 MUST",
    requirement="A server fails the connection with 1007 on invalid UTF-8 in a text "
    "message, and should do so as soon as the invalid byte arrives rather than once the "
    "message is complete.",
    autobahn=autobahn_of({"frames": "6.4.1", "frames-cut-at-invalid-byte": "6.4.2",
                          "chops": "6.4.3", "chops-cut-at-invalid-byte": "6.4.4"}),
)
@pytest.mark.parametrize(("variant", "sending", "cuts"), FAIL_FAST)
async def test_invalid_text_fails_fast(wsspec_client: Client, variant: str, sending: str,
                                       cuts: tuple[int, int]) -> None:
    first, second, rest = split_at(BEYOND_UNICODE_INSIDE, *cuts)
    ws = await wsspec_client.open()
    if sending == "frames":
        send_rest = await send_parts_as_frames(ws, first, second, rest, wsspec_client.timeout)
    else:
        send_rest = await send_parts_as_chops(ws, first, second, rest,
                                              min(FAIL_FAST_WAIT, wsspec_client.timeout))
    if send_rest is None:
        return
    ws.record.downgrade(
        Verdict.NON_STRICT,
        "the connection was still open after the invalid byte; invalid UTF-8 is best "
        "detected as soon as it arrives (fail-fast), not once the message is complete",
    )
    await send_rest()
    await ws.expect_failure((1007,), rule="RFC6455 8.1")


# -- the table: one text message per sequence ---------------------------------------

VALID = [pytest.param(s, id=s.id) for s in SEQUENCES if s.valid]
INVALID = [pytest.param(s, id=s.id) for s in SEQUENCES if not s.valid]
#: each sequence is sent as one frame (as Autobahn does), then in 1-byte fragments.
MODES = ("one-frame", "bytewise")


def _autobahn_row(row: Utf8Sequence, mode: str) -> str | None:
    return row.autobahn if mode == "one-frame" else None


@case(
    "utf8.{row.group}.{row.index}.{mode}",
    title="valid UTF-8 is echoed ({mode}): {row.kind}: {row.hex}",
    rfc="RFC6455 5.6 MUST",
    requirement="Text messages carry UTF-8 as RFC 3629 defines it: a server delivers every "
    "well-formed sequence, non-characters included, however the message is fragmented.",
    autobahn=_autobahn_row,
    needs=("echo",),
)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("row", VALID)
async def test_valid_sequence_is_echoed(
    wsspec_client: Client, row: Utf8Sequence, mode: str
) -> None:
    ws = await wsspec_client.open()
    await ws.send_message(row.payload, opcode=TEXT, fragment_size=1 if mode == "bytewise" else None)
    await ws.expect_message(row.payload, opcode=TEXT, rule="RFC6455 5.6")
    await ws.close()


@case(
    "utf8.{row.group}.{row.index}.{mode}",
    title="invalid UTF-8 fails the connection ({mode}): {row.kind}: {row.hex}",
    rfc="RFC6455 8.1 MUST",
    requirement="A server finding that a text message is not valid UTF-8 (RFC 3629) fails "
    "the connection with 1007.",
    autobahn=_autobahn_row,
)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("row", INVALID)
async def test_invalid_sequence_fails(wsspec_client: Client, row: Utf8Sequence, mode: str) -> None:
    ws = await wsspec_client.open()
    await ws.send_message(row.payload, opcode=TEXT, fragment_size=1 if mode == "bytewise" else None)
    await ws.expect_failure((1007,), rule="RFC6455 8.1")
