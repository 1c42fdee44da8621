"""Each fault observably breaks its rule, and the reference server does not.

Every check below is a probe that answers "is the rule broken?"; it is run
against the faulty server (must say yes) and the reference server (must say
no), so a probe that cannot tell them apart fails too.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake
from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.errors import ProtocolViolation, Violation
from wsspec.protocol.frames import Frame, FrameParser, Opcode, encode_frame
from wsspec.protocol.handshake import HandshakeResponse, ResponseParser, build_request
from wsspec.targets.faulty import FAULTS, SECTIONS, WHOLE, behaviour_with
from wsspec.targets.faulty.registry import fault
from wsspec.targets.reference import RunningServer, run_in_thread
from wsspec.targets.reference.server import Behaviour

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 3.0
QUIET = 0.3  # how long "nothing arrives" is watched for


class Client:
    """A raw client; frames from the server parsed strictly (violations raise)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.parser = FrameParser(expect_masked=False)
        self.pending: list[Frame] = []
        self.request = build_request("127.0.0.1", "/")
        self.sock.sendall(self.request.encode())
        parser = ResponseParser()
        response = None
        while response is None:
            data = self.sock.recv(65536)
            response = parser.feed(data) if data else parser.feed_eof()
            assert data or response is not None
        self.response: HandshakeResponse = response
        self.pending += self.parser.feed(parser.trailing)

    def send(self, opcode: int, payload: bytes = b"", *, masked: bool = True) -> None:
        key = os.urandom(4) if masked else None
        self.sock.sendall(encode_frame(opcode, payload, mask_key=key))

    def recv(self, timeout: float = DEADLINE) -> Frame | None:
        """The next frame; ``None`` at EOF or when nothing comes within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            while not self.pending:
                data = self.sock.recv(65536)
                if not data:
                    return None
                self.pending += self.parser.feed(data)
        except (TimeoutError, ConnectionResetError):
            return None
        return self.pending.pop(0)

    def close(self) -> None:
        self.sock.close()


def _echo(port: int, opcode: int, payload: bytes, *, masked: bool = True) -> Frame | None:
    client = Client(port)
    client.send(opcode, payload, masked=masked)
    try:
        return client.recv()
    finally:
        client.close()


def bad_accept(port: int) -> bool:
    async def attempt() -> None:
        async with connect(f"ws://127.0.0.1:{port}/", open_timeout=DEADLINE, compression=None):
            pass

    try:
        asyncio.run(attempt())
    except InvalidHandshake:
        return True
    return False


def no_upgrade_header(port: int) -> bool:
    return not Client(port).response.get("Upgrade")


def binary_as_text(port: int) -> bool:
    echo = _echo(port, Opcode.BINARY, b"\x01\x02")
    return echo is not None and echo.opcode == Opcode.TEXT


def corrupt_echo(port: int) -> bool:
    echo = _echo(port, Opcode.TEXT, "héllo".encode())
    return echo is not None and echo.payload != "héllo".encode()


def no_echo(port: int) -> bool:
    client = Client(port)
    client.send(Opcode.TEXT, b"echo me")
    client.send(Opcode.PING, b"marker")
    first = client.recv()
    return first is not None and first.opcode == Opcode.PONG


def no_pong(port: int) -> bool:
    client = Client(port)
    client.send(Opcode.PING, b"marker")
    client.send(Opcode.TEXT, b"after")
    first = client.recv()
    return first is not None and first.opcode == Opcode.TEXT


def pong_wrong_payload(port: int) -> bool:
    pong = _echo(port, Opcode.PING, b"payload")
    return pong is not None and pong.opcode == Opcode.PONG and pong.payload != b"payload"


def _violation_seen(port: int, violation: Violation) -> bool:
    try:
        _echo(port, Opcode.TEXT, b"hi")
    except ProtocolViolation as exc:
        return exc.violation is violation
    return False


def masked_frames(port: int) -> bool:
    return _violation_seen(port, Violation.MASKED_FRAME)


def rsv_set(port: int) -> bool:
    return _violation_seen(port, Violation.RSV_BITS)


def non_minimal_length(port: int) -> bool:
    return _violation_seen(port, Violation.NON_MINIMAL_LENGTH)


def no_close_reply(port: int) -> bool:
    client = Client(port)
    client.send(Opcode.CLOSE, encode_close_payload(1000))
    nothing = client.recv(timeout=QUIET) is None and not _eof(client)
    client.send(Opcode.PING, b"still there?")
    answer = client.recv()
    return nothing and answer is not None and answer.opcode == Opcode.PONG


def _eof(client: Client) -> bool:
    client.sock.settimeout(QUIET)
    try:
        return client.sock.recv(1) == b""
    except TimeoutError:
        return False


def close_1005_on_wire(port: int) -> bool:
    reply = _echo(port, Opcode.CLOSE, encode_close_payload(1000))
    return reply is not None and reply.opcode == Opcode.CLOSE and reply.payload[:2] == b"\x03\xed"


def accept_unmasked(port: int) -> bool:
    echo = _echo(port, Opcode.TEXT, b"naked", masked=False)
    return echo is not None and echo.opcode == Opcode.TEXT


def accept_reserved_opcode(port: int) -> bool:
    client = Client(port)
    client.send(0x5, b"future")
    client.send(Opcode.PING, b"marker")
    answer = client.recv()
    return answer is not None and answer.opcode == Opcode.PONG


def ignore_utf8(port: int) -> bool:
    echo = _echo(port, Opcode.TEXT, b"\xce\xba\xff")
    return echo is not None and echo.opcode == Opcode.TEXT


CHECKS: dict[str, Callable[[int], bool]] = {
    "bad-accept": bad_accept,
    "no-upgrade-header": no_upgrade_header,
    "binary-as-text": binary_as_text,
    "corrupt-echo": corrupt_echo,
    "no-echo": no_echo,
    "no-pong": no_pong,
    "pong-wrong-payload": pong_wrong_payload,
    "masked-frames": masked_frames,
    "rsv-set": rsv_set,
    "no-close-reply": no_close_reply,
    "close-1005-on-wire": close_1005_on_wire,
    "accept-unmasked": accept_unmasked,
    "accept-reserved-opcode": accept_reserved_opcode,
    "ignore-utf8": ignore_utf8,
    "non-minimal-length": non_minimal_length,
}


@pytest.fixture(scope="module")
def reference() -> Iterator[RunningServer]:
    server = run_in_thread()
    yield server
    server.stop()


def test_every_check_names_a_fault_and_every_fault_states_its_rule() -> None:
    # Faults of the policy and deflate families are proven by running their
    # sections against them (tests/policies, tests/deflate, tests/trust).
    assert set(CHECKS) <= set(FAULTS)
    for declared in FAULTS.values():
        assert "RFC" in declared.rule or "Profile" in declared.rule


@pytest.mark.parametrize("name", list(CHECKS))
def test_fault_breaks_its_rule(name: str, reference: RunningServer) -> None:
    assert not CHECKS[name](reference.port), "the reference server breaks the rule"
    server = run_in_thread(behaviour=behaviour_with([name]))
    try:
        assert CHECKS[name](server.port), f"{name}: the rule is not observably broken"
    finally:
        server.stop()


def test_faults_combine() -> None:
    server = run_in_thread(
        behaviour=behaviour_with(["binary-as-text", "corrupt-echo", "no-pong"]))
    try:
        assert binary_as_text(server.port)
        assert corrupt_echo(server.port)
        assert no_pong(server.port)
    finally:
        server.stop()


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="no-such"):
        behaviour_with(["no-such"])
    assert behaviour_with([]) is Behaviour


def test_each_fault_is_declared_in_the_module_of_its_section() -> None:
    modules = {module.__name__ for module in SECTIONS}
    for declared in FAULTS.values():
        assert declared.behaviour.__module__ == f"wsspec.targets.faulty.{declared.section}"
        assert declared.behaviour.__module__ in modules
        assert declared.sections, declared.name


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "no-pong"}, "declared twice"),
    ({"profile": "nowhere"}, "unknown profile 'nowhere'"),
    ({"verdict": "error"}, "verdict must be one of"),
    ({"catches": ()}, "name the cases"),
])
def test_bad_declaration_is_refused(kwargs: dict[str, object], message: str) -> None:
    declaration: dict[str, object] = {"name": "new-fault", "rule": "RFC 6455 5.1: ...",
                                      "catches": ("framing.*",), **kwargs}
    with pytest.raises(ValueError, match=message):
        fault(**declaration)(type("NewFault", (Behaviour,), {}))  # type: ignore[arg-type]
    assert "new-fault" not in FAULTS


@pytest.mark.parametrize("module", ["wsspec.targets.reference", "wsspec.targets.faulty"])
def test_servers_import_neither_the_plugin_nor_each_other_back(module: str) -> None:
    code = (f"import sys, {module}; print(' '.join(sorted(m for m in sys.modules if "
            "m.startswith(('wsspec.targets.faulty', 'wsspec.plugin')))))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=20, check=True).stdout.split()
    assert "wsspec.plugin" not in loaded
    if module == "wsspec.targets.reference":
        assert loaded == []  # the faulty servers build on it, not the reverse


def test_cli_lists_faults_and_requires_one() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "wsspec.targets.faulty", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert listed.returncode == 0
    assert {line.split()[0] for line in listed.stdout.splitlines()} == {*FAULTS, *WHOLE}
    missing = subprocess.run(
        [sys.executable, "-m", "wsspec.targets.faulty", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert missing.returncode == 2 and len(missing.stderr.splitlines()) == 1
    unknown = subprocess.run(
        [sys.executable, "-m", "wsspec.targets.faulty", "--fault", "no-such", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert unknown.returncode == 2 and len(unknown.stderr.splitlines()) == 1
    assert "unknown fault 'no-such'" in unknown.stderr
