"""Client cases: large messages and many messages (Autobahn|Testsuite 9.x), all ``slow``.

A client reads messages up to 16 MiB in one frame, 4 MiB in frames as small as
64 bytes, 1 MiB in TCP writes as small as 64 bytes, and a thousand messages one
after another, and echoes each unchanged. Each case carries ``slow``: select
them with ``-m slow`` (``-m "not slow"`` leaves them out).
"""

from __future__ import annotations

import pytest
from wsspec.clientside.cases import client_case
from wsspec.clientside.script import Echo, Exchange, Send, Step, cont, frame
from wsspec.clientside.script import run as run_exchange
from wsspec.clientside.session import ClientUnderTest
from wsspec.protocol import Frame, Opcode

KiB, MiB = 1024, 1024 * 1024
KINDS = (("text", Opcode.TEXT, b"BAsd7&jh23"), ("binary", Opcode.BINARY, b"\xfe\xed\xfa\xce"))


def _label(size: int) -> str:
    return f"{size // MiB}MiB" if size >= MiB and not size % MiB else (
        f"{size // KiB}KiB" if size >= KiB else f"{size}B")


def _payload(pattern: bytes, size: int) -> bytes:
    return (pattern * (size // len(pattern) + 1))[:size]


def _fragments(opcode: int, data: bytes, size: int) -> tuple[Frame, ...]:
    count = -(-len(data) // size)
    return tuple(frame(opcode, data[i * size:(i + 1) * size], fin=i == count - 1) if i == 0
                 else cont(data[i * size:(i + 1) * size], fin=i == count - 1)
                 for i in range(count))


def _rows() -> list[Exchange]:
    rows: list[Exchange] = []
    for group, (kind, opcode, pattern) in enumerate(KINDS):
        for n, size in enumerate((64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB), 1):
            data = _payload(pattern, size)
            rows.append(Exchange(f"{kind}-{_label(size)}", f"9.{1 + group}.{n}",
                                 f"a {kind} message of {_label(size)} in one frame",
                                 (Send(frame(opcode, data)), Echo(opcode, data))))
        data = _payload(pattern, 4 * MiB)
        for n, size in enumerate((64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB,
                                  4 * MiB), 1):
            rows.append(Exchange(f"{kind}-4MiB-in-{_label(size)}-frames", f"9.{3 + group}.{n}",
                                 f"a {kind} message of 4 MiB in frames of {_label(size)}",
                                 (Send(*_fragments(opcode, data, size)), Echo(opcode, data))))
        data = _payload(pattern, MiB)
        for n, chop in enumerate((64, 128, 256, 512, 1024, 2048), 1):
            rows.append(Exchange(f"{kind}-1MiB-in-{chop}B-writes", f"9.{5 + group}.{n}",
                                 f"a {kind} message of 1 MiB in TCP writes of {chop} bytes",
                                 (Send(frame(opcode, data), chop=chop), Echo(opcode, data))))
        for n, size in enumerate((0, 16, 64, 256, 1024, 4096), 1):
            data = _payload(pattern, size)
            steps: list[Step] = []
            for _ in range(1000):
                steps += [Send(frame(opcode, data)), Echo(opcode, data)]
            rows.append(Exchange(f"{kind}-1000-of-{_label(size)}", f"9.{7 + group}.{n}",
                                 f"a thousand {kind} messages of {_label(size)}, one at a time",
                                 tuple(steps)))
    return rows


LARGE = _rows()


@client_case(
    "client.limits.echo.{exchange}",
    title="{exchange.title}, echoed",
    rfc="RFC6455 5.2 MUST",
    requirement="The client reads frames of any length the 64-bit length field allows, "
                "fragmented or not, however TCP cuts them, and echoes each message unchanged.",
    autobahn=lambda exchange: exchange.autobahn,
    needs=("echo",),
    slow=True,
)
@pytest.mark.parametrize("exchange", LARGE, ids=str)
def test_large(wsspec_client_under_test: ClientUnderTest, exchange: Exchange) -> None:
    run_exchange(wsspec_client_under_test, exchange)
