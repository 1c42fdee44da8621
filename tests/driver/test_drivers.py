"""The driver contract, checked against real loopback sockets for every driver.

Each test runs once per driver (the ``name`` fixture); the servers are plain
threads, so the same server code faces asyncio and trio alike.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from wsspec.driver import (
    DRIVER_NAMES,
    READ_CHUNK,
    ConnectFailed,
    DeadlineExceeded,
    Driver,
    DriverError,
    StreamEnd,
    TLSOptions,
    current_runtime,
    gather,
    get_runtime,
)
from wsspec.wirelog import WireLog

from . import servers
from .servers import LoopbackServer

#: slack on every timing assertion: the loop, the scheduler and CI all add latency.
SLACK = 1.0


@pytest.fixture(params=DRIVER_NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> servers.Certificate:
    made = servers.make_certificate(tmp_path_factory.mktemp("tls"))
    if isinstance(made, str):
        pytest.skip(made)
    return made


@pytest.fixture
def wirelog() -> WireLog:
    return WireLog()


def run(name: str, wirelog: WireLog,
        body: Callable[[Driver], Awaitable[Any]]) -> Any:
    """Run ``body`` with a fresh driver on ``name``'s loop, closing it whatever happens."""

    async def main() -> Any:
        driver = get_runtime(name).connection(wirelog)
        try:
            return await body(driver)
        finally:
            await driver.aclose()

    return get_runtime(name).run(main)


async def receive_all(driver: Driver, *, timeout: float = 5.0,
                      limit: int = 64 << 20) -> tuple[list[bytes], StreamEnd | None]:
    """Every chunk until the stream ends (or ``timeout`` passes, or ``limit`` bytes)."""
    chunks: list[bytes] = []
    deadline = driver.clock() + timeout
    while sum(map(len, chunks)) <= limit and driver.clock() < deadline:
        got = await driver.receive(deadline - driver.clock())
        if isinstance(got, StreamEnd):
            return chunks, got
        if got is None:
            break
        chunks.append(got)
    return chunks, None


def events(wirelog: WireLog) -> list[str]:
    return [e.data for e in wirelog.entries if e.kind == "event"]


@pytest.fixture
def serve() -> Iterator[Callable[..., LoopbackServer]]:
    """Start loopback servers that are stopped when the test ends."""
    started: list[LoopbackServer] = []

    def start(handler: servers.Handler, **options: Any) -> LoopbackServer:
        server = LoopbackServer(handler, **options).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# bytes in and out


def test_echo_of_raw_bytes(name: str, wirelog: WireLog,
                           serve: Callable[..., LoopbackServer]) -> None:
    server = serve(servers.echo)
    payload = bytes(range(256)) * 4

    async def body(driver: Driver) -> bytes:
        await driver.connect(server.host, server.port)
        assert await driver.send(payload) is None
        received = b""
        while len(received) < len(payload):
            got = await driver.receive(5.0)
            assert isinstance(got, bytes), got
            received += got
        return received

    assert run(name, wirelog, body) == payload
    assert events(wirelog)[0] == f"connected to 127.0.0.1:{server.port} (tcp)"


def test_chopped_send_makes_separate_writes(name: str, wirelog: WireLog,
                                            serve: Callable[..., LoopbackServer]) -> None:
    server = serve(servers.record_reads)
    payload = servers.pattern(1000)

    async def body(driver: Driver) -> None:
        await driver.connect(server.host, server.port)
        # 3, 300, 3, 300, 3, 300, 3, 88: sizes cycled, the last write what is left
        assert await driver.send(payload, chunks=[3, 300], pause=0.05) is None

    run(name, wirelog, body)
    assert server.handled.wait(5.0)
    out = [e.data["length"] for e in wirelog.entries if e.dir == "out"]
    assert out == [3, 300, 3, 300, 3, 300, 3, 88]
    with server.lock:
        reads = list(server.reads)
    assert b"".join(reads) == payload
    # With TCP_NODELAY and a pause, each write normally arrives on its own; a
    # loaded machine may still merge some, so only demand that they were not
    # all merged into one.
    assert len(reads) >= 2


def test_pause_is_honoured(name: str, wirelog: WireLog,
                           serve: Callable[..., LoopbackServer]) -> None:
    server = serve(servers.record_reads)

    async def body(driver: Driver) -> float:
        await driver.connect(server.host, server.port)
        start = driver.clock()
        await driver.send(b"abcd", chunks=[1], pause=0.05)
        return driver.clock() - start

    assert run(name, wirelog, body) >= 4 * 0.05


def test_receive_deadline_returns_none(name: str, wirelog: WireLog,
                                       serve: Callable[..., LoopbackServer]) -> None:
    server = serve(servers.silent)

    async def body(driver: Driver) -> tuple[object, float]:
        await driver.connect(server.host, server.port)
        start = driver.clock()
        got = await driver.receive(0.2)
        return got, driver.clock() - start

    got, waited = run(name, wirelog, body)
    assert got is None
    assert 0.2 - 0.01 <= waited < 0.2 + SLACK


@pytest.mark.parametrize(("handler", "end"), [
    (servers.send_then_fin(b"bye"), StreamEnd.FIN),
    (servers.send_then_reset(b"bye"), StreamEnd.RESET),
], ids=["fin", "reset"])
def test_fin_is_told_from_reset(name: str, wirelog: WireLog,
                                serve: Callable[..., LoopbackServer],
                                handler: servers.Handler, end: StreamEnd) -> None:
    server = serve(handler)

    async def body(driver: Driver) -> tuple[list[bytes], StreamEnd | None, object]:
        await driver.connect(server.host, server.port)
        await driver.send(b"go")  # the reset handler waits for it
        chunks, seen = await receive_all(driver)
        again = await driver.receive(5.0)
        return chunks, seen, again

    chunks, seen, again = run(name, wirelog, body)
    assert seen is end
    assert again is end  # a StreamEnd sticks
    assert b"".join(chunks) == b"bye"  # the bytes sent before the end come first
    ends = [e for e in events(wirelog) if "FIN" in e or "reset" in e]
    assert len(ends) == 1, ends  # recorded once


def test_send_to_a_peer_that_reset_returns_the_end(name: str, wirelog: WireLog,
                                                   serve: Callable[..., LoopbackServer]
                                                   ) -> None:
    server = serve(servers.send_then_reset(b""))

    async def body(driver: Driver) -> list[StreamEnd | None]:
        await driver.connect(server.host, server.port)
        assert await driver.send(b"go") is None
        assert server.handled.wait(5.0)  # the server has reset the connection
        results = []
        for _ in range(20):  # the first writes may still be accepted by the kernel
            results.append(await driver.send(b"x" * 1000, timeout=2.0))
            if results[-1] is not None:
                break
            await driver.sleep(0.01)
        return results

    results = run(name, wirelog, body)
    assert results[-1] is StreamEnd.RESET


# connecting


def test_connect_refused_names_the_address(name: str, wirelog: WireLog) -> None:
    port = servers.closed_port()

    async def body(driver: Driver) -> None:
        await driver.connect("127.0.0.1", port, timeout=2.0)

    with pytest.raises(ConnectFailed) as failure:
        run(name, wirelog, body)
    assert str(failure.value) == f"connection refused by 127.0.0.1:{port}"
    assert events(wirelog) == [f"connect failed: connection refused by 127.0.0.1:{port}"]


def test_connect_to_unknown_host(name: str, wirelog: WireLog) -> None:
    async def body(driver: Driver) -> None:
        # .invalid never resolves (RFC 6761)
        await driver.connect("no-such-host.invalid", 80, timeout=2.0)

    with pytest.raises(ConnectFailed, match=r"^cannot resolve host 'no-such-host.invalid'"):
        run(name, wirelog, body)


def test_tls_against_plain_text_server(name: str, wirelog: WireLog,
                                       serve: Callable[..., LoopbackServer]) -> None:
    server = serve(servers.http_reply)

    async def body(driver: Driver) -> None:
        await driver.connect(server.host, server.port, tls=TLSOptions(insecure=True),
                             timeout=2.0)

    start = time.monotonic()
    with pytest.raises(ConnectFailed, match=rf"^TLS handshake with 127.0.0.1:{server.port} "
                                            r"failed: "):
        run(name, wirelog, body)
    assert time.monotonic() - start < 2.0 + SLACK


def test_tls_against_silent_server_keeps_the_deadline(name: str, wirelog: WireLog,
                                                     serve: Callable[..., LoopbackServer]
                                                     ) -> None:
    server = serve(servers.silent)

    async def body(driver: Driver) -> None:
        await driver.connect(server.host, server.port, tls=TLSOptions(insecure=True),
                             timeout=0.3)

    start = time.monotonic()
    with pytest.raises(ConnectFailed) as failure:
        run(name, wirelog, body)
    assert time.monotonic() - start < 0.3 + SLACK
    assert str(failure.value) == (f"TLS handshake with 127.0.0.1:{server.port} failed: "
                                  "no reply within 0.3 s")


def test_tls_self_signed_is_refused_by_default(name: str, wirelog: WireLog,
                                               serve: Callable[..., LoopbackServer],
                                               certificate: servers.Certificate) -> None:
    server = serve(servers.echo, tls=certificate.server_context())

    async def body(driver: Driver) -> None:
        await driver.connect(server.host, server.port, tls=TLSOptions(), timeout=2.0)

    with pytest.raises(ConnectFailed, match=r"certificate verify failed: self.signed"):
        run(name, wirelog, body)


@pytest.mark.parametrize("trust", ["insecure", "ca_file"])
def test_tls_echo(name: str, wirelog: WireLog, serve: Callable[..., LoopbackServer],
                  certificate: servers.Certificate, trust: str) -> None:
    server = serve(servers.echo, tls=certificate.server_context())
    options = (TLSOptions(insecure=True) if trust == "insecure"
               else TLSOptions(ca_file=str(certificate.cert_file)))

    async def body(driver: Driver) -> bytes:
        await driver.connect(server.host, server.port, tls=options, timeout=2.0)
        assert await driver.send(b"over tls", chunks=[5]) is None
        received = b""
        while len(received) < 8:
            got = await driver.receive(2.0)
            assert isinstance(got, bytes), got
            received += got
        return received

    assert run(name, wirelog, body) == b"over tls"
    assert events(wirelog)[0].startswith(f"connected to 127.0.0.1:{server.port} (tls TLSv1.")


def test_tls_server_hostname_is_checked(name: str, wirelog: WireLog,
                                        serve: Callable[..., LoopbackServer],
                                        certificate: servers.Certificate) -> None:
    server = serve(servers.echo, tls=certificate.server_context())
    options = TLSOptions(ca_file=str(certificate.cert_file), server_hostname="example.com")

    async def body(driver: Driver) -> None:
        await driver.connect(server.host, server.port, tls=options, timeout=2.0)

    with pytest.raises(ConnectFailed, match=r"certificate verify failed: .*mismatch"):
        run(name, wirelog, body)


@pytest.mark.parametrize(("handler", "end"), [
    (servers.send_then_fin(b"bye"), StreamEnd.FIN),
    (servers.send_then_fin(b"bye", close_notify=False), StreamEnd.FIN),
    (servers.send_then_reset(b"bye"), StreamEnd.RESET),
], ids=["close_notify", "eof_without_close_notify", "reset"])
def test_tls_stream_end(name: str, wirelog: WireLog, serve: Callable[..., LoopbackServer],
                        certificate: servers.Certificate, handler: servers.Handler,
                        end: StreamEnd) -> None:
    server = serve(handler, tls=certificate.server_context())

    async def body(driver: Driver) -> tuple[list[bytes], StreamEnd | None]:
        await driver.connect(server.host, server.port, tls=TLSOptions(insecure=True))
        await driver.send(b"go")  # the reset handler waits for it
        return await receive_all(driver)

    chunks, seen = run(name, wirelog, body)
    assert seen is end
    assert b"".join(chunks) == b"bye"


# deadlines and caps


@pytest.mark.parametrize("over", ["tcp", "tls"])
def test_send_to_a_peer_that_does_not_read_is_bounded(name: str, wirelog: WireLog,
                                                      serve: Callable[..., LoopbackServer],
                                                      certificate: servers.Certificate,
                                                      over: str) -> None:
    server = serve(servers.silent, rcvbuf=65536,
                   tls=certificate.server_context() if over == "tls" else None)
    tls = TLSOptions(insecure=True) if over == "tls" else None

    async def body(driver: Driver) -> float:
        await driver.connect(server.host, server.port, tls=tls)
        start = driver.clock()
        with pytest.raises(DriverError, match=r"did not complete within 1.0 s"):
            await driver.send(bytes(32 << 20), timeout=1.0)
        elapsed = driver.clock() - start
        with pytest.raises(DriverError, match="stalled"):
            await driver.send(b"more")
        # reading still works after a stalled write (a server may have said why)
        assert await driver.receive(0.1) is None
        return elapsed

    assert 1.0 - 0.01 <= run(name, wirelog, body) < 1.0 + SLACK
    assert any(e.startswith("write of 33554432 bytes did not complete") for e in events(wirelog))


def test_one_task_sends_while_another_receives(name: str, wirelog: WireLog,
                                              serve: Callable[..., LoopbackServer]) -> None:
    server = serve(servers.echo)
    payload = servers.pattern(4 << 20)  # far more than the socket buffers hold

    async def body(driver: Driver) -> bytes:
        await driver.connect(server.host, server.port)
        received = bytearray()

        async def reader() -> None:
            while len(received) < len(payload):
                got = await driver.receive(5.0)
                assert isinstance(got, bytes), got
                received.extend(got)

        async def writer() -> None:
            assert await driver.send(payload, chunks=[65536]) is None

        await gather(reader, writer)
        return bytes(received)

    assert run(name, wirelog, body) == payload


def test_big_receive_comes_in_capped_chunks(name: str, wirelog: WireLog,
                                            serve: Callable[..., LoopbackServer]) -> None:
    size = 1 << 20
    server = serve(servers.bulk(size))

    async def body(driver: Driver) -> tuple[list[bytes], StreamEnd | None]:
        await driver.connect(server.host, server.port)
        return await receive_all(driver)

    chunks, end = run(name, wirelog, body)
    assert end is StreamEnd.FIN
    assert all(0 < len(c) <= READ_CHUNK for c in chunks)
    assert b"".join(chunks) == servers.pattern(size)


def test_wirelog_records_both_directions_in_order(name: str, wirelog: WireLog,
                                                  serve: Callable[..., LoopbackServer]
                                                  ) -> None:
    server = serve(servers.echo)

    async def body(driver: Driver) -> None:
        await driver.connect(server.host, server.port)
        await driver.send(b"ping")
        got = await driver.receive(5.0)
        assert got == b"ping"
        await driver.sleep(0.01)
        await driver.send(b"again")
        assert await driver.receive(5.0) == b"again"

    run(name, wirelog, body)
    raw = [(e.dir, bytes.fromhex(e.data["hex"])) for e in wirelog.entries if e.kind == "bytes"]
    assert raw == [("out", b"ping"), ("in", b"ping"), ("out", b"again"), ("in", b"again")]
    times = [e.t for e in wirelog.entries]
    assert times == sorted(times)
    assert events(wirelog)[-1] == "connection closed by the client"


# lifecycle and misuse


def test_aclose_is_idempotent(name: str, wirelog: WireLog,
                              serve: Callable[..., LoopbackServer]) -> None:
    server = serve(servers.echo)

    async def body(driver: Driver) -> None:
        await driver.aclose()  # before connect: nothing to do
        other = get_runtime(name).connection(wirelog)
        await other.connect(server.host, server.port)
        await other.aclose()
        await other.aclose()
        with pytest.raises(DriverError, match="closed"):
            await other.send(b"x")
        with pytest.raises(DriverError, match="closed"):
            await other.receive(0.1)

    run(name, wirelog, body)
    assert events(wirelog).count("connection closed by the client") == 1


def test_use_before_connect_is_a_driver_error(name: str, wirelog: WireLog) -> None:
    async def body(driver: Driver) -> None:
        with pytest.raises(DriverError, match="before connect"):
            await driver.receive(0.1)
        with pytest.raises(DriverError, match="before connect"):
            await driver.send(b"x")

    run(name, wirelog, body)


def test_bad_chunk_sizes_are_refused(name: str, wirelog: WireLog,
                                     serve: Callable[..., LoopbackServer]) -> None:
    server = serve(servers.record_reads)

    async def body(driver: Driver) -> None:
        await driver.connect(server.host, server.port)
        for chunks in ([], [0], [4, -1]):
            with pytest.raises(ValueError, match="chunks"):
                await driver.send(b"data", chunks=chunks)

    run(name, wirelog, body)


def test_run_returns_the_result_on_its_own_runtime(name: str) -> None:
    runtime = get_runtime(name)

    async def body() -> int:
        assert current_runtime() is runtime
        driver = runtime.connection(WireLog())
        start = driver.clock()
        await runtime.sleep(0.01)
        return 42 if driver.clock() >= start + 0.01 else 0

    assert runtime.run(body) == 42
    with pytest.raises(RuntimeError, match="no wsspec runtime"):
        current_runtime()


def test_run_with_a_timeout_cancels_and_says_so(name: str) -> None:
    runtime = get_runtime(name)
    cancelled = []

    async def forever() -> None:
        try:
            await runtime.sleep(3600)
        finally:
            cancelled.append(True)

    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=r"within 0\.05 s"):
        runtime.run(forever, timeout=0.05)
    assert cancelled == [True]
    assert time.monotonic() - started < SLACK


def test_within_returns_what_finishes_in_time(name: str) -> None:
    runtime = get_runtime(name)

    async def quick() -> str:
        return "done"

    async def body() -> str:
        return await runtime.within(5.0, quick)

    assert runtime.run(body) == "done"


def test_every_driver_module_registers_a_runtime_of_its_name() -> None:
    assert DRIVER_NAMES == ("asyncio", "trio")
    for name in DRIVER_NAMES:
        assert get_runtime(name).name == name


def test_unknown_driver_name_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'nope'.*asyncio, trio"):
        get_runtime("nope")


def test_tls_options_verify_by_default() -> None:
    assert TLSOptions().context().verify_mode is ssl.CERT_REQUIRED
    assert TLSOptions().context().check_hostname
    assert TLSOptions(insecure=True).context().verify_mode is ssl.CERT_NONE
