"""The closing handshake (RFC 6455 sections 5.5.1, 7.1 and 7.4; Autobahn|Testsuite 7.x).

A server receiving a close frame answers it with a close frame (echoing the
code, or 1000), discards whatever the client sends after it, sends no data
after its own close frame, and closes the TCP connection first. A close frame
whose payload breaks a rule (one byte, a reason that is not UTF-8, a code no
range of RFC 6455 7.4 allows, more than 125 bytes) fails the connection.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from wsspec.cases import case
from wsspec.driver.base import StreamEnd
from wsspec.dsl import Client, Connection, describe_close, describe_event
from wsspec.protocol.close import (
    CloseCodeKind,
    CloseInfo,
    classify_close_code,
    is_beyond_rfc6455_ranges,
    is_registered_after_rfc6455,
)
from wsspec.protocol.frames import Frame, Opcode
from wsspec.protocol.messages import Message
from wsspec.verdicts import CaseFailed, Verdict


async def expect_close_reply(ws: Connection, codes: tuple[int | None, ...]) -> CloseInfo:
    """After the client's close, the next frame must be the server's close and
    then the TCP connection must end, with nothing in between (RFC 6455 5.5.1).

    A reply whose code is not among ``codes`` (the code sent, 1000, or an
    empty close for an empty one) is still a valid answer, but the code is
    usually echoed: non-strict.
    """
    shown = " or ".join("an empty payload" if c is None else str(c) for c in codes)
    expected = f"a close frame answering the client's close ({shown}), then TCP close " \
               "(RFC6455 5.5.1)"
    event = await next_after_close(ws)
    if not isinstance(event, Frame) or event.opcode != Opcode.CLOSE:
        raise CaseFailed(expected, describe_event(event, ws.client.timeout), ws.wirelog.tail())
    info = ws.close_received or CloseInfo(None)
    if info.code not in codes:
        ws.record.downgrade(
            Verdict.NON_STRICT,
            f"close answered with {describe_close(info)}; the code received is usually echoed "
            "(RFC6455 5.5.1)",
        )
    await ws.expect_tcp_close()
    ws.record.observe(expected, f"close frame {describe_close(info)}, then TCP close")
    return info


async def next_after_close(ws: Connection,
                           timeout: float | None = None) -> Frame | Message | StreamEnd | None:
    """The next event once the client has sent its close, skipping the server's
    own pings (a heartbeat may have sent one before the close arrived; the
    client no longer answers them, RFC 6455 5.5.2)."""
    while True:
        event = await ws.next_event(timeout)
        if not (isinstance(event, Frame) and event.opcode == Opcode.PING):
            return event


def autobahn_row(autobahn: str | None = None, **_: object) -> str | None:
    """The Autobahn|Testsuite id of a table row (None where Autobahn has no such case)."""
    return autobahn


def row_names(table: Sequence[tuple[object, ...]]) -> list[str]:
    """Test ids for a table whose first column names the row."""
    return [str(row[0]) for row in table]


# -- answering a close ----------------------------------------------------------


@case(
    "close.normal.1000",
    title="a message is echoed, then a close with 1000 is answered and the server closes TCP",
    rfc="RFC6455 5.5.1 MUST",
    requirement="An endpoint receiving a close frame answers with a close frame, and the "
    "server then closes the TCP connection.",
    autobahn="7.1.1",
    needs=("echo",),
)
async def test_close_is_answered(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.expect_echo("Hello World!")
    info = await ws.close(1000)
    wsspec_client.record.observe(
        "the message echoed, then a close frame answering 1000, then TCP close (RFC6455 5.5.1)",
        f"echoed, close frame {describe_close(info)}, TCP close",
    )


ANSWERED_PAYLOADS = [
    ("empty", "an empty payload", None, "", "7.3.1"),
    ("code-only", "code 1000 and no reason", 1000, "", "7.3.3"),
    ("code-and-reason", "code 1000 and a short reason", 1000, "Hello World!", "7.3.4"),
    ("reason-123-bytes", "code 1000 and a 123-byte reason (125 bytes in all)", 1000, "*" * 123,
     "7.3.5"),
    ("reason-utf8", "code 1000 and a reason in multi-byte UTF-8", 1000, "κόσμε — Καλημέρα",
     None),
]


@pytest.mark.parametrize(
    ("name", "what", "code", "reason", "autobahn"), ANSWERED_PAYLOADS,
    ids=row_names(ANSWERED_PAYLOADS))
@case(
    "close.payload.{name}",
    title="a close frame with {what} is answered",
    rfc="RFC6455 5.5.1 MUST",
    requirement="A close frame's payload is empty, or a 2-byte code then a UTF-8 reason, 125 "
    "bytes at most; a server receiving one answers with a close frame and closes TCP.",
    autobahn=autobahn_row,
)
async def test_valid_close_payload_is_answered(wsspec_client: Client, name: str, what: str,
                                               code: int | None, reason: str,
                                               autobahn: str | None) -> None:
    ws = await wsspec_client.open()
    await ws.send_close(code, reason)
    await expect_close_reply(ws, (None, 1000) if code is None else (code, 1000))


#: codes a close frame may carry (RFC 6455 7.4.1, 7.4.2 and the IANA registry);
#: the answer echoes the code or says 1000.
VALID_CODES = [
    # code  Autobahn   meaning
    (1000, "7.7.1"),   # normal closure
    (1001, "7.7.2"),   # going away
    (1002, "7.7.3"),   # protocol error
    (1003, "7.7.4"),   # unsupported data
    (1007, "7.7.5"),   # invalid frame payload data
    (1008, "7.7.6"),   # policy violation
    (1009, "7.7.7"),   # message too big
    (1010, "7.7.8"),   # mandatory extension (sent by clients)
    (1011, "7.7.9"),   # internal error
    (1012, None),      # service restart (IANA)
    (1013, None),      # try again later (IANA)
    (1014, None),      # bad gateway (IANA)
    (3000, "7.7.10"),  # first code registered with IANA
    (3999, "7.7.11"),  # last code registered with IANA
    (4000, "7.7.12"),  # first code for private use
    (4999, "7.7.13"),  # last code for private use
]
assert all(classify_close_code(code) is CloseCodeKind.VALID for code, _ in VALID_CODES)


@pytest.mark.parametrize(("code", "autobahn"), VALID_CODES)
@case(
    "close.code.valid-{code}",
    title="a close frame with valid code {code} is answered, echoing the code or with 1000",
    rfc="RFC6455 5.5.1 MUST",
    requirement="A server receiving a close frame with a valid code ({code}) answers with a "
    "close frame, typically echoing the code, then closes TCP.",
    autobahn=autobahn_row,
)
async def test_valid_close_code_is_answered(wsspec_client: Client, code: int,
                                            autobahn: str | None) -> None:
    ws = await wsspec_client.open()
    if is_registered_after_rfc6455(code):
        # Registered with IANA after RFC 6455, in the range its 7.4.2 reserves for the
        # protocol: an implementation of the RFC alone does not know the code, and may
        # answer it as the reserved code it is to it, with 1002.
        await ws.send_close(code)
        info = await expect_close_reply(ws, (code, 1000, 1002))
        if info.code == 1002:
            wsspec_client.record.downgrade(
                Verdict.INFORMATIONAL,
                f"{code} answered with 1002: the code is registered with IANA, not defined "
                "by RFC 6455, whose 7.4.2 reserves 1000-2999; either answer is allowed",
            )
        return
    info = await ws.close(code)
    wsspec_client.record.observe(
        f"a close frame with {code} or 1000, then TCP close (RFC6455 5.5.1)",
        f"close frame {describe_close(info)}, then TCP close",
    )


# -- close frames that fail the connection --------------------------------------


MALFORMED_PAYLOADS = [
    ("one-byte", "a 1-byte payload", b"a", "7.3.2"),
    ("reason-124-bytes", "a 124-byte reason (126 bytes in all)",
     (1000).to_bytes(2, "big") + b"*" * 124, "7.3.6"),
]


@pytest.mark.parametrize(
    ("name", "what", "payload", "autobahn"), MALFORMED_PAYLOADS, ids=row_names(MALFORMED_PAYLOADS))
@case(
    "close.payload.{name}",
    title="a close frame with {what} fails the connection with 1002",
    rfc="RFC6455 5.5.1 MUST",
    requirement="A close payload is a 2-byte code and a reason, 125 bytes in all "
    "(RFC 6455 5.5, 5.5.1); a server receiving any other fails the connection with 1002.",
    autobahn=autobahn_row,
)
async def test_malformed_close_payload_fails(wsspec_client: Client, name: str, what: str,
                                             payload: bytes, autobahn: str) -> None:
    ws = await wsspec_client.open()
    await ws.send_frame(Opcode.CLOSE, payload)
    await ws.expect_failure((1002,))


INVALID_REASONS = [
    # Autobahn's payload: "κόσμε" then ED A0 80 (a UTF-16 surrogate), then "edited"
    ("surrogate", bytes.fromhex("cebae1bdb9cf83cebcceb5eda080656469746564"), "7.5.1"),
    ("truncated", "κόσμε".encode()[:-1], None),
    ("overlong", b"ok \xc0\xaf", None),
]


@pytest.mark.parametrize(
    ("name", "reason", "autobahn"), INVALID_REASONS, ids=row_names(INVALID_REASONS))
@case(
    "close.reason.invalid-utf8-{name}",
    title="a close reason that is not UTF-8 ({name}) fails the connection with 1007",
    rfc="RFC6455 8.1 MUST",
    requirement="A close reason is UTF-8 (RFC 6455 5.5.1); an endpoint finding it is not "
    "fails the connection, with 1007 (invalid frame payload data).",
    autobahn=autobahn_row,
)
async def test_close_reason_must_be_utf8(wsspec_client: Client, name: str, reason: bytes,
                                         autobahn: str | None) -> None:
    ws = await wsspec_client.open()
    await ws.send_close(1000, reason)
    ended = await ws.expect_failure((1007, 1002))
    if isinstance(ended, CloseInfo) and ended.code == 1002:
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            "failed with 1002; 1007 is the code for data that is not valid UTF-8 (RFC6455 7.4.1)",
        )


#: codes no close frame may carry: RFC 6455 7.4.2 leaves 0-999 unused and keeps
#: 1000-2999 for the RFC and its extensions; 7.4.1 says 1005, 1006 and 1015
#: MUST NOT be sent; no range is defined above 4999.
INVALID_CODES = [(code, classify_close_code(code).value, autobahn) for code, autobahn in [
    # code   Autobahn
    (0, "7.9.1"),
    (999, "7.9.2"),
    (1004, "7.9.3"),      # reserved
    (1005, "7.9.4"),      # "no status received": never on the wire
    (1006, "7.9.5"),      # "abnormal closure": never on the wire
    (1015, None),         # "TLS handshake failed": never on the wire
    (1016, "7.9.6"),      # first unassigned code of the RFC's own range
    (1100, "7.9.7"),
    (2000, "7.9.8"),
    (2999, "7.9.9"),      # last code of the RFC's own range
    (5000, "7.13.1"),     # above every range RFC 6455 defines
    (65535, "7.13.2"),
]]
assert all(kind != CloseCodeKind.VALID.value for _, kind, _ in INVALID_CODES)


@pytest.mark.parametrize(("code", "kind", "autobahn"), INVALID_CODES)
@case(
    "close.code.invalid-{code}",
    title="a close frame with the {kind} code {code} fails the connection with 1002",
    rfc="RFC6455 10.7 MUST",
    requirement="A server validates incoming data: a close code outside the ranges RFC 6455 "
    "7.4 allows ({code}) is a protocol error, and the server fails the connection with 1002 "
    "instead of answering the close.",
    autobahn=autobahn_row,
)
async def test_invalid_close_code_fails(wsspec_client: Client, code: int, kind: str,
                                        autobahn: str | None) -> None:
    ws = await wsspec_client.open()
    await ws.send_close(code)
    if not is_beyond_rfc6455_ranges(code):
        await ws.expect_failure((1002,))
        return
    # RFC 6455 stops defining ranges at 4999; Autobahn 7.13 leaves codes above
    # it to the implementation, so an ordinary answer is recorded, not failed.
    ended = await ws.expect_failure((1002, 1000))
    if isinstance(ended, CloseInfo) and ended.code == 1000:
        wsspec_client.record.downgrade(
            Verdict.INFORMATIONAL,
            f"code {code} ({kind}) answered with 1000; RFC 6455 defines "
            "no range above 4999, so either answer is allowed",
        )


# -- after the close frame -------------------------------------------------------


AFTER_CLOSE = [
    # name, what follows the close frame, its opcode and payload, Autobahn
    ("second-close", "a second close frame", Opcode.CLOSE, b"", "7.1.2"),
    ("ping", "a ping", Opcode.PING, b"after close", "7.1.3"),
    ("text", "a text message", Opcode.TEXT, b"Hello World!", "7.1.4"),
    ("fragment", "the rest of a fragmented message", Opcode.CONTINUATION, b"fragment2", "7.1.5"),
]


@pytest.mark.parametrize(
    ("name", "what", "opcode", "payload", "autobahn"), AFTER_CLOSE, ids=row_names(AFTER_CLOSE))
@case(
    "close.after.{name}",
    title="{what} sent after the close frame is discarded",
    rfc="RFC6455 5.5.1 MUST",
    requirement="A server receiving a close frame answers it once and discards what follows "
    "(RFC 6455 1.4): no pong (5.5.2), no echo, no second close, and no data after its own "
    "close frame.",
    autobahn=autobahn_row,
)
async def test_input_after_close_is_discarded(wsspec_client: Client, name: str, what: str,
                                              opcode: Opcode, payload: bytes,
                                              autobahn: str) -> None:
    ws = await wsspec_client.open()
    if opcode == Opcode.CONTINUATION:
        await ws.send_frame(Opcode.TEXT, b"fragment1", fin=False)
    await ws.send_close(1000)
    await ws.send_frame(opcode, payload)
    await expect_close_reply(ws, (1000,))


BEFORE_CLOSE = [
    ("short", 0, None),
    ("256KiB", 256 * 1024, "7.1.6"),
]


@pytest.mark.parametrize(
    ("name", "size", "autobahn"), BEFORE_CLOSE, ids=row_names(BEFORE_CLOSE))
@case(
    "close.order.messages-then-close-{name}",
    title="messages sent before a close are echoed before the server's close, never after",
    rfc="RFC6455 5.5.1 MUST",
    requirement="After sending a close frame a server sends no data frame and answers no "
    "ping: messages received before the close are echoed before the server's close frame or "
    "not at all.",
    autobahn=autobahn_row,
    needs=("echo",),
)
async def test_no_data_after_close(wsspec_client: Client, name: str, size: int,
                                   autobahn: str | None) -> None:
    ws = await wsspec_client.open()
    opened = len(ws.wirelog.all_entries())
    sent: list[str] = []
    if size:
        sent.append(("BAsd7&jh23" * (size // 10 + 1))[:size])
    sent.append("Hello World!")
    for text in sent:
        await ws.send_message(text)
    await ws.send_close(1000)
    await ws.send_frame(Opcode.PING, b"after close")
    expected = "the messages echoed in order (or not at all), then a close frame, no pong, " \
               "then TCP close (RFC6455 5.5.1, 5.5.2)"
    echoed = 0
    wait = wsspec_client.timeout + size / 2**20
    while True:
        event = await next_after_close(ws, wait)
        if isinstance(event, Message) and echoed < len(sent) and \
                event.opcode == Opcode.TEXT and event.data == sent[echoed].encode():
            echoed += 1
            continue
        if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
            break
        answered = any(e.dir == "in" for e in ws.wirelog.all_entries()[opened:])
        if event is StreamEnd.RESET and answered:
            # The server had begun to answer when the ping reached a socket it had closed
            # after its close frame; the reset this draws discards whatever it had not yet
            # sent (Autobahn 7.1.6 is informational for the same reason).
            wsspec_client.record.observe(expected, f"{echoed} of {len(sent)} messages echoed, then "
                                  "the connection reset before a close frame arrived")
            wsspec_client.record.downgrade(
                Verdict.INFORMATIONAL,
                "a server that closes TCP at once after the closing handshake draws a reset "
                "from the ping sent after the client's close, which can discard its pending "
                "echo and close frame",
            )
            return
        raise CaseFailed(expected, describe_event(event, wait), ws.wirelog.tail())
    info = ws.close_received or CloseInfo(None)
    if info.code != 1000:
        ws.record.downgrade(Verdict.NON_STRICT, f"close answered with {describe_close(info)}; "
                            "1000 was sent (RFC6455 5.5.1)")
    await ws.expect_tcp_close()
    wsspec_client.record.observe(
        expected,
        f"{echoed} of {len(sent)} messages echoed, then close frame "
        f"{describe_close(info)}, then TCP close",
    )
    if echoed < len(sent):
        wsspec_client.record.downgrade(
            Verdict.INFORMATIONAL,
            "the close was processed before every message was echoed: allowed, the messages "
            "arrived just before the close",
        )


# -- the TCP connection ------------------------------------------------------------


@case(
    "close.tcp.server-closes-first",
    title="after the close handshake the server closes TCP at once, with a FIN",
    rfc="RFC6455 5.5.1 MUST",
    requirement="After sending and receiving a close frame the server closes the underlying "
    "TCP connection immediately, without waiting for the client (5.5.1), and cleanly, with a "
    "FIN rather than a reset (7.1.1 SHOULD).",
)
async def test_server_closes_tcp_first(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.send_close(1000)
    event = await next_after_close(ws)
    if not isinstance(event, Frame) or event.opcode != Opcode.CLOSE:
        raise CaseFailed("a close frame answering the client's close (RFC6455 5.5.1)",
                         describe_event(event, wsspec_client.timeout), ws.wirelog.tail())
    start = ws.driver.clock()
    end = await ws.expect_tcp_close()
    elapsed = ws.driver.clock() - start
    wsspec_client.record.observe(
        "the server closes TCP right after its close frame, the client's side still open "
        "(RFC6455 5.5.1)",
        f"TCP {end.value} {elapsed * 1000:.1f} ms after the server's close frame",
    )
    if end is StreamEnd.RESET:
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            "TCP ended with a reset, not a FIN: the connection should be closed cleanly "
            "(RFC6455 7.1.1 SHOULD)",
        )
