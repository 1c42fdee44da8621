"""Reserved opcodes (RFC 6455 sections 5.2 and 7.1.7; Autobahn|Testsuite 4.x).

Opcodes 0x3-0x7 are reserved for further non-control frames, 0xB-0xF for
further control frames. With no extension defining them, a frame with any of
them must fail the connection, and nothing received after it may be
processed: every case ends with a ping that must go unanswered. Each opcode
is sent alone (empty and with a payload), after a valid message (empty and
with a payload), octet by octet, and between the fragments of a message.
The message sent ahead of the bad frame must be echoed first; a server that
fails the connection before echoing it is non-strict, as in Autobahn.

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import pytest
from wsspec.cases import case
from wsspec.dsl import Client
from wsspec.protocol.frames import Frame, Opcode

RESERVED_NON_CONTROL = (0x3, 0x4, 0x5, 0x6, 0x7)
RESERVED_CONTROL = (0xB, 0xC, 0xD, 0xE, 0xF)

HELLO = b"Hello, world!"

#: How the reserved frame is sent: (payload, a valid text message first, octet-wise writes).
VARIANTS = {
    "alone": (b"", False, False),
    "alone-with-payload": (HELLO, False, False),
    "after-message": (b"", True, False),
    "after-message-with-payload": (HELLO, True, False),
    "octets": (HELLO, True, True),
}

#: Autobahn 4.1.x (opcodes 3-7) and 4.2.x (11-15): the n-th opcode with the n-th variant.
_AUTOBAHN_VARIANT = {variant: index + 1 for index, variant in enumerate(VARIANTS)}


def _autobahn(opcode: int, variant: str) -> str | None:
    if variant not in _AUTOBAHN_VARIANT:
        return None
    group, first = (1, 0x3) if opcode in RESERVED_NON_CONTROL else (2, 0xB)
    number = _AUTOBAHN_VARIANT[variant]
    return f"4.{group}.{number}" if opcode - first + 1 == number else None


_OPCODES = [*RESERVED_NON_CONTROL, *RESERVED_CONTROL]
_ID = "opcodes.reserved.0x{opcode:X}.{variant}"
_TITLE = ("a frame with reserved opcode 0x{opcode:X} ({variant}) fails the connection; "
          "nothing after it is processed")
_RULE = "RFC6455 5.2 MUST"
_REQUIREMENT = ("A server receiving a frame with the reserved opcode 0x{opcode:X} ({variant}) "
                "fails the connection; it answers what came before the frame, and nothing "
                "after it: a ping that follows gets no pong (7.1.7).")
_PING = Frame(Opcode.PING, b"must not be answered")


@pytest.mark.parametrize("variant", ["alone", "alone-with-payload", "mid-message"])
@pytest.mark.parametrize("opcode", _OPCODES)
@case(_ID, title=_TITLE, rfc=_RULE, requirement=_REQUIREMENT, autobahn=_autobahn)
async def test_reserved_opcode_fails_connection(wsspec_client: Client, opcode: int,
                                                variant: str) -> None:
    if variant == "mid-message":
        # Control frames may come between fragments; a reserved one still fails it.
        frames = [Frame(Opcode.TEXT, b"Hello, ", fin=False), Frame(opcode, HELLO),
                  Frame(Opcode.CONTINUATION, b"world!"), _PING]
    else:
        frames = [Frame(opcode, VARIANTS[variant][0]), _PING]
    ws = await wsspec_client.open()
    await ws.send_frames(frames)
    await ws.expect_failure((1002,), rule="RFC6455 5.2, 7.1.7")


@pytest.mark.parametrize("variant", ["after-message", "after-message-with-payload", "octets"])
@pytest.mark.parametrize("opcode", _OPCODES)
@case(_ID, title=_TITLE, rfc=_RULE, requirement=_REQUIREMENT, autobahn=_autobahn,
      needs=("echo",))
async def test_reserved_opcode_after_message_fails_connection(wsspec_client: Client, opcode: int,
                                                              variant: str) -> None:
    payload, _, octets = VARIANTS[variant]
    frames = [Frame(Opcode.TEXT, HELLO), Frame(opcode, payload), _PING]
    ws = await wsspec_client.open()
    # octet by octet, writing stops once the server has closed (see Connection.send_piecewise)
    await (ws.send_piecewise(frames, octets=True) if octets else ws.send_frames(frames))
    await ws.expect_failure_after_echo(HELLO.decode(), (1002,), rule="RFC6455 5.2, 7.1.7")
