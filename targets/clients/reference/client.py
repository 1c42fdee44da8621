"""The reference client (see the package docstring): one connection, echo until closed."""

from __future__ import annotations

import argparse
import contextlib
import enum
import os
import random
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from wsspec.protocol import (
    DeflateOffer,
    DeflateParams,
    Deflater,
    Frame,
    HandshakeRequest,
    HandshakeResponse,
    HandshakeViolation,
    Inflater,
    Message,
    Opcode,
    ProtocolViolation,
    Receiver,
    ResponseParser,
    Violation,
    build_offer_header,
    build_request,
    check_deflate_response,
    check_response,
    encode_close_payload,
    encode_frame,
    generate_key,
    parse_close_payload,
)

__all__ = ["ReferenceClient", "main", "parser"]

READ_CHUNK = 65536

#: connections one run may open (the first, and reconnections after lost ones).
MAX_CONNECTIONS = 20


class Outcome(enum.Enum):
    """How a connection ended."""

    CLEAN = "the close handshake completed"
    FAILED = "the client failed it"
    LOST = "the server dropped it without a close frame, or could not be reached"


class ClientError(Exception):
    """The connection could not go on; the message says why (printed on stderr)."""


class ReferenceClient:
    """A strict echo client for one URL. ``timeout`` bounds every wait."""

    #: violations read past instead of failing the connection: none here; a faulty
    #: client's one broken rule
    tolerated: frozenset[Violation] = frozenset()

    def __init__(self, url: str, *, subprotocols: Sequence[str] = (), origin: str | None = None,
                 timeout: float = 10.0, ping_interval: float | None = None,
                 ping_timeout: float | None = None,
                 reconnect: tuple[float, float] | None = None, deflate: bool = False) -> None:
        parts = urlsplit(url)
        if parts.scheme != "ws" or not parts.hostname:
            raise ClientError(f"expected a ws:// URL, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.subprotocols = tuple(subprotocols)
        self.origin = origin
        self.timeout = timeout
        #: heartbeat: ping this often; give up on a server silent for ping_timeout
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        #: (initial delay, cap) of the back-off after a lost connection; None: no reconnection
        self.reconnect = reconnect
        #: permessage-deflate (RFC 7692): what is offered, and once agreed, the compressor
        self.offers = (DeflateOffer(client_max_window_bits=True),) if deflate else ()
        self.deflater: Deflater | None = None
        self.params: DeflateParams | None = None
        self.sock: socket.socket | None = None
        self._pings = 0

    # -- the behaviour: each method one rule, overridden by a faulty client ------------

    def new_key(self) -> str:
        """A fresh Sec-WebSocket-Key: 16 random bytes, base64 (RFC 6455 §4.1)."""
        return generate_key()

    def build_request(self, key: str) -> HandshakeRequest:
        """The opening handshake (RFC 6455 §4.1)."""
        host = self.host if self.port == 80 else f"{self.host}:{self.port}"
        return build_request(host, self.resource, key=key, subprotocols=self.subprotocols,
                             origin=self.origin,
                             extensions=[build_offer_header(self.offers)] if self.offers else ())

    def check_response(self, response: HandshakeResponse, key: str) -> list[str]:
        """Every rule of RFC 6455 §4.1 (and RFC 7692 §5-7) the server's answer breaks; the
        deflate parameters agreed, if any, in :attr:`params`."""
        problems = check_response(response, key=key, subprotocols=self.subprotocols,
                                  extensions_offered=[offer.encode() for offer in self.offers])
        if self.offers and not problems:
            self.params, problems = check_deflate_response(
                response.get("Sec-WebSocket-Extensions"), self.offers)
        return problems

    def mask_key(self) -> bytes:
        """A fresh, unpredictable masking key for each frame (RFC 6455 §5.3, §10.3)."""
        return os.urandom(4)

    def make_receiver(self) -> Receiver:
        """The strict reader of what the server sends (unmasked frames only, §5.1),
        inflating compressed messages once deflate is agreed."""
        params = self.params
        if params is None:
            self.deflater = None
            return Receiver(expect_masked=False)
        self.deflater = Deflater(window_bits=params.client_max_window_bits,
                                 no_context_takeover=params.client_no_context_takeover)
        return Receiver(expect_masked=False, decompressor=Inflater(
            window_bits=params.server_max_window_bits,
            no_context_takeover=params.server_no_context_takeover))

    def on_message(self, message: Message) -> None:
        """Echo: the same opcode and payload back (compressed when deflate was agreed)."""
        if self.deflater is not None:
            self.send(encode_frame(message.opcode, self.deflater.compress(message.data),
                                   rsv1=True, mask_key=self.mask_key()))
        else:
            self.send_frame(message.opcode, message.data)

    def on_ping(self, frame: Frame) -> None:
        """A pong with the ping's payload (RFC 6455 §5.5.2)."""
        self.send_frame(Opcode.PONG, frame.payload)

    def on_pong(self, frame: Frame) -> None:
        """An unsolicited pong needs no answer (RFC 6455 §5.5.3)."""

    def on_close(self, frame: Frame) -> None:
        """Answer the server's close with the same code (RFC 6455 §5.5.1), then leave
        the TCP close to the server (§7.1.1)."""
        code = parse_close_payload(frame.payload).code
        self.send_frame(Opcode.CLOSE, encode_close_payload(code))
        self.wait_for_server_close()

    def on_violation(self, violation: ProtocolViolation) -> None:
        """Fail the WebSocket connection (RFC 6455 §7.1.7): a close frame with the code
        that says why, then wait for the server to close."""
        print(f"failing the connection: {violation}", file=sys.stderr)
        self.send_frame(Opcode.CLOSE, encode_close_payload(violation.close_code))
        self.wait_for_server_close()

    def wait_for_server_close(self) -> None:
        """Read (and drop) until the server closes the TCP connection, within the timeout."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if not self.receive(deadline):
                return

    def send_ping(self) -> None:
        """A heartbeat ping, numbered."""
        self._pings += 1
        self.send_frame(Opcode.PING, f"wsspec heartbeat {self._pings}".encode())

    def on_silence(self, seconds: float) -> None:
        """The server said nothing for ``seconds`` (``ping_timeout``): fail the connection
        (1001, going away), without waiting long for an answer."""
        print(f"no word from the server for {seconds:g} s", file=sys.stderr)
        self.send_frame(Opcode.CLOSE, encode_close_payload(1001))

    def reconnect_delays(self) -> Iterator[float]:
        """The waits before each reconnection (RFC 6455 §7.2.3): a random start above the
        initial delay, doubling up to the cap (truncated binary exponential back-off)."""
        assert self.reconnect is not None
        initial, cap = self.reconnect
        delay = initial
        while True:
            yield min(delay * random.uniform(1.0, 1.25), cap)
            delay = min(delay * 2, cap)

    # -- the machinery -----------------------------------------------------------------

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """One masked frame."""
        self.send(encode_frame(opcode, payload, mask_key=self.mask_key()))

    def send(self, data: bytes) -> None:
        assert self.sock is not None
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def receive(self, deadline: float) -> bytes | None:
        """The next bytes; empty when the server closed; None at the deadline."""
        assert self.sock is not None
        self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            return self.sock.recv(READ_CHUNK)
        except TimeoutError:
            return None
        except OSError:
            return b""

    def run(self) -> int:
        """Connect, shake hands, echo until closed; the exit status (0: clean close). With
        ``reconnect``, a connection the server lost is opened again after a back-off."""
        delays = self.reconnect_delays() if self.reconnect is not None else None
        for _ in range(MAX_CONNECTIONS):
            outcome = self._connection()
            if outcome is not Outcome.LOST or delays is None:
                return 0 if outcome is Outcome.CLEAN else 1
            time.sleep(next(delays))
        return 1

    def _connection(self) -> Outcome:
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            print(f"cannot connect to {self.host}:{self.port}: {exc}", file=sys.stderr)
            return Outcome.LOST
        try:
            return self._session()
        except ClientError as exc:
            print(exc, file=sys.stderr)
            return Outcome.FAILED
        finally:
            self.sock.close()

    def _session(self) -> Outcome:
        self.params = None
        key = self.new_key()
        self.send(self.build_request(key).encode())
        parser = ResponseParser()
        deadline = time.monotonic() + self.timeout
        response = None
        while response is None:
            data = self.receive(deadline) or b""
            try:
                response = parser.feed(data) if data else parser.feed_eof()
            except HandshakeViolation as exc:
                raise ClientError(f"bad handshake answer: {exc}") from None
            if not data and response is None:
                raise ClientError("no handshake answer")
        problems = self.check_response(response, key)
        if problems:
            # The connection never opened: failing it is closing the TCP connection.
            raise ClientError("refusing the handshake answer: " + " ".join(problems))
        receiver = self.make_receiver()
        pending = parser.trailing
        silence = self.ping_timeout or self.timeout
        heard = time.monotonic()
        next_ping = heard + self.ping_interval if self.ping_interval else None
        while True:
            if not pending:
                wake = heard + silence if next_ping is None else min(heard + silence, next_ping)
                incoming = self.receive(wake)
                now = time.monotonic()
                if incoming is None:
                    if next_ping is not None and now >= next_ping:
                        self.send_ping()
                        next_ping = now + (self.ping_interval or 0.0)
                    elif now >= heard + silence:
                        self.on_silence(silence)
                        return Outcome.FAILED
                    continue
                if not incoming:
                    print("the server closed the connection without a close frame",
                          file=sys.stderr)
                    return Outcome.LOST
                heard, pending = now, incoming
            try:
                events = receiver.feed(pending)
            except ProtocolViolation as exc:
                # The frames before the offending one still count; the offending frame
                # itself may be among them (a close frame whose payload broke a rule).
                for event in receiver.events_before_failure:
                    if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
                        try:
                            parse_close_payload(event.payload)
                        except ProtocolViolation:
                            break
                    if self._handle(event):
                        return Outcome.CLEAN
                if exc.violation in self.tolerated:
                    # read on past the offence (what the frame held is lost)
                    receiver, pending = self.make_receiver(), b""
                    continue
                self.on_violation(exc)
                return Outcome.FAILED
            pending = b""
            for event in events:
                if self._handle(event):
                    return Outcome.CLEAN

    def _handle(self, event: Frame | Message) -> bool:
        """Act on one event; True once the close handshake is done."""
        if isinstance(event, Message):
            self.on_message(event)
        elif event.opcode == Opcode.PING:
            self.on_ping(event)
        elif event.opcode == Opcode.PONG:
            self.on_pong(event)
        elif event.opcode == Opcode.CLOSE:
            self.on_close(event)
            return True
        return False


def parser(prog: str) -> argparse.ArgumentParser:
    """The command line of the reference client (and of the faulty ones)."""
    options = argparse.ArgumentParser(prog=prog, description="wsspec's reference WebSocket "
                                      "client: echoes every message until the server closes.")
    options.add_argument("url", help="ws:// URL to connect to")
    options.add_argument("--subprotocol", action="append", default=[], metavar="NAME",
                         help="offer this subprotocol (repeatable)")
    options.add_argument("--origin", metavar="ORIGIN", help="send this Origin header")
    options.add_argument("--timeout", type=float, default=10.0, metavar="S",
                         help="seconds each wait may take (default 10)")
    options.add_argument("--ping-interval", type=float, metavar="S",
                         help="heartbeat: send a ping every S seconds")
    options.add_argument("--ping-timeout", type=float, metavar="S",
                         help="heartbeat: fail a connection whose server is silent S seconds")
    options.add_argument("--deflate", action="store_true",
                         help="offer permessage-deflate (RFC 7692)")
    options.add_argument("--reconnect", metavar="INITIAL:MAX",
                         help="reconnect after a lost connection, backing off from INITIAL "
                              "seconds up to MAX")
    return options


def run_client(cls: type[ReferenceClient], args: argparse.Namespace, prog: str) -> int:
    """Run ``cls`` with the parsed command line; a bad URL is one line on stderr (exit 2)."""
    reconnect = None
    if args.reconnect:
        try:
            initial, cap = (float(part) for part in args.reconnect.split(":"))
        except ValueError:
            print(f"{prog}: --reconnect: expected INITIAL:MAX seconds, got {args.reconnect!r}",
                  file=sys.stderr)
            return 2
        reconnect = (initial, cap)
    try:
        client = cls(args.url, subprotocols=args.subprotocol, origin=args.origin,
                     timeout=args.timeout, ping_interval=args.ping_interval,
                     ping_timeout=args.ping_timeout, reconnect=reconnect, deflate=args.deflate)
    except ClientError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    return client.run()


def main(argv: Sequence[str] | None = None) -> int:
    prog = "python -m wsspec.targets.clients.reference"
    return run_client(ReferenceClient, parser(prog).parse_args(argv), prog)
