"""Large messages and many messages (RFC 6455 sections 5.4, 6.2 and 10.4;
Autobahn|Testsuite 9.x).

An echo server must take text and binary messages of up to 16 MiB, sent as
one frame, as many frames, or in many small TCP writes, and bursts of a
thousand small messages, and send each back unchanged and in order. Where the
profile declares ``[limits] max_message_size``, a message larger than it must
instead be refused with close code 1009 (RFC 6455 7.4.1, 10.4).

Timing has no right answer: each case records how long the echo took in its
observed text, and its verdict depends only on what came back. Every case here
is marked ``slow``.

Sending stays bounded in memory and time: a message is encoded and written in
slices of :data:`WRITE_SIZE` bytes (each write has the case timeout as its own
deadline), and between slices whatever the server has already sent is taken in,
so a server that starts echoing before the message has fully arrived never
blocks on a client that is still writing.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from wsspec.cases import case
from wsspec.driver.base import StreamEnd
from wsspec.dsl import Client, Connection, describe_event
from wsspec.failure_shapes import Level
from wsspec.protocol.close import CloseInfo
from wsspec.protocol.frames import Frame, Opcode, encode_frame
from wsspec.wirelog import frame_entry

KiB = 1024
MiB = 1024 * KiB

#: bytes handed to the connection per write while sending a large message.
WRITE_SIZE = 256 * KiB
#: outgoing frames of one message recorded in the wire log (the rest are counted).
LOGGED_FRAMES = 3
#: the speed a target is given, beyond the case timeout, to take and echo a message.
ASSUMED_RATE = 4 * MiB  # bytes per second
#: a burst is sent in writes of about this size, at most two of them awaiting echoes.
BURST_WRITE = 64 * KiB

#: 16 bytes of UTF-8 (ASCII and two-byte Greek), so every size below is whole characters.
TEXT_UNIT = "wsspecκόσμε".encode()
assert len(TEXT_UNIT) == 16

MESSAGE_SIZES = [
    # Autobahn n, label, bytes
    (1, "64KiB", 64 * KiB),
    (2, "256KiB", 256 * KiB),
    (3, "1MiB", 1 * MiB),
    (4, "4MiB", 4 * MiB),
    (5, "8MiB", 8 * MiB),
    (6, "16MiB", 16 * MiB),
]
FRAGMENT_SIZES = [
    (1, "64B", 64),
    (2, "256B", 256),
    (3, "1KiB", 1 * KiB),
    (4, "4KiB", 4 * KiB),
    (5, "16KiB", 16 * KiB),
    (6, "64KiB", 64 * KiB),
    (7, "256KiB", 256 * KiB),
    (8, "1MiB", 1 * MiB),
    (9, "4MiB", 4 * MiB),
]
WRITE_SIZES = [
    (1, "64B", 64),
    (2, "128B", 128),
    (3, "256B", 256),
    (4, "512B", 512),
    (5, "1KiB", 1 * KiB),
    (6, "2KiB", 2 * KiB),
]
BURST_SIZES = [
    (1, "0B", 0),
    (2, "16B", 16),
    (3, "64B", 64),
    (4, "256B", 256),
    (5, "1KiB", 1 * KiB),
    (6, "4KiB", 4 * KiB),
]
FRAGMENTED_MESSAGE = 4 * MiB
CHOPPED_MESSAGE = 1 * MiB
BURST_COUNT = 1000

KINDS = ["text", "binary"]

def autobahn_id(first: int) -> Callable[..., str]:
    """The Autobahn id of a row: section 9.``first`` for text, the next one for binary."""

    def resolve(kind: str, n: int, **_: object) -> str:
        return f"9.{first if kind == 'text' else first + 1}.{n}"

    return resolve


def payload(kind: str, size: int) -> tuple[Opcode, bytes]:
    """A message of ``size`` bytes: valid UTF-8 text, or every byte value."""
    if kind == "text":
        return Opcode.TEXT, TEXT_UNIT * (size // len(TEXT_UNIT))
    return Opcode.BINARY, bytes(range(256)) * (size // 256) + bytes(range(size % 256))


def show_size(size: int) -> str:
    for unit, name in ((MiB, "MiB"), (KiB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} B"


def over_limit(wsspec_client: Client, size: int) -> bool:
    """True when the profile declares a message size limit and ``size`` exceeds it."""
    limits = wsspec_client.profile.limits
    limit = limits.max_message_size if limits else None
    return limit is not None and size > limit


def deadline(wsspec_client: Client, size: int) -> float:
    """How long to wait for the echo of ``size`` bytes."""
    return wsspec_client.timeout + size / ASSUMED_RATE


async def take_in(ws: Connection) -> None:
    """Parse what the server has sent so far, without waiting (best effort:
    a driver may report nothing while bytes are in flight)."""
    while ws.end is None:
        data = await ws.driver.receive(0)
        if data is None:
            return
        if isinstance(data, StreamEnd):
            ws.end = data
            return
        ws.feed(data)


def mask_keys(count: int) -> Iterator[bytes]:
    """``count`` fresh masking keys from the system's strong random source
    (RFC 6455 5.3), drawn in blocks rather than one system call per frame."""
    block = 4096
    for start in range(0, count, block):
        keys = os.urandom(4 * min(block, count - start))
        for offset in range(0, len(keys), 4):
            yield keys[offset:offset + 4]


def encode_message(ws: Connection, opcode: Opcode, data: bytes,
                   fragment_size: int | None) -> Iterator[bytes]:
    """The frames of one message, masked, each recorded in the wire log up to
    :data:`LOGGED_FRAMES`; produced one at a time so no list of frames is built."""
    size = fragment_size or max(len(data), 1)
    count = max(-(-len(data) // size), 1)
    view = memoryview(data)
    keys = mask_keys(count)
    for index in range(count):
        piece = data if count == 1 else bytes(view[index * size:(index + 1) * size])
        key = next(keys)
        frame_opcode = opcode if index == 0 else Opcode.CONTINUATION
        fin = index == count - 1
        if index < LOGGED_FRAMES:
            frame = Frame(frame_opcode, piece, fin=fin, masked=True, mask_key=key)
            ws.wirelog.frame("out", frame_entry(frame))
        yield encode_frame(frame_opcode, piece, fin=fin, mask_key=key)
    if count > LOGGED_FRAMES:
        ws.wirelog.event(f"{count - LOGGED_FRAMES} more frames of {show_size(size)} sent, "
                         "not logged one by one")


async def send_large(ws: Connection, opcode: Opcode, data: bytes, *,
                     fragment_size: int | None = None) -> StreamEnd | None:
    """Send ``data`` as one message (in frames of ``fragment_size`` bytes when
    given), in writes of :data:`WRITE_SIZE` bytes, taking in the server's
    output between writes. Stops at once if the server ends the connection."""
    block = bytearray()

    async def flush() -> StreamEnd | None:
        for start in range(0, len(block), WRITE_SIZE):
            end = await ws.send_raw(bytes(block[start:start + WRITE_SIZE]))
            if end is not None:
                return end
            await take_in(ws)
        block.clear()
        return None

    for frame in encode_message(ws, opcode, data, fragment_size):
        block += frame
        if len(block) >= WRITE_SIZE:
            end = await flush()
            if end is not None:
                return end
    return await flush()


async def expect_echo_or_limit(wsspec_client: Client, ws: Connection, opcode: Opcode, data: bytes,
                               what: str, start: float) -> None:
    """The message must come back unchanged, or, beyond a declared size limit,
    the connection must be failed with 1009 (the profile's policy); the time
    taken is recorded. A refusal under a limit the profile does not declare is
    graded by the DSL (RFC 6455 10.4 MAY: informational)."""
    wait = deadline(wsspec_client, len(data))
    if over_limit(wsspec_client, len(data)):
        expected = f"{what}, over the declared max_message_size, refused with close 1009 " \
                   "(RFC6455 7.4.1, 10.4)"
        ended = await ws.expect_failure((1009,), timeout=wait, rule="profile [limits]",
                                        level=Level.POLICY)
        shown = f"close {ended.code}" if isinstance(ended, CloseInfo) else describe_event(
            ended, wait)
        wsspec_client.record.observe(expected, f"{shown} after {ws.driver.clock() - start:.3f} s")
        return
    await ws.expect_message(data, opcode=opcode, timeout=wait)
    elapsed = ws.driver.clock() - start
    rate = len(data) / MiB / elapsed if elapsed > 0 else float("inf")
    wsspec_client.record.observe(f"{what} echoed unchanged (RFC6455 6.2)",
                          f"echoed unchanged in {elapsed:.3f} s ({rate:.1f} MiB/s)")
    await ws.close()


# -- one large message -------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("n", "label", "size"), MESSAGE_SIZES)
@case(
    "limits.message.{kind}-{label}",
    title="a {kind} message of {label} in one frame is echoed",
    rfc="RFC6455 6.2 MUST",
    requirement="A server parses incoming data as frames of any length the 64-bit length "
    "field allows and an echo server returns a {kind} message of {label} unchanged; beyond "
    "a max_message_size the profile declares it closes with 1009 (RFC 6455 10.4).",
    autobahn=autobahn_id(1),
    needs=("echo",),
    slow=True,
)
async def test_large_message_is_echoed(wsspec_client: Client, kind: str, n: int, label: str,
                                       size: int) -> None:
    ws = await wsspec_client.open()
    opcode, data = payload(kind, size)
    start = ws.driver.clock()
    await send_large(ws, opcode, data)
    await expect_echo_or_limit(wsspec_client, ws, opcode, data,
                               f"a {kind} message of {label} in one frame", start)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("n", "label", "fragment"), FRAGMENT_SIZES)
@case(
    "limits.fragments.{kind}-4MiB-in-{label}",
    title="a {kind} message of 4 MiB in frames of {label} is echoed",
    rfc="RFC6455 5.4 MUST",
    requirement="Servers support receiving fragmented messages: a {kind} message of 4 MiB "
    "sent in frames of {label} is reassembled and echoed unchanged; beyond a "
    "max_message_size the profile declares the server closes with 1009 (RFC 6455 10.4).",
    autobahn=autobahn_id(3),
    needs=("echo",),
    slow=True,
)
async def test_fragmented_large_message_is_echoed(wsspec_client: Client, kind: str, n: int,
                                                  label: str, fragment: int) -> None:
    ws = await wsspec_client.open()
    opcode, data = payload(kind, FRAGMENTED_MESSAGE)
    start = ws.driver.clock()
    await send_large(ws, opcode, data, fragment_size=fragment)
    count = -(-len(data) // fragment)
    await expect_echo_or_limit(wsspec_client, ws, opcode, data,
                               f"a {kind} message of 4 MiB in {count} frames of {label}", start)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("n", "label", "chop"), WRITE_SIZES)
@case(
    "limits.tcp-writes.{kind}-1MiB-in-{label}",
    title="a {kind} message of 1 MiB sent in TCP writes of {label} is echoed",
    rfc="RFC6455 6.2 MUST",
    requirement="A server parses frames from the byte stream however TCP splits it: a {kind} "
    "message of 1 MiB written {label} at a time is echoed unchanged; beyond a "
    "max_message_size the profile declares the server closes with 1009 (RFC 6455 10.4).",
    autobahn=autobahn_id(5),
    needs=("echo",),
    slow=True,
)
async def test_message_in_small_writes_is_echoed(wsspec_client: Client, kind: str, n: int,
                                                 label: str, chop: int) -> None:
    ws = await wsspec_client.open()
    opcode, data = payload(kind, CHOPPED_MESSAGE)
    start = ws.driver.clock()
    await ws.send_message(data, opcode=opcode, chunks=[chop])
    writes = -(-(len(data) + 14) // chop)
    await expect_echo_or_limit(wsspec_client, ws, opcode, data,
                               f"a {kind} message of 1 MiB in {writes} writes of {label}", start)


# -- many small messages -------------------------------------------------------------


def burst_message(kind: str, size: int, index: int) -> bytes:
    """Message ``index`` of a burst: ``size`` bytes that start with the index,
    so an echo out of order is seen."""
    if kind == "text":
        return f"#{index:04d}".encode().ljust(size, b"*")[:size]
    return index.to_bytes(2, "big").ljust(size, b"\xa5")[:size]


async def echo_in_order(ws: Connection, opcode: Opcode, messages: list[bytes],
                        what: str) -> None:
    """Send ``messages`` back to back and expect each echoed, in order.

    They go out in writes of about :data:`BURST_WRITE` bytes, with at most two
    writes awaiting their echoes, so neither side's buffers fill whatever the
    server does.
    """
    ws.wirelog.event(f"sending {what} back to back (the first is logged as a frame)")
    awaiting: list[list[bytes]] = []
    batch: list[bytes] = []
    wire = bytearray()
    last = len(messages) - 1
    keys = mask_keys(len(messages))
    for index, (message, key) in enumerate(zip(messages, keys, strict=True)):
        if index == 0:
            first = Frame(opcode, message, masked=True, mask_key=key)
            ws.wirelog.frame("out", frame_entry(first))
        wire += encode_frame(opcode, message, mask_key=key)
        batch.append(message)
        if len(wire) < BURST_WRITE and index < last:
            continue
        await ws.send_raw(bytes(wire))
        awaiting.append(batch)
        batch, wire = [], bytearray()
        while len(awaiting) > (1 if index < last else 0):
            for echoed in awaiting.pop(0):
                await ws.expect_message(echoed, opcode=opcode)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("n", "label", "size"), BURST_SIZES)
@case(
    "limits.burst.{kind}-1000x{label}",
    title="a burst of 1000 {kind} messages of {label} is echoed in order",
    rfc="RFC6455 6.2 MUST",
    requirement="A server handles messages as fast as they come: 1000 {kind} messages of "
    "{label} sent back to back are all echoed, unchanged and in the order sent.",
    autobahn=autobahn_id(7),
    needs=("echo",),
    slow=True,
)
async def test_burst_of_messages_is_echoed(wsspec_client: Client, kind: str, n: int, label: str,
                                           size: int) -> None:
    ws = await wsspec_client.open()
    opcode = Opcode.TEXT if kind == "text" else Opcode.BINARY
    messages = [burst_message(kind, size, i) for i in range(BURST_COUNT)]
    what = f"{BURST_COUNT} {kind} messages of {label}"
    start = ws.driver.clock()
    if over_limit(wsspec_client, size):
        await send_large(ws, opcode, messages[0])
        await expect_echo_or_limit(wsspec_client, ws, opcode, messages[0], what, start)
        return
    await echo_in_order(ws, opcode, messages, what)
    elapsed = ws.driver.clock() - start
    wsspec_client.record.observe(
        f"{what} echoed unchanged and in order (RFC6455 6.2)",
        f"all echoed in order in {elapsed:.3f} s ({elapsed / BURST_COUNT * 1e6:.0f} µs per "
        "message)",
    )
    await ws.close()
