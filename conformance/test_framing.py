"""Framing (RFC 6455 sections 5.1-5.2 and 6.2; Autobahn|Testsuite 1.x).

Data frames at every payload-length boundary of the three length forms
(7-bit up to 125, 16-bit up to 65535, 64-bit beyond), in one TCP write and
chopped into many, must be echoed byte for byte (Autobahn 1.1.x text, 1.2.x
binary). Beyond Autobahn: an unmasked client frame and a 64-bit length with
its most significant bit set must fail the connection, and a length written
in a longer form than needed is graded either way (see
:func:`test_non_minimal_length_is_accepted_or_refused`).

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import pytest
from wsspec.cases import case
from wsspec.driver.base import StreamEnd
from wsspec.dsl import Client, describe_event
from wsspec.failure_shapes import Level
from wsspec.protocol.close import encode_close_payload, parse_close_payload
from wsspec.protocol.frames import Frame, LengthForm, Opcode
from wsspec.protocol.messages import Message
from wsspec.verdicts import CaseFailed, Verdict, unsupported

KIND_OPCODES = {"text": Opcode.TEXT, "binary": Opcode.BINARY}

#: Payload lengths at the edges of the three length forms, then beyond them.
ECHO_SIZES = (0, 125, 126, 127, 128, 65535, 65536, 65537, 2**20)

#: Autobahn 1.1.x (text) / 1.2.x (binary): the last digit for each size sent in one write.
_AUTOBAHN_ONE_WRITE = {0: 1, 125: 2, 126: 3, 127: 4, 128: 5, 65535: 6, 65536: 7}

_TEXT_ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 *.-"


def payload_of(kind: str, size: int) -> str | bytes:
    """A ``size``-byte message: ASCII text, or binary holding every byte value."""
    if kind == "text":
        return (_TEXT_ALPHABET * (size // len(_TEXT_ALPHABET) + 1))[:size].decode("ascii")
    return (bytes(range(256)) * (size // 256 + 1))[:size]


def chop_sizes(size: int) -> tuple[int, ...]:
    """TCP write sizes for a chopped frame: octet-wise for a small frame, else
    997-byte writes (Autobahn 1.1.8), which cut the header and payload at odd places."""
    return (1,) if size <= 128 else (997,)


def require_message_size(wsspec_client: Client, size: int) -> None:
    """Grade the case unsupported when the profile declares a smaller message size limit."""
    limits = wsspec_client.profile.limits
    if limits is not None and limits.max_message_size is not None and (
            size > limits.max_message_size):
        unsupported(f"limits.max_message_size ({limits.max_message_size}) is below "
                    f"this {size}-byte message")


def _autobahn_echo(kind: str, size: int, writes: str) -> str | None:
    section = "1.1" if kind == "text" else "1.2"
    if writes == "one-write" and size in _AUTOBAHN_ONE_WRITE:
        return f"{section}.{_AUTOBAHN_ONE_WRITE[size]}"
    if writes == "chopped" and size == 65536:
        return f"{section}.8"
    return None


@case(
    "framing.echo.text",
    title="a short text message is echoed",
    rfc="RFC6455 6.2 MUST",
    requirement="A server receiving a text message delivers it unchanged; an echo server sends "
    "it back as one text message.",
    autobahn="1.1.2",
    needs=("echo",),
)
async def test_text_message_is_echoed(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
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
async def test_binary_message_is_echoed(wsspec_client: Client) -> None:
    ws = await wsspec_client.open()
    await ws.expect_echo(bytes(range(256)) * 2)
    await ws.close()


@pytest.mark.parametrize("writes", ["one-write", "chopped"])
@pytest.mark.parametrize("size", ECHO_SIZES)
@pytest.mark.parametrize("kind", list(KIND_OPCODES))
@case(
    "framing.size.{kind}.{size}.{writes}",
    title="a {kind} message of {size} bytes in one frame ({writes}) is echoed",
    rfc="RFC6455 5.2 MUST",
    requirement="A server reads the payload length in whichever of the 7-bit, 16-bit and 64-bit "
    "forms the size needs, however the frame is cut into TCP writes, and delivers a {size}-byte "
    "{kind} message unchanged; an echo server sends it back as one {kind} message.",
    autobahn=_autobahn_echo,
    needs=("echo",),
)
async def test_message_is_echoed_at_every_length(wsspec_client: Client, kind: str, size: int,
                                                 writes: str) -> None:
    require_message_size(wsspec_client, size)
    ws = await wsspec_client.open()
    data = payload_of(kind, size)
    chunks = chop_sizes(size) if writes == "chopped" else None
    await ws.expect_echo(data, chunks=chunks)
    await ws.close()


#: (opcode, payload) of unmasked client frames; the close row carries a normal 1000.
UNMASKED_FRAMES = {
    "text-empty": (Opcode.TEXT, b""),
    "text": (Opcode.TEXT, b"Hello, world!"),
    "binary-empty": (Opcode.BINARY, b""),
    "binary": (Opcode.BINARY, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"),
    "ping": (Opcode.PING, b"Hello, world!"),
    "close": (Opcode.CLOSE, encode_close_payload(1000, "")),
}


@pytest.mark.parametrize("frame", list(UNMASKED_FRAMES))
@case(
    "framing.unmasked.{frame}",
    title="an unmasked {frame} frame from the client fails the connection",
    rfc="RFC6455 5.1 MUST",
    requirement="A server closes the connection on receiving an unmasked frame (it may send "
    "1002 first) and processes nothing after it: the {frame} frame is neither echoed nor "
    "answered, and a ping sent after it gets no pong.",
)
async def test_unmasked_frame_fails_connection(wsspec_client: Client, frame: str) -> None:
    opcode, payload = UNMASKED_FRAMES[frame]
    ws = await wsspec_client.open()
    await ws.send_frame(opcode, payload, masked=False)
    await ws.send_frame(Opcode.PING, b"must not be answered")
    await ws.expect_failure((1002,), rule="RFC6455 5.1", level=Level.MUST_CLOSE)


#: 64-bit length fields with the most significant bit set, and the bytes sent after them.
TOP_BIT_LENGTHS = {
    "0x8000000000000000": (2**63, b""),
    "0x8000000000000005": (2**63 + 5, b"Hello"),
    "0xffffffffffffffff": (2**64 - 1, b""),
}


@pytest.mark.parametrize("length", list(TOP_BIT_LENGTHS))
@pytest.mark.parametrize("kind", list(KIND_OPCODES))
@case(
    "framing.length.top-bit.{kind}.{length}",
    title="a {kind} frame with a 64-bit length of {length} (top bit set) fails the connection",
    rfc="RFC6455 5.2 MUST",
    requirement="In the 64-bit length form the most significant bit must be 0 (5.2), so a "
    "{kind} frame declaring {length} bytes is invalid data, and a server validates what it "
    "receives (10.7): it fails the connection (1002, or 1009 for a length no one can hold) "
    "instead of waiting for the payload.",
)
async def test_length_with_top_bit_fails_connection(wsspec_client: Client, kind: str,
                                                    length: str) -> None:
    declared, payload = TOP_BIT_LENGTHS[length]
    ws = await wsspec_client.open()
    await ws.send_frame(KIND_OPCODES[kind], payload, length_form=LengthForm.LONG,
                        declared_length=declared)
    await ws.expect_failure((1002, 1009), rule="RFC6455 5.2")


#: (opcode, payload size, length form): each length written in a longer form than needed.
NON_MINIMAL = {
    "text-5-in-16bit": (Opcode.TEXT, 5, LengthForm.MEDIUM),
    "text-5-in-64bit": (Opcode.TEXT, 5, LengthForm.LONG),
    "binary-0-in-16bit": (Opcode.BINARY, 0, LengthForm.MEDIUM),
    "binary-125-in-16bit": (Opcode.BINARY, 125, LengthForm.MEDIUM),
    "binary-126-in-64bit": (Opcode.BINARY, 126, LengthForm.LONG),
    "binary-65535-in-64bit": (Opcode.BINARY, 65535, LengthForm.LONG),
    "ping-5-in-16bit": (Opcode.PING, 5, LengthForm.MEDIUM),
}


@pytest.mark.parametrize("frame", list(NON_MINIMAL))
@case(
    "framing.length.non-minimal.{frame}",
    title="a frame with a non-minimal length ({frame}) is either processed or refused with 1002",
    rfc="RFC6455 5.2 MUST",
    requirement="RFC 6455 5.2 requires the sender to use the minimal length encoding but does "
    "not say what a receiver must do with a longer one, so both answers pass: processing the "
    "frame ({frame}) as if its length were minimal, or failing the connection with 1002 "
    "(without a close frame: non-strict); what the server did is recorded.",
    needs=("echo",),
)
async def test_non_minimal_length_is_accepted_or_refused(wsspec_client: Client, frame: str) -> None:
    opcode, size, form = NON_MINIMAL[frame]
    data = payload_of("text" if opcode == Opcode.TEXT else "binary", size)
    payload = data.encode() if isinstance(data, str) else data
    ws = await wsspec_client.open()
    await ws.send_frame(opcode, payload, length_form=form)
    await ws.send_frame(Opcode.PING, b"after")
    answer = "a pong with the same payload" if opcode == Opcode.PING else "the echo"
    expected = (f"{answer} and a pong for the following ping; or the connection failed with "
                "1002 (RFC6455 5.2)")
    event = await ws.next_event()
    if isinstance(event, StreamEnd):
        wsspec_client.record.observe(expected, "refused: TCP closed without a close frame")
        wsspec_client.record.downgrade(
            Verdict.NON_STRICT,
            "TCP closed without a close frame (RFC6455 7.1.7 SHOULD send one first)",
        )
        return
    if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
        info = parse_close_payload(event.payload)
        if info.code != 1002:
            raise CaseFailed(expected, f"close frame with code {info.code}", ws.wirelog.tail())
        wsspec_client.record.observe(expected, "refused: close frame 1002")
        await ws.send_close(1002)
        await ws.expect_tcp_close()
        return
    # Accepted: the answer and the pong may come in either order, since an echo
    # server's application may answer after the protocol layer's pong.
    awaited = {"answer", "pong"}
    while awaited:
        if "answer" in awaited and _answers(event, opcode, payload):
            awaited.remove("answer")
        elif "pong" in awaited and _answers(event, Opcode.PING, b"after"):
            awaited.remove("pong")
        else:
            raise CaseFailed(
                expected, describe_event(event, wsspec_client.timeout), ws.wirelog.tail()
            )
        if awaited:
            event = await ws.next_event()
    wsspec_client.record.observe(
        expected, f"accepted: {answer} came back, and the pong for the ping"
    )
    await ws.close()


def _answers(event: Frame | Message | StreamEnd | None, opcode: int, payload: bytes) -> bool:
    """Whether ``event`` answers a frame of ``opcode``: a pong for a ping, else an echo."""
    if opcode == Opcode.PING:
        return isinstance(event, Frame) and event.opcode == Opcode.PONG and (
            event.payload == payload)
    return isinstance(event, Message) and event.opcode == opcode and event.data == payload
