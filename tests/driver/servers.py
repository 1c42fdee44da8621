"""Loopback servers for the driver tests: blocking sockets, a thread per connection.

Threads rather than an event loop, so that one server serves the asyncio and
the trio driver alike and never shares a loop with the code under test. Every
server listens on 127.0.0.1 with port 0, every socket has a timeout, and
``stop`` (the context manager's exit) unblocks and joins all threads.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

#: a handler runs in its own thread with the accepted socket; it must return
#: once ``server.stopping`` is set or its socket is shut down.
Handler = Callable[[socket.socket, "LoopbackServer"], None]

#: no server thread waits longer than this for its peer.
SOCKET_TIMEOUT = 10.0


class LoopbackServer:
    """A TCP (or TLS) server on 127.0.0.1 running ``handler`` for each connection.

    ``reads`` collects whatever handlers choose to record (under ``lock``);
    ``rcvbuf`` shrinks the accepted sockets' receive buffer so a server that
    does not read stalls its client quickly.
    """

    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None,
                 rcvbuf: int | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.rcvbuf = rcvbuf
        self.lock = threading.Lock()
        self.reads: list[bytes] = []
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()
        self.handled = threading.Event()  # set when a handler has returned
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self.host = "127.0.0.1"
        self.port = 0

    def __enter__(self) -> LoopbackServer:
        if self.rcvbuf is not None:
            # set before listen() so accepted sockets inherit it (and the window it implies)
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self._listener.bind((self.host, 0))
        self._listener.listen(16)
        # a timeout lets the accept loop notice ``stopping``
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=5.0)
        self._listener.close()
        for conn in conns:
            conn.close()

    def _spawn(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(SOCKET_TIMEOUT)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self._conns.append(conn)
            self._spawn(functools.partial(self._serve, conn))

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
                with self.lock:
                    self._conns.append(conn)
            self.handler(conn, self)
        except (OSError, ssl.SSLError) as exc:
            # the client side of a test may well break the connection on purpose
            with self.lock:
                self.errors.append(exc)
        finally:
            conn.close()
            self.handled.set()


def drain(conn: socket.socket, server: LoopbackServer) -> None:
    """Read and discard until EOF, so closing afterwards sends a FIN, not a reset."""
    while not server.stopping.is_set():
        if not conn.recv(65536):
            return


def echo(conn: socket.socket, server: LoopbackServer) -> None:
    """Send back every byte, then close in order after the client's FIN."""
    while data := conn.recv(65536):
        conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)


def record_reads(conn: socket.socket, server: LoopbackServer) -> None:
    """Keep each ``recv`` result in ``server.reads`` until the client's FIN."""
    while data := conn.recv(65536):
        with server.lock:
            server.reads.append(data)


def send_then_fin(payload: bytes, *, close_notify: bool = True) -> Handler:
    """Send ``payload``, then close in order: a FIN, after a TLS close_notify unless
    ``close_notify`` is false (many servers omit it)."""

    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        conn.sendall(payload)
        if isinstance(conn, ssl.SSLSocket) and close_notify:
            # unwrap() sends close_notify, then waits for the client's; a client
            # that only answers when it closes must not hold this thread long.
            conn.settimeout(1.0)
            try:
                conn = conn.unwrap()
            except (OSError, ssl.SSLError):
                return
        conn.shutdown(socket.SHUT_WR)
        drain(conn, server)

    return handler


def send_then_reset(payload: bytes) -> Handler:
    """Wait for one byte from the client, send ``payload``, then abort the connection
    (SO_LINGER 0 makes close() send a reset).

    Waiting for the client first keeps the reset from racing its connect: a reset
    that lands before the client has seen the connection up fails the connect.
    """

    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        conn.recv(1)
        conn.sendall(payload)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return handler


def silent(conn: socket.socket, server: LoopbackServer) -> None:
    """Hold the connection open, reading nothing, until the server stops."""
    server.stopping.wait(SOCKET_TIMEOUT)


def bulk(size: int) -> Handler:
    """Send ``size`` bytes of a counting pattern, then close in order."""

    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        conn.sendall(pattern(size))
        conn.shutdown(socket.SHUT_WR)
        drain(conn, server)

    return handler


def http_reply(conn: socket.socket, server: LoopbackServer) -> None:
    """A plain-text HTTP server: answer whatever arrives with a 400 and close."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.shutdown(socket.SHUT_WR)
    drain(conn, server)


def pattern(size: int) -> bytes:
    """``size`` bytes that show where a chunk came from if one is lost or reordered."""
    return bytes(i % 251 for i in range(size))


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""

    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


def make_certificate(folder: Path) -> Certificate | str:
    """A fresh self-signed certificate in ``folder``, or why one cannot be made.

    Uses the ``cryptography`` package when it is installed, else the ``openssl``
    command line tool.
    """
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    try:
        _make_with_cryptography(cert_file, key_file)
        return Certificate(cert_file, key_file)
    except ImportError:
        pass
    openssl = shutil.which("openssl")
    if openssl is None:
        return "neither the cryptography package nor the openssl tool is available"
    result = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
         "-keyout", str(key_file), "-out", str(cert_file)],
        capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0:
        return f"openssl could not make a certificate: {result.stderr.strip()[:200]}"
    return Certificate(cert_file, key_file)


def _make_with_cryptography(cert_file: Path, key_file: Path) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
