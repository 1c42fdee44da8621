"""Fragmentation (RFC 6455 section 5.4; Autobahn|Testsuite 5.x).

A fragmented message is one text or binary frame with FIN clear, any number of
continuation frames with FIN clear, and a final continuation frame with FIN
set. Control frames may come between the fragments and must not themselves be
fragmented. Any other sequence of opcodes is invalid: the server fails the
connection with 1002 and processes nothing after the bad frame.

Each sequence of frames may be written in one TCP write, one write per frame,
or one write per byte (Autobahn's "chops"): a server must not depend on how
the byte stream is cut.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from wsspec.cases import case
from wsspec.dsl import Client, Connection
from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.frames import Frame, Opcode
from wsspec.verdicts import Verdict

TEXT, BINARY, CONTINUATION, PING = Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION, Opcode.PING

#: how the frames of a case are cut into TCP writes.
CHOPS = ("one-write", "write-per-frame", "write-per-byte")


async def send_chopped(ws: Connection, frames: Sequence[Frame], chop: str) -> None:
    """Write ``frames`` in one TCP write, one write per frame, or one per byte
    (the last two stop once the server has closed, see
    :meth:`~wsspec.dsl.Connection.send_piecewise`)."""
    if chop == "one-write":
        await ws.send_frames(frames)
    else:
        await ws.send_piecewise(frames, octets=chop == "write-per-byte")


def autobahn_by(*keys: str, table: dict[tuple[str, ...], str]) -> Callable[..., str | None]:
    """An ``autobahn=`` callable looking the case's parameters ``keys`` up in ``table``."""
    return lambda **params: table.get(tuple(params[k] for k in keys))


# -- control frames are never fragmented -----------------------------------------


@case(
    "fragmentation.control-fragmented.{kind}",
    title="a {kind} frame with FIN clear, then a continuation frame, fails the connection",
    rfc="RFC6455 5.4 MUST",
    requirement="Control frames must not be fragmented: a server receiving a {kind} frame "
    "with FIN clear fails the connection with 1002.",
    autobahn=autobahn_by("kind", table={("ping",): "5.1", ("pong",): "5.2"}),
)
@pytest.mark.parametrize(("kind", "opcode", "payload"), [
    ("ping", Opcode.PING, b"fragment1"),
    ("pong", Opcode.PONG, b"fragment1"),
    ("close", Opcode.CLOSE, encode_close_payload(1000)),
])
async def test_fragmented_control_frame_fails(wsspec_client: Client, kind: str, opcode: Opcode,
                                              payload: bytes) -> None:
    ws = await wsspec_client.open()
    await ws.send_frames([Frame(opcode, payload, fin=False), Frame(CONTINUATION, b"fragment2")])
    await ws.expect_failure((1002,), rule="RFC6455 5.4")


# -- valid fragmented messages ---------------------------------------------------


@case(
    "fragmentation.two-fragments.{chop}",
    title="a text message in two fragments ({chop}) is echoed whole",
    rfc="RFC6455 5.4 MUST",
    requirement="A server accepts a message fragmented into frames and delivers their "
    "payloads concatenated in order, however the bytes are cut into TCP writes.",
    autobahn=autobahn_by("chop", table={("one-write",): "5.3", ("write-per-frame",): "5.4",
                                        ("write-per-byte",): "5.5"}),
    needs=("echo",),
)
@pytest.mark.parametrize("chop", CHOPS)
async def test_two_fragments_are_echoed(wsspec_client: Client, chop: str) -> None:
    ws = await wsspec_client.open()
    await send_chopped(ws, [Frame(TEXT, b"fragment1", fin=False),
                            Frame(CONTINUATION, b"fragment2")], chop)
    await ws.expect_message("fragment1fragment2", rule="RFC6455 5.4")
    await ws.close()


@case(
    "fragmentation.ping-between.{chop}",
    title="a ping between two text fragments ({chop}) is answered before the echo",
    rfc="RFC6455 5.4 MUST",
    requirement="An endpoint handles control frames in the middle of a fragmented message: "
    "the ping is answered with a pong at once and the message is then delivered whole.",
    autobahn=autobahn_by("chop", table={("one-write",): "5.6", ("write-per-frame",): "5.7",
                                        ("write-per-byte",): "5.8"}),
    needs=("echo",),
)
@pytest.mark.parametrize("chop", CHOPS)
async def test_ping_between_fragments(wsspec_client: Client, chop: str) -> None:
    ws = await wsspec_client.open()
    await send_chopped(ws, [Frame(TEXT, b"fragment1", fin=False),
                            Frame(PING, b"ping payload"),
                            Frame(CONTINUATION, b"fragment2")], chop)
    await ws.expect_pong(b"ping payload")
    await ws.expect_message("fragment1fragment2", rule="RFC6455 5.4")
    await ws.close()


@case(
    "fragmentation.pings-between.{chop}",
    title="a text message in five fragments with two pings between them ({chop}); "
    "the first pong comes before the message is complete",
    rfc="RFC6455 5.4 MUST",
    requirement="An endpoint handles control frames in the middle of a fragmented message: "
    "each ping is answered while the message is still incomplete, and the message is "
    "delivered whole.",
    autobahn=autobahn_by("chop", table={("one-write",): "5.19", ("write-per-frame",): "5.20"}),
    needs=("echo",),
)
@pytest.mark.parametrize("chop", ["one-write", "write-per-frame"])
async def test_pings_between_fragments(wsspec_client: Client, chop: str) -> None:
    ws = await wsspec_client.open()
    await send_chopped(ws, [Frame(TEXT, b"fragment1", fin=False),
                            Frame(CONTINUATION, b"fragment2", fin=False),
                            Frame(PING, b"pongme 1!")], chop)
    # the rest is sent only once the first pong proves the server answered mid-message
    await ws.expect_pong(b"pongme 1!")
    await send_chopped(ws, [Frame(CONTINUATION, b"fragment3", fin=False),
                            Frame(CONTINUATION, b"fragment4", fin=False),
                            Frame(PING, b"pongme 2!"),
                            Frame(CONTINUATION, b"fragment5")], chop)
    await ws.expect_pong(b"pongme 2!")
    await ws.expect_message("fragment1fragment2fragment3fragment4fragment5",
                            rule="RFC6455 5.4")
    await ws.close()


@case(
    "fragmentation.pong-between",
    title="an unsolicited pong between two text fragments is ignored",
    rfc="RFC6455 5.4 MUST",
    requirement="A pong may be sent unsolicited and expects no answer; in the middle of a "
    "fragmented message it changes nothing and the message is delivered whole.",
    needs=("echo",),
)
async def test_unsolicited_pong_between_fragments(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.send_frames([Frame(TEXT, b"fragment1", fin=False),
                          Frame(Opcode.PONG, b"unsolicited"),
                          Frame(CONTINUATION, b"fragment2")])
    await ws.expect_message("fragment1fragment2", rule="RFC6455 5.4")
    await ws.close()


@case(
    "fragmentation.binary-bytewise",
    title="a binary message in 1-byte fragments is echoed whole",
    rfc="RFC6455 5.4 MUST",
    requirement="A server accepts a message in any number of fragments, each as small as "
    "one byte, and delivers it whole.",
    needs=("echo",),
)
async def test_binary_in_one_byte_fragments(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.expect_echo(bytes(range(64)), fragment_size=1)
    await ws.close()


@case(
    "fragmentation.empty-fragment.{where}",
    title="a binary message whose {where} fragment is empty is echoed whole",
    rfc="RFC6455 5.4 MUST",
    requirement="A fragment may carry no payload; the message is delivered as the "
    "concatenation of all its fragments.",
    needs=("echo",),
)
@pytest.mark.parametrize(("where", "fragments"), [
    ("first", [b"", b"\x01\x02", b"\x03\x04"]),
    ("middle", [b"\x01\x02", b"", b"\x03\x04"]),
    ("last", [b"\x01\x02", b"\x03\x04", b""]),
])
async def test_empty_fragment(wsspec_client: Client, where: str, fragments: list[bytes]) -> None:
    ws = await wsspec_client.open()
    last = len(fragments) - 1
    await ws.send_frames([Frame(BINARY if i == 0 else CONTINUATION, data, fin=i == last)
                          for i, data in enumerate(fragments)])
    await ws.expect_message(b"".join(fragments), rule="RFC6455 5.4")
    await ws.close()


@case(
    "fragmentation.close-mid-message",
    title="a close frame in the middle of a fragmented message completes the close handshake",
    rfc="RFC6455 5.5.1 MUST",
    requirement="Control frames may come between fragments: a close received before the "
    "message is complete is answered with a close frame, the incomplete message is never "
    "delivered, and the server closes TCP.",
)
async def test_close_in_the_middle_of_a_message(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.send_frame(TEXT, b"fragment1", fin=False)
    await ws.close(1000)


# -- invalid sequences of data frames ---------------------------------------------


@case(
    "fragmentation.stray-continuation.{fin}.{chop}",
    title="a continuation frame (FIN {fin}) with nothing to continue, then a text message "
    "({chop}), fails the connection",
    rfc="RFC6455 5.4 MUST",
    requirement="A continuation frame with no message to continue is invalid: the server "
    "fails the connection with 1002 and does not deliver the text message after it.",
    autobahn=autobahn_by("fin", "chop", table={
        ("set", "one-write"): "5.9", ("set", "write-per-frame"): "5.10",
        ("set", "write-per-byte"): "5.11", ("clear", "one-write"): "5.12",
        ("clear", "write-per-frame"): "5.13", ("clear", "write-per-byte"): "5.14",
    }),
)
@pytest.mark.parametrize("chop", CHOPS)
@pytest.mark.parametrize("fin", ["set", "clear"])
async def test_stray_continuation_fails(wsspec_client: Client, fin: str, chop: str) -> None:
    ws = await wsspec_client.open()
    await send_chopped(ws, [Frame(CONTINUATION, b"non-continuation payload", fin=fin == "set"),
                            Frame(TEXT, b"Hello, world!")], chop)
    await ws.expect_failure((1002,), rule="RFC6455 5.4")


@case(
    "fragmentation.continuation-after-final",
    title="a continuation frame after a fragmented message's final frame fails the connection",
    rfc="RFC6455 5.4 MUST",
    requirement="Once a fragmented message is complete there is nothing to continue: a "
    "further continuation frame fails the connection with 1002 (the complete message "
    "before it is delivered).",
    autobahn="5.15",
    needs=("echo",),
)
async def test_continuation_after_final_fragment_fails(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.send_frames([Frame(TEXT, b"fragment1", fin=False),
                          Frame(CONTINUATION, b"fragment2"),
                          Frame(CONTINUATION, b"fragment3", fin=False),
                          Frame(TEXT, b"fragment4")])
    if await ws.poll_failure(wsspec_client.timeout, (1002,), rule="RFC6455 5.4") is not None:
        ws.record.downgrade(
            Verdict.NON_STRICT,
            "the connection failed without delivering the complete message received before "
            "the invalid frame",
        )
        return
    await ws.expect_message("fragment1fragment2", rule="RFC6455 5.4")
    await ws.expect_failure((1002,), rule="RFC6455 5.4")


@case(
    "fragmentation.stray-continuation-repeated.{fin}",
    title="twice: a continuation frame (FIN {fin}) with nothing to continue, then a text "
    "message in two fragments; the connection fails",
    rfc="RFC6455 5.4 MUST",
    requirement="A continuation frame with no message to continue fails the connection with "
    "1002; nothing after it is processed.",
    autobahn=autobahn_by("fin", table={("clear",): "5.16", ("set",): "5.17"}),
)
@pytest.mark.parametrize("fin", ["clear", "set"])
async def test_repeated_stray_continuation_fails(wsspec_client: Client, fin: str) -> None:
    ws = await wsspec_client.open()
    await ws.send_frames([Frame(CONTINUATION, b"fragment1", fin=fin == "set"),
                          Frame(TEXT, b"fragment2", fin=False),
                          Frame(CONTINUATION, b"fragment3")] * 2)
    await ws.expect_failure((1002,), rule="RFC6455 5.4")


@case(
    "fragmentation.new-message-mid-message.{first}-{second}",
    title="a {second} frame in the middle of a fragmented {first} message fails the connection",
    rfc="RFC6455 5.4 MUST",
    requirement="Until a fragmented message's final frame the only data frames allowed are "
    "continuation frames: a new {second} frame fails the connection with 1002.",
    autobahn=autobahn_by("first", "second", table={("text", "text"): "5.18"}),
)
@pytest.mark.parametrize(("first", "second"), [
    ("text", "text"), ("text", "binary"), ("binary", "text"), ("binary", "binary"),
])
async def test_new_message_inside_fragmented_message_fails(wsspec_client: Client, first: str,
                                                           second: str) -> None:
    opcodes = {"text": TEXT, "binary": BINARY}
    ws = await wsspec_client.open()
    await ws.send_frames([Frame(opcodes[first], b"fragment1", fin=False),
                          Frame(opcodes[second], b"fragment2")])
    await ws.expect_failure((1002,), rule="RFC6455 5.4")
