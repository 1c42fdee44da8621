"""Fragmented large messages (RFC 6455 section 5.4; Autobahn|Testsuite 10.x).

A message cut into many frames of a fixed size (what a client library does
when it "auto-fragments") must be reassembled and delivered whole, whatever
the fragment size: a single byte, the edges of the 7-bit and 16-bit length
forms, or beyond them, and however the frames are cut into TCP writes. Text
messages are multi-byte UTF-8, so most fragment boundaries fall inside a
character: only the whole message has to be valid UTF-8 (5.6).

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import pytest
from wsspec.cases import case
from wsspec.dsl import Client
from wsspec.verdicts import unsupported

#: Size of the messages of the fragment-size table (bytes).
MESSAGE_SIZE = 300_000
#: A one-byte fragment makes a frame per byte: a smaller message keeps that case fast
#: and under the cap on frames per message that servers may set (RFC 6455 10.4).
ONE_BYTE_MESSAGE_SIZE = 4000

#: Fragment sizes: one byte, the edges of the 7-bit and 16-bit length forms, and beyond.
FRAGMENT_SIZES = (1, 125, 126, 127, 1300, 65535, 65536, 65537)

#: 1-, 2-, 3- and 4-byte UTF-8 characters, so fragments cut characters at every offset.
_TEXT_UNIT = "wsspec κόσμε €ℵ 𝄞😀 * "


def require_message_size(wsspec_client: Client, size: int) -> None:
    """Grade the case unsupported when the profile declares a smaller message size limit."""
    limits = wsspec_client.profile.limits
    if limits is not None and limits.max_message_size is not None and (
            size > limits.max_message_size):
        unsupported(f"limits.max_message_size ({limits.max_message_size}) is below "
                    f"this {size}-byte message")


def message_of(kind: str, size: int) -> str | bytes:
    """A message of about ``size`` bytes: multi-byte UTF-8 text (cut at a character
    boundary, so at most 3 bytes short), or binary holding every byte value."""
    if kind == "binary":
        return (bytes(range(256)) * (size // 256 + 1))[:size]
    unit = _TEXT_UNIT.encode()
    data = (unit * (size // len(unit) + 1))[:size]
    return data.decode("utf-8", errors="ignore")


@case(
    "misc.auto-fragment.text-65536-in-1300",
    title="a 65536-byte text message in 1300-byte fragments is echoed",
    rfc="RFC6455 5.4 MUST",
    requirement="A server supports receiving fragmented messages: a 65536-byte text message "
    "sent as 50 frames of 1300 bytes and one of 536 is delivered whole, and an echo server "
    "sends it back unchanged.",
    autobahn="10.1.1",
    needs=("echo",),
)
async def test_auto_fragmented_message_is_echoed(wsspec_client: Client) -> None:
    require_message_size(wsspec_client, 65536)
    ws = await wsspec_client.open()
    await ws.expect_echo("*" * 65536, fragment_size=1300)
    await ws.close()


@pytest.mark.parametrize("fragment", FRAGMENT_SIZES)
@pytest.mark.parametrize("kind", ["text", "binary"])
@case(
    "misc.fragment-size.{kind}.{fragment}",
    title="a {kind} message in fragments of {fragment} bytes is echoed",
    rfc="RFC6455 5.4 MUST",
    requirement="A server supports receiving fragmented messages whatever the fragment size: "
    "a {kind} message (300 kB; 4 kB in one-byte frames) sent in frames of {fragment} bytes is "
    "delivered whole, and an echo server sends it back unchanged.",
    needs=("echo",),
)
async def test_fragment_size_is_irrelevant(wsspec_client: Client, kind: str, fragment: int) -> None:
    size = ONE_BYTE_MESSAGE_SIZE if fragment == 1 else MESSAGE_SIZE
    require_message_size(wsspec_client, size)
    ws = await wsspec_client.open()
    await ws.expect_echo(message_of(kind, size), fragment_size=fragment)
    await ws.close()


#: (fragment size, TCP write size): writes that cut frames at odd places.
FRAGMENTS_AND_WRITES = ((125, 997), (1300, 997), (65536, 997), (1300, 65536))


@pytest.mark.parametrize(("fragment", "write"), FRAGMENTS_AND_WRITES)
@case(
    "misc.fragment-size.text.{fragment}.writes-of-{write}",
    title="a large text message in fragments of {fragment} bytes, sent in {write}-byte TCP "
    "writes, is echoed",
    rfc="RFC6455 5.4 MUST",
    requirement="Frame boundaries and TCP write boundaries are unrelated: a text message in "
    "{fragment}-byte fragments, written {write} bytes at a time, is delivered whole, and an "
    "echo server sends it back unchanged.",
    needs=("echo",),
)
async def test_fragments_across_writes(wsspec_client: Client, fragment: int, write: int) -> None:
    require_message_size(wsspec_client, MESSAGE_SIZE)
    ws = await wsspec_client.open()
    await ws.expect_echo(message_of("text", MESSAGE_SIZE), fragment_size=fragment,
                         chunks=(write,))
    await ws.close()
