"""Client cases: permessage-deflate (RFC 7692), for a client that declares it offers it.

The offer is well formed and one the suite's strict negotiation can honour;
once agreed, compressed messages (one, or several in a row, which share the
compression context unless no_context_takeover was agreed) are inflated and
echoed; once declined, the client compresses nothing.
"""

from __future__ import annotations

import pytest
from wsspec.clientside.cases import client_case
from wsspec.clientside.session import ClientUnderTest
from wsspec.protocol import Opcode

KINDS = {"text": (Opcode.TEXT, b"Hello, compressed world! "),
         "binary": (Opcode.BINARY, bytes(range(256)))}

#: (name, payload size, messages in a row)
SHAPES = [("16B", 16, 1), ("4KiB", 4096, 1), ("64KiB", 65536, 1), ("10x1KiB", 1024, 10)]


@client_case(
    "client.deflate.offer",
    title="the client offers permessage-deflate, well formed",
    rfc="RFC7692 5 MUST",
    requirement="A client offers permessage-deflate in Sec-WebSocket-Extensions with "
                "parameters of RFC 7692 §7.1, each once, with valid values.",
    needs=("deflate",),
)
def test_offer(wsspec_client_under_test: ClientUnderTest) -> None:
    connection = wsspec_client_under_test.connect()
    agreed = connection.accept_deflate()
    connection.record.observe("a valid permessage-deflate offer",
                              f"answered {agreed.element!r}")
    connection.close()


@client_case(
    "client.deflate.echo.{kind}-{shape}",
    title="compressed {kind} messages ({shape}) are inflated and echoed",
    rfc="RFC7692 7.2.2 MUST",
    requirement="An endpoint inflates a message with RSV1 set by appending 00 00 ff ff to its "
                "payload and decompressing it with the agreed window and context takeover.",
    needs=("deflate", "echo"),
)
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("shape", [name for name, _, _ in SHAPES])
def test_compressed_echo(wsspec_client_under_test: ClientUnderTest, kind: str,
                         shape: str) -> None:
    opcode, pattern = KINDS[kind]
    _, size, count = next(row for row in SHAPES if row[0] == shape)
    connection = wsspec_client_under_test.connect()
    connection.accept_deflate()
    for n in range(count):
        data = (pattern * (size // len(pattern) + 1))[:size - 1] + bytes([0x30 + n])
        connection.send_compressed(opcode, data)
        connection.expect_echo(opcode, data)
    connection.close()


@client_case(
    "client.deflate.declined",
    title="after the server declines deflate, the client compresses nothing",
    rfc="RFC7692 6 MUST",
    requirement="Without a negotiated extension that defines RSV1, the client MUST NOT set it: "
                "a declined offer means plain frames.",
    needs=("deflate", "echo"),
)
def test_declined(wsspec_client_under_test: ClientUnderTest) -> None:
    connection = wsspec_client_under_test.open()  # a 101 without Sec-WebSocket-Extensions
    data = b"plain " * 200
    connection.send_frame(Opcode.TEXT, data)
    connection.expect_echo(Opcode.TEXT, data)
    connection.close()
