"""Client cases: masking (RFC 6455 §5.1, §5.3, §10.3).

Every frame a client sends is masked (the suite's reader refuses an unmasked
one in every case); here the keys themselves are judged over many frames:
no key repeats, none is zero, they do not count up or stay constant, and
every bit of the key varies — the signs of a key that a server, or a
script in a browser, could predict. A server's masked frame is refused.
"""

from __future__ import annotations

import itertools

from wsspec.clientside.cases import client_case
from wsspec.clientside.script import Exchange, Fails, Send, run, text
from wsspec.clientside.session import ClientUnderTest
from wsspec.protocol import Opcode
from wsspec.verdicts import fail

#: frames whose mask keys are judged (the birthday bound leaves a repeat among 64 random
#: 32-bit keys at about 5e-7).
KEY_FRAMES = 64

#: bits set among KEY_FRAMES * 32 random bits: 1024 on average, sigma 22.6; beyond six
#: sigma either way the keys are not uniform.
_BITS = KEY_FRAMES * 32
_BIT_SLACK = 136


def judge_keys(keys: list[bytes]) -> list[str]:
    """Every sign of predictable masking keys among ``keys``, one sentence each."""
    problems: list[str] = []
    numbers = [int.from_bytes(key, "big") for key in keys]
    if any(number == 0 for number in numbers):
        problems.append(f"{numbers.count(0)} keys are zero (the payload goes out in clear)")
    repeated = len(numbers) - len(set(numbers))
    if repeated:
        problems.append(f"{repeated} keys repeat an earlier one")
    steps = {(b - a) % 2**32 for a, b in itertools.pairwise(numbers)}
    if len(steps) == 1 and len(numbers) > 2:
        problems.append(f"each key is the previous one plus {steps.pop():#x} (a counter)")
    fixed = [bit for bit in range(32) if len({(n >> bit) & 1 for n in numbers}) == 1]
    if fixed and len(set(numbers)) > 1:
        problems.append(f"bits {', '.join(map(str, fixed))} of the key never change")
    ones = sum(bin(number).count("1") for number in numbers)
    expected = len(numbers) * 16
    if abs(ones - expected) > _BIT_SLACK * len(numbers) / KEY_FRAMES:
        problems.append(f"{ones} of {len(numbers) * 32} key bits are set, "
                        f"{expected} expected of random keys")
    return problems


@client_case(
    "client.framing.mask.keys",
    title=f"masking keys over {KEY_FRAMES} frames: unpredictable",
    rfc="RFC6455 5.3 MUST",
    requirement="The masking key MUST be derived from a strong source of entropy, and the key "
                "of one frame MUST NOT make the key of the next simple to predict.",
    needs=("echo",),
)
def test_mask_keys(wsspec_client_under_test: ClientUnderTest) -> None:
    connection = wsspec_client_under_test.open()
    messages = [f"mask {n}".encode() for n in range(KEY_FRAMES)]
    connection.send([text(message) for message in messages])
    for message in messages:
        connection.expect_echo(Opcode.TEXT, message)
    keys = connection.mask_keys[:KEY_FRAMES]
    shown = " ".join(key.hex() for key in keys[:8]) + (" …" if len(keys) > 8 else "")
    problems = judge_keys(keys)
    observed = f"{len(set(keys))} distinct keys in {len(keys)} frames: {shown}"
    if problems:
        fail(f"unpredictable masking keys over {len(keys)} frames",
             f"{observed}; " + "; ".join(problems))
    connection.record.observe(f"unpredictable masking keys over {len(keys)} frames", observed)
    connection.close()


@client_case(
    "client.framing.mask.every-frame",
    title="every frame masked: data, pong and close",
    rfc="RFC6455 5.3 MUST",
    requirement="A client MUST mask all frames that it sends to the server, control frames "
                "included.",
    needs=("echo",),
)
def test_every_frame_masked(wsspec_client_under_test: ClientUnderTest) -> None:
    connection = wsspec_client_under_test.open()
    connection.send_frame(Opcode.BINARY, b"\x00\x01\x02")
    connection.expect_echo(Opcode.BINARY, b"\x00\x01\x02")
    connection.send_frame(Opcode.PING, b"masked?")
    connection.expect_pong(b"masked?")
    connection.close()
    connection.record.observe("every frame masked",
                              f"{len(connection.mask_keys)} frames, all masked")


SERVER_MASKED = Exchange("server-frame-masked", None, "a masked text frame from the server", (
    Send(text("Hello, world!", mask_key=b"\x37\xfa\x21\x3d")),
    Fails("a masked frame from the server")))


@client_case(
    "client.framing.mask.server-frame-masked",
    title="a masked frame from the server: the connection is failed",
    rfc="RFC6455 5.1 MUST",
    requirement="A client MUST close a connection if it detects a masked frame.",
)
def test_masked_server_frame(wsspec_client_under_test: ClientUnderTest) -> None:
    run(wsspec_client_under_test, SERVER_MASKED)
