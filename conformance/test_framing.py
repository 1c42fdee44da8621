"""Framing (RFC 6455 section 5; Autobahn|Testsuite 1.x): messages echoed byte for byte."""

from __future__ import annotations

from harness.cases import case
from harness.conversation import Client


@case(
    "framing.echo.text",
    title="a short text message is echoed",
    rfc="RFC6455 6.2 MUST",
    requirement="A server receiving a text message delivers it unchanged; an echo server sends "
    "it back as one text message.",
    autobahn="1.1.2",
    needs=("echo",),
)
async def test_text_message_is_echoed(client: Client) -> None:
    ws = await client.open()
    await ws.expect_echo("Hello, wsspec")
    await ws.close()


@case(
    "framing.echo.binary",
    title="a short binary message is echoed",
    rfc="RFC6455 6.2 MUST",
    requirement="A server receiving a binary message delivers it unchanged; an echo server "
    "sends it back as one binary message.",
    autobahn="1.2.2",
    needs=("echo",),
)
async def test_binary_message_is_echoed(client: Client) -> None:
    ws = await client.open()
    await ws.expect_echo(bytes(range(256)) * 2)
    await ws.close()
