"""Opening handshake (RFC 6455 section 4): what the server must answer to a client's request."""

from __future__ import annotations

from harness.cases import case
from harness.conversation import Client


@case(
    "handshake.accept.valid",
    title="a valid opening handshake is accepted with a correct Sec-WebSocket-Accept",
    rfc="RFC6455 4.2.2 MUST",
    requirement="A server accepting a valid request answers 101 with Upgrade: websocket, "
    "Connection: Upgrade and Sec-WebSocket-Accept = base64(SHA-1(key + GUID)).",
)
async def test_valid_handshake_is_accepted(client: Client) -> None:
    ws = await client.open()
    client.record.observe("101 with a correct Sec-WebSocket-Accept",
                          f"{ws.response.status}, Sec-WebSocket-Accept "
                          f"{ws.response.get('Sec-WebSocket-Accept')[0]}")
    await ws.close()
