"""Pings and pongs (RFC 6455 section 5.5.2-5.5.3; Autobahn|Testsuite 2.x)."""

from __future__ import annotations

from harness.cases import case
from harness.conversation import Client
from harness.protocol.frames import Opcode


@case(
    "ping.pong.text-payload",
    title="a ping is answered by a pong with the same payload",
    rfc="RFC6455 5.5.3 MUST",
    requirement="An endpoint receiving a ping sends a pong whose application data is "
    "identical to the ping's.",
    autobahn="2.2",
)
async def test_ping_is_answered_with_pong(client: Client) -> None:
    ws = await client.open()
    await ws.send_frame(Opcode.PING, b"Hello, wsspec")
    await ws.expect_pong(b"Hello, wsspec")
    await ws.close()
