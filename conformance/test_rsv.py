"""Reserved bits (RFC 6455 sections 5.2 and 7.1.7; Autobahn|Testsuite 3.x).

With no extension negotiated, a frame with any of RSV1, RSV2, RSV3 set must
fail the connection. Every case sends a valid text message, the frame with
the reserved bits, then a ping: the message must be echoed (it came first),
then the connection failed, with no pong (after failing, nothing more is
processed). A server that fails the connection before echoing the message is
non-strict, as in Autobahn. The table crosses the seven combinations of bits
with each opcode, and for text frames with three ways of cutting the bytes
into TCP writes: all in one write, one write per frame, octet by octet.

Autobahn numbers RSV combinations as the 3-bit field's value, RSV1 being the
high bit: its "RSV = 1" is RSV3, "RSV = 4" is RSV1.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import pytest
from wsspec.cases import case
from wsspec.dsl import Client, Connection
from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.frames import Frame, Opcode

#: Each non-empty combination of reserved bits, by name → (rsv1, rsv2, rsv3).
RSV_BITS = {
    "rsv3": (False, False, True),
    "rsv2": (False, True, False),
    "rsv2-rsv3": (False, True, True),
    "rsv1": (True, False, False),
    "rsv1-rsv3": (True, False, True),
    "rsv1-rsv2": (True, True, False),
    "rsv1-rsv2-rsv3": (True, True, True),
}

HELLO = b"Hello, world!"

#: The frame carrying the bits, by opcode name: (opcode, payload).
BAD_FRAMES = {
    "text": (Opcode.TEXT, HELLO),
    "binary": (Opcode.BINARY, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"),
    "ping": (Opcode.PING, HELLO),
    "pong": (Opcode.PONG, HELLO),
    "close": (Opcode.CLOSE, encode_close_payload(1000, "")),
    # the last frame of a fragmented text message whose first frame is valid
    "continuation": (Opcode.CONTINUATION, b"world!"),
}

WRITES = ("one-write", "frame-wise", "octets")

#: Autobahn 3.x: (bits, opcode, writes) of the case that sends the same frame.
_AUTOBAHN_RSV = {
    ("rsv3", "text", "one-write"): "3.1",
    ("rsv2", "text", "one-write"): "3.2",
    ("rsv2-rsv3", "text", "frame-wise"): "3.3",
    ("rsv1", "text", "octets"): "3.4",
    ("rsv1-rsv3", "binary", "one-write"): "3.5",
    ("rsv1-rsv2", "ping", "one-write"): "3.6",
    ("rsv1-rsv2-rsv3", "close", "one-write"): "3.7",
}

_ROWS = [(bits, "text", writes) for bits in RSV_BITS for writes in WRITES] + [
    (bits, opcode, "one-write") for opcode in BAD_FRAMES if opcode != "text" for bits in RSV_BITS
]


def frames_with_rsv(bits: str, opcode: str) -> list[Frame]:
    """A valid text message, the frame with reserved ``bits`` set, and a ping."""
    rsv1, rsv2, rsv3 = RSV_BITS[bits]
    code, payload = BAD_FRAMES[opcode]
    bad = Frame(code, payload, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3)
    lead = [Frame(Opcode.TEXT, b"Hello, ", fin=False)] if code == Opcode.CONTINUATION else []
    return [Frame(Opcode.TEXT, HELLO), *lead, bad, Frame(Opcode.PING, b"must not be answered")]


async def deliver(ws: Connection, frames: list[Frame], writes: str) -> None:
    """Send ``frames`` in one TCP write, one write each, or one write per octet
    (the last two stop once the server has closed, see
    :meth:`~wsspec.dsl.Connection.send_piecewise`)."""
    if writes == "one-write":
        await ws.send_frames(frames)
    else:
        await ws.send_piecewise(frames, octets=writes == "octets")


@pytest.mark.parametrize(("bits", "opcode", "writes"), _ROWS)
@case(
    "rsv.{bits}.{opcode}.{writes}",
    title="a {opcode} frame with {bits} set ({writes}) fails the connection; nothing after it "
    "is processed",
    rfc="RFC6455 5.2 MUST",
    requirement="RSV bits must be 0 unless a negotiated extension defines them: a server "
    "receiving a {opcode} frame with {bits} set and no extension fails the connection, after "
    "echoing the message sent before it and without answering the ping sent after it (7.1.7).",
    autobahn=lambda bits, opcode, writes: _AUTOBAHN_RSV.get((bits, opcode, writes)),
    needs=("echo",),
)
async def test_reserved_bits_fail_connection(wsspec_client: Client, bits: str, opcode: str,
                                             writes: str) -> None:
    ws = await wsspec_client.open()
    await deliver(ws, frames_with_rsv(bits, opcode), writes)
    await ws.expect_failure_after_echo(HELLO.decode(), (1002,), rule="RFC6455 5.2, 7.1.7")
