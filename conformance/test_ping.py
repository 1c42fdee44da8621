"""Pings and pongs (RFC 6455 sections 5.5, 5.5.2 and 5.5.3; Autobahn|Testsuite 2.x).

Every ping must be answered by a pong carrying the ping's payload, whatever
its length (0 to 125 bytes), its content (text or not) and however it is cut
into TCP writes; several pings get their pongs in order. A pong nobody asked
for is ignored. A control frame longer than 125 bytes fails the connection.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import pytest
from wsspec.cases import case
from wsspec.dsl import Client
from wsspec.protocol.frames import Frame, Opcode
from wsspec.verdicts import Verdict

#: Ping payload sizes from empty to the 125-byte maximum of a control frame.
PING_SIZES = (0, 1, 8, 64, 124, 125)

#: (size, writes) → Autobahn case.
_AUTOBAHN_PING = {(0, "one-write"): "2.1", (8, "one-write"): "2.3",
                  (125, "one-write"): "2.4", (125, "octets"): "2.6"}


def ping_payload(size: int) -> bytes:
    """``size`` bytes that are not UTF-8 (a ping payload is any bytes), 0x00 and 0xFF included."""
    return (b"\x00\xff\xfe\xfd\xfc\xfb" * (size // 6 + 1))[:size]


@case(
    "ping.pong.text-payload",
    title="a ping is answered by a pong with the same payload",
    rfc="RFC6455 5.5.3 MUST",
    requirement="An endpoint receiving a ping sends a pong whose application data is "
    "identical to the ping's.",
    autobahn="2.2",
)
async def test_ping_is_answered_with_pong(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.send_frame(Opcode.PING, b"Hello, wsspec")
    await ws.expect_pong(b"Hello, wsspec")
    await ws.close()


@pytest.mark.parametrize("writes", ["one-write", "octets"])
@pytest.mark.parametrize("size", PING_SIZES)
@case(
    "ping.pong.{size}-bytes.{writes}",
    title="a ping with a {size}-byte binary payload ({writes}) gets a pong with that payload",
    rfc="RFC6455 5.5.2 MUST",
    requirement="An endpoint receiving a ping with a {size}-byte payload, in one TCP write or "
    "octet by octet, sends a pong whose application data is the same {size} bytes (5.5.3).",
    autobahn=lambda size, writes: _AUTOBAHN_PING.get((size, writes)),
)
async def test_ping_payload_is_returned(wsspec_client: Client, size: int, writes: str) -> None:
    payload = ping_payload(size)
    ws = await wsspec_client.open()
    await ws.send_frame(Opcode.PING, payload, chunks=(1,) if writes == "octets" else None)
    await ws.expect_pong(payload)
    await ws.close()


#: Control frames longer than 125 bytes: (opcode, payload size).
OVERSIZED_CONTROL = {
    "ping-126": (Opcode.PING, 126),
    "ping-127": (Opcode.PING, 127),
    "ping-65536": (Opcode.PING, 65536),
    "pong-126": (Opcode.PONG, 126),
}


@pytest.mark.parametrize("frame", list(OVERSIZED_CONTROL))
@case(
    "ping.too-long.{frame}",
    title="a control frame with more than 125 bytes of payload ({frame}) fails the connection",
    rfc="RFC6455 5.5 MUST",
    requirement="All control frames must have a payload of 125 bytes or less; a server "
    "receiving a longer one ({frame}) fails the connection and answers nothing, not even a "
    "ping sent after it.",
    autobahn=lambda frame: "2.5" if frame == "ping-126" else None,
)
async def test_oversized_control_frame_fails_connection(wsspec_client: Client, frame: str) -> None:
    opcode, size = OVERSIZED_CONTROL[frame]
    ws = await wsspec_client.open()
    await ws.send_frame(opcode, ping_payload(size))
    await ws.send_frame(Opcode.PING, b"must not be answered")
    await ws.expect_failure((1002,), rule="RFC6455 5.5")


#: Payloads of pongs no ping asked for.
UNSOLICITED_PONGS = {
    "empty": b"",
    "text": b"unsolicited pong payload",
    "125-bytes": ping_payload(125),
}


@pytest.mark.parametrize("pong", list(UNSOLICITED_PONGS))
@case(
    "ping.unsolicited-pong.{pong}",
    title="an unsolicited pong ({pong}) is ignored",
    rfc="RFC6455 5.5.3 MAY",
    requirement="A pong may be sent unsolicited and expects no response: the server answers "
    "nothing to it, and a ping sent afterwards gets exactly one pong, with the ping's payload.",
    autobahn=lambda pong: {"empty": "2.7", "text": "2.8"}.get(pong),
)
async def test_unsolicited_pong_is_ignored(wsspec_client: Client, pong: str) -> None:
    ws = await wsspec_client.open()
    await ws.send_frame(Opcode.PONG, UNSOLICITED_PONGS[pong])
    await ws.send_frame(Opcode.PING, b"after the pong")
    await ws.expect_pong(b"after the pong")
    await ws.close()


@case(
    "ping.unsolicited-pong.then-ping",
    title="an unsolicited pong followed by a ping in the same write: one pong, for the ping",
    rfc="RFC6455 5.5.3 MUST",
    requirement="A server receiving an unsolicited pong and then a ping answers the ping "
    "alone, with a pong carrying the ping's payload, not the unsolicited pong's.",
    autobahn="2.9",
)
async def test_unsolicited_pong_then_ping(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.send_frames([Frame(Opcode.PONG, b"unsolicited pong payload"),
                           Frame(Opcode.PING, b"ping payload")])
    await ws.expect_pong(b"ping payload")
    await ws.close()


@pytest.mark.parametrize("writes", ["one-write", "frame-wise", "octets"])
@case(
    "ping.pong.ten-in-a-row.{writes}",
    title="ten pings sent back to back ({writes}) get their pongs, in order",
    rfc="RFC6455 5.5.3 MUST",
    requirement="A server receiving ten pings in a row, in one TCP write, one write per frame, "
    "or octet by octet, answers them in order with pongs carrying their payloads; it may "
    "skip pings it had not answered yet, never the last.",
    autobahn=lambda writes: {"one-write": "2.10", "octets": "2.11"}.get(writes),
)
async def test_ten_pings_get_ten_pongs(wsspec_client: Client, writes: str) -> None:
    # payloads two bits apart at least, so that no pong with one bit wrong answers another
    pings = [Frame(Opcode.PING, f"payload-{i}{i}".encode()) for i in range(10)]
    ws = await wsspec_client.open()
    if writes == "frame-wise":
        for ping in pings:
            await ws.send_frames([ping])
    else:
        await ws.send_frames(pings, chunks=(1,) if writes == "octets" else None)
    answered = await ws.expect_pongs([ping.payload for ping in pings])
    if len(answered) < len(pings):
        wsspec_client.record.downgrade(
            Verdict.INFORMATIONAL,
            f"{len(answered)} of {len(pings)} pings answered; RFC 6455 5.5.3 lets a server "
            "answer only the most recent of the pings it had not answered yet",
        )
    await ws.close()
