"""The closing handshake (RFC 6455 sections 5.5.1 and 7; Autobahn|Testsuite 7.x)."""

from __future__ import annotations

from harness.cases import case
from harness.conversation import Client


@case(
    "close.normal.1000",
    title="a close frame with 1000 is answered and the server closes TCP",
    rfc="RFC6455 5.5.1 MUST",
    requirement="An endpoint receiving a close frame answers with a close frame, and the "
    "server then closes the TCP connection.",
    autobahn="7.1.1",
)
async def test_close_is_answered(client: Client) -> None:
    ws = await client.open()
    await ws.close(1000)
