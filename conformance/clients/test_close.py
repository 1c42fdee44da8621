"""Client cases: the close handshake started by the server (RFC 6455 §5.5.1, §7; Autobahn 7.x).

The client answers a close frame with its own, sends nothing after it, and
leaves the TCP close to the server (§7.1.1); a close payload that breaks a
rule (one byte, a reserved or invalid code, a reason that is not UTF-8, a
payload over 125 bytes) fails the connection instead.
"""

from __future__ import annotations

import pytest
from wsspec.clientside.cases import client_case
from wsspec.clientside.script import (
    Closes,
    Echo,
    EitherCloses,
    Exchange,
    Fails,
    Send,
    close,
    cont,
    frame,
    ping,
    run,
    text,
)
from wsspec.clientside.session import ClientUnderTest
from wsspec.protocol import Opcode

TEXT = Opcode.TEXT

#: seconds the client is watched for closing TCP before the server (§7.1.1).
TCP_CLOSE_GRACE = 0.3

HANDSHAKE = [
    Exchange("after-echo", "7.1.1", "a text message, then a close frame",
             (Send(text("Hello World!")), Echo(TEXT, b"Hello World!"),
              Send(close(1000)), Closes(1000))),
    Exchange("close-twice", "7.1.2", "two close frames",
             (Send(close(1000), close(1000)), Closes(1000))),
    Exchange("ping-after-close", "7.1.3", "a close frame, then a ping",
             (Send(close(1000), ping("ping after close")), Closes(1000))),
    Exchange("text-after-close", "7.1.4", "a close frame, then a text message",
             (Send(close(1000), text("text after close")), Closes(1000))),
    Exchange("inside-fragmented-message", "7.1.5",
             "a close frame between the fragments of a message",
             (Send(text("fragment1", fin=False), close(1000), cont("fragment2")), Closes(1000))),
    Exchange("after-large-message", "7.1.6", "a 256 KiB message, a close frame, then a ping",
             (Send(text(b"BAsd7&jh23" * 26214 + b"Bl"), close(1000), ping()), Closes(1000))),
]


@client_case(
    "client.close.handshake.{exchange}",
    title="{exchange.title}: the client answers the close",
    rfc="RFC6455 5.5.1 MUST",
    requirement="An endpoint that receives a Close frame and did not send one MUST send a "
                "Close frame in response, and sends no data after it.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", HANDSHAKE, ids=str)
def test_close_handshake(wsspec_client_under_test: ClientUnderTest,
                         exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


@client_case(
    "client.close.tcp.server-closes-first",
    title="after the close frames, the client leaves the TCP close to the server",
    rfc="RFC6455 7.1.1 SHOULD",
    requirement="The underlying TCP connection SHOULD be closed first by the server; the "
                "client SHOULD wait for the server to close it.",
)
def test_server_closes_tcp_first(wsspec_client_under_test: ClientUnderTest) -> None:
    connection = wsspec_client_under_test.open()
    connection.send_frame(Opcode.CLOSE, close(1000).payload)
    connection.expect_close_reply(1000)
    connection.expect_waits_for_server_tcp_close(TCP_CLOSE_GRACE)
    connection.stream.shutdown_write()


_REASON_123 = "*" * 123

PAYLOADS = [
    Exchange("empty", "7.3.1", "a close frame without payload", (Send(close(None)), Closes(None))),
    Exchange("code-only", "7.3.3", "a close frame with code 1000", (Send(close(1000)),
                                                                    Closes(1000))),
    Exchange("code-and-reason", "7.3.4", "a close frame with code 1000 and a reason",
             (Send(close(1000, "Hello World!")), Closes(1000))),
    Exchange("reason-123", "7.3.5", "a close frame with a 123-byte reason (125 in all)",
             (Send(close(1000, _REASON_123)), Closes(1000))),
    *(Exchange(f"code-{code}", f"7.7.{n}", f"a close frame with valid code {code}",
               (Send(close(code)), Closes(code)))
      for n, code in enumerate((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000,
                                3999, 4000, 4999), start=1)),
]


@client_case(
    "client.close.payload.{exchange}",
    title="{exchange.title}: the client answers the close",
    rfc="RFC6455 7.4 MUST",
    requirement="A close payload that is empty, or a valid code and a UTF-8 reason within 125 "
                "bytes, is accepted and answered.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", PAYLOADS, ids=str)
def test_close_payload(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


BAD_PAYLOADS = [
    Exchange("one-byte", "7.3.2", "a close frame with a 1-byte payload",
             (Send(frame(Opcode.CLOSE, b"\x03")), Fails("a 1-byte close payload"))),
    Exchange("reason-124", "7.3.6", "a close frame with a 124-byte reason (126 in all)",
             (Send(frame(Opcode.CLOSE, close(1000, "*" * 124).payload)),
              Fails("a control frame over 125 bytes"))),
    Exchange("reason-not-utf8", "7.5.1", "a close frame whose reason is not UTF-8",
             (Send(close(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited")),
              Fails("a close reason that is not UTF-8", frozenset({1007, 1002})))),
    *(Exchange(f"code-{code}", f"7.9.{n}", f"a close frame with invalid code {code}",
               (Send(close(code)), Fails(f"close code {code}")))
      for n, code in enumerate((0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999), start=1)),
]


@client_case(
    "client.close.bad-payload.{exchange}",
    title="{exchange.title}: the connection is failed",
    rfc="RFC6455 7.4 MUST",
    requirement="A close frame with a 1-byte payload, a code that may not be sent, a reason "
                "that is not UTF-8 or more than 125 bytes fails the connection.",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", BAD_PAYLOADS, ids=str)
def test_bad_close_payload(wsspec_client_under_test: ClientUnderTest,
                           exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)


BEYOND = [
    Exchange(f"code-{code}", f"7.13.{n}", f"a close frame with code {code}, beyond RFC "
             f"6455's ranges", (Send(close(code)), EitherCloses(code)))
    for n, code in enumerate((5000, 65535), start=1)
]


@client_case(
    "client.close.beyond-ranges.{exchange}",
    title="{exchange.title}: accepted or refused",
    rfc="RFC6455 7.4.2 informational",
    requirement="RFC 6455 defines no range above 4999: a client may refuse such a code as "
                "invalid or take it as the application's own (either is recorded).",
    autobahn=lambda exchange: exchange.autobahn,
)
@pytest.mark.parametrize("exchange", BEYOND, ids=str)
def test_code_beyond_ranges(wsspec_client_under_test: ClientUnderTest,
                            exchange: Exchange) -> None:
    run(wsspec_client_under_test, exchange)
