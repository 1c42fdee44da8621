"""The WebSocket opening handshake (RFC 6455 §4), sans-IO.

Theory of operation
-------------------
Both ends of the handshake live here, because the suite plays the client and the
built-in reference server plays the server, and both must agree on one reading
of the RFC.

* Requests are *built* by hand (:class:`HandshakeRequest.encode`), byte for byte,
  so that a case can express any request a broken or hostile client could send:
  missing, duplicated or oddly cased headers, wrong values, HTTP/1.0, a body.
* Messages are *parsed* with h11, which owns HTTP/1.1 framing (header syntax,
  Content-Length, chunked bodies, protocol switching).  The parsers here only
  add hard caps on what they buffer and translate every h11 complaint into a
  :class:`HandshakeViolation`: for any input, a parser returns a value, returns
  ``None`` (needs more bytes) or raises :class:`HandshakeViolation` — nothing
  else.
* The WebSocket rules (§4.1 for what a client checks, §4.2.1 for what a server
  checks) are plain functions that return *every* problem as one sentence
  naming its section, so a report can list them all instead of the first.

Header strings map to bytes through latin-1, the HTTP convention: a ``str``
whose characters are all below U+0100 is sent as exactly those bytes, and the
parsers decode received bytes the same way, so any byte sequence round-trips.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import replace as _dc_replace

import h11

from .errors import HandshakeViolation

__all__ = [
    "BODY_GRACE",
    "GUID",
    "TOKEN_RE",
    "HandshakeRequest",
    "HandshakeResponse",
    "Headers",
    "RequestParser",
    "ResponseParser",
    "build_accept_response",
    "build_reject_response",
    "build_request",
    "check_request",
    "check_response",
    "compute_accept",
    "encode_response",
    "generate_key",
    "parse_extension_header",
    "parse_header_list",
    "parse_subprotocol_offer",
    "validate_response",
]

#: The magic string of RFC 6455 §1.3, appended to the key before hashing.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

#: Header fields in wire order, names in their original case, duplicates kept.
Headers = list[tuple[str, str]]

#: How every response starts (RFC 7230 §3.1.2).
_STATUS_PREFIX = b"HTTP/"

#: The cap on a message head (request or status line plus header block).
DEFAULT_MAX_HEADER_SIZE = 64 * 1024
#: The cap on the body of a refusal (non-101) response or of a request.
DEFAULT_MAX_BODY_SIZE = 64 * 1024
#: how long a reader waits for the body of a non-101 answer once its head has
#: arrived (s): the head settles the handshake, the body is only shown.
BODY_GRACE = 0.25

# --------------------------------------------------------------------------
# Grammar: RFC 7230 §3.2.6 tokens and quoted strings, RFC 6455 §9.1 extensions.
# --------------------------------------------------------------------------

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# qdtext / quoted-pair, obs-text (0x80-0xFF) included as RFC 7230 allows.
_QUOTED_STRING = r'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
_OWS = r"[ \t]*"

#: An RFC 7230 token (use ``fullmatch``): header names, subprotocols, extension names.
TOKEN_RE = re.compile(_TOKEN)
_TOKEN_FULL_RE = re.compile(_TOKEN + r"\Z")
_EXT_NAME_RE = re.compile(f"{_OWS}({_TOKEN}){_OWS}")
# extension-param = token [ "=" (token | quoted-string) ], with optional whitespace.
_EXT_PARAM_RE = re.compile(f"{_OWS}({_TOKEN}){_OWS}(?:={_OWS}({_TOKEN}|{_QUOTED_STRING}))?{_OWS}")
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.DOTALL)


def _wire(text: str) -> bytes:
    """The bytes a header string stands for (latin-1; UTF-8 beyond U+00FF)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        # Not representable byte for byte; UTF-8 is what any client library
        # would put on the wire for such a string.
        return text.encode("utf-8")


def _get(headers: Headers, name: str) -> list[str]:
    lowered = name.lower()
    return [value for key, value in headers if key.lower() == lowered]


def parse_header_list(values: list[str]) -> list[str]:
    """Split comma-separated header values (RFC 7230 ``#rule``) into trimmed items.

    Items from repeated headers are concatenated in order; empty items, which
    RFC 7230 §7 tells recipients to ignore, are dropped.
    """
    items: list[str] = []
    for value in values:
        items.extend(item.strip(" \t") for item in value.split(","))
    return [item for item in items if item]


def _has_token(values: list[str], token: str) -> bool:
    return any(item.lower() == token for item in parse_header_list(values))


def _split_top_level(value: str) -> list[str]:
    """Split on commas that are not inside a quoted string; items trimmed, empties dropped."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip(" \t") for item in items if item.strip(" \t")]


def parse_extension_header(values: list[str]) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Parse ``Sec-WebSocket-Extensions`` values with the RFC 6455 §9.1 grammar.

    Returns one ``(name, [(param, value-or-None), ...])`` per extension element,
    across all given header values, in order.  Quoted parameter values are
    unescaped and must then be tokens (§9.1).  Optional whitespace around
    ``,``, ``;`` and ``=`` is accepted; empty list elements are ignored (RFC
    7230 §7).  Anything else raises :class:`HandshakeViolation`.
    """
    elements: list[tuple[str, list[tuple[str, str | None]]]] = []
    for value in values:
        for raw in _split_top_level(value):
            elements.append(_parse_extension_element(raw))
    return elements


def _parse_extension_element(raw: str) -> tuple[str, list[tuple[str, str | None]]]:
    def bad(why: str) -> HandshakeViolation:
        return HandshakeViolation(
            [f"RFC 6455 §9.1: Sec-WebSocket-Extensions element {raw!r} is malformed: {why}."]
        )

    parts = raw.split(";")
    # A quoted value may contain ';': re-join pieces until quotes balance.
    pieces: list[str] = []
    for part in parts:
        if pieces and _open_quote(pieces[-1]):
            pieces[-1] += ";" + part
        else:
            pieces.append(part)
    name_match = _EXT_NAME_RE.fullmatch(pieces[0])
    if name_match is None:
        raise bad("the extension name is not a token")
    params: list[tuple[str, str | None]] = []
    for piece in pieces[1:]:
        match = _EXT_PARAM_RE.fullmatch(piece)
        if match is None:
            raise bad(f"parameter {piece.strip()!r} is not token[=token|quoted-string]")
        param, value = match.group(1), match.group(2)
        if value is not None and value.startswith('"'):
            value = _QUOTED_PAIR_RE.sub(r"\1", value[1:-1])
            if not _TOKEN_FULL_RE.match(value):
                raise bad(f"the quoted value of {param!r} is not a token once unquoted")
        params.append((param, value))
    return name_match.group(1), params


def _open_quote(text: str) -> bool:
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
    return quoted


# --------------------------------------------------------------------------
# Keys (RFC 6455 §4.1, §4.2.2, §1.3).
# --------------------------------------------------------------------------


def compute_accept(key: str) -> str:
    """``Sec-WebSocket-Accept`` for ``key``: base64(SHA-1(key + GUID)), RFC 6455 §4.2.2.

    The key is hashed as the bytes it stands for on the wire (see the module
    docstring), so the result is what a server computes from what it received.
    """
    digest = hashlib.sha1(_wire(key + GUID)).digest()
    return base64.b64encode(digest).decode("ascii")


def generate_key(entropy: bytes | None = None) -> str:
    """A ``Sec-WebSocket-Key``: base64 of 16 random bytes (RFC 6455 §4.1).

    ``entropy`` is encoded as given, whatever its length, so cases can build
    the 15- and 17-byte keys a server must refuse; ``None`` draws 16 bytes
    from :func:`os.urandom`.
    """
    raw = os.urandom(16) if entropy is None else entropy
    return base64.b64encode(raw).decode("ascii")


# --------------------------------------------------------------------------
# Requests.
# --------------------------------------------------------------------------


@dataclass
class HandshakeRequest:
    """An opening handshake request, possibly broken on purpose.

    Nothing is validated or normalised: :meth:`encode` writes exactly what the
    fields say, so any request line, header set or body is expressible.  The
    copy helpers (:meth:`without`, :meth:`with_header`, :meth:`replace`) leave
    the original untouched.
    """

    method: str = "GET"
    target: str = "/"
    http_version: str = "1.1"
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    def encode(self) -> bytes:
        """The request on the wire: request line, each header as given, blank line, body."""
        lines = [f"{self.method} {self.target} HTTP/{self.http_version}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in self.headers)
        lines.append("\r\n")
        return b"".join(_wire(line) for line in lines) + self.body

    def get(self, name: str) -> list[str]:
        """Values of every header called ``name`` (case-insensitive), in order."""
        return _get(self.headers, name)

    def without(self, name: str) -> HandshakeRequest:
        """A copy without any header called ``name`` (case-insensitive)."""
        lowered = name.lower()
        return _dc_replace(self, headers=[h for h in self.headers if h[0].lower() != lowered])

    def with_header(self, name: str, value: str) -> HandshakeRequest:
        """A copy with ``name: value`` appended after the existing headers."""
        return _dc_replace(self, headers=[*self.headers, (name, value)])

    def replace(self, name: str, value: str) -> HandshakeRequest:
        """A copy with every ``name`` header dropped and one ``name: value`` appended."""
        return self.without(name).with_header(name, value)


def build_request(
    host: str,
    target: str = "/",
    *,
    key: str | None = None,
    version: str = "13",
    subprotocols: Sequence[str] = (),
    extensions: Sequence[str] = (),
    origin: str | None = None,
    extra_headers: Sequence[tuple[str, str]] = (),
) -> HandshakeRequest:
    """A valid opening handshake request (RFC 6455 §4.1), for cases to mutate.

    Headers, in order: Host, Upgrade, Connection, Sec-WebSocket-Key (random
    when ``key`` is None), Sec-WebSocket-Version, then Sec-WebSocket-Protocol
    (``"a, b"``) and Sec-WebSocket-Extensions (elements comma-joined) when
    given, Origin when given, and ``extra_headers``.
    """
    headers: Headers = [
        ("Host", host),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", generate_key() if key is None else key),
        ("Sec-WebSocket-Version", version),
    ]
    if subprotocols:
        headers.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    if extensions:
        headers.append(("Sec-WebSocket-Extensions", ", ".join(extensions)))
    if origin is not None:
        headers.append(("Origin", origin))
    headers.extend(extra_headers)
    return HandshakeRequest(target=target, headers=headers)


def parse_subprotocol_offer(request: HandshakeRequest) -> list[str]:
    """The subprotocols a request offers, in order, across repeated headers."""
    return parse_header_list(request.get("Sec-WebSocket-Protocol"))


# --------------------------------------------------------------------------
# Responses.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class HandshakeResponse:
    """A server's answer to the opening handshake, as received.

    ``headers`` keep wire order, original name case and duplicates.  ``body``
    holds the body of a non-101 response (capped by the parser) and is empty
    for a 101, whose following bytes are WebSocket data.
    """

    status: int
    reason: str
    http_version: str
    headers: Headers
    body: bytes = b""

    def get(self, name: str) -> list[str]:
        """Values of every header called ``name`` (case-insensitive), in order."""
        return _get(self.headers, name)

    @property
    def subprotocol(self) -> str | None:
        """The selected subprotocol, or None; several headers are joined raw with ``", "``."""
        values = self.get("Sec-WebSocket-Protocol")
        return ", ".join(values) if values else None

    @property
    def extensions(self) -> list[str]:
        """The accepted extension elements, raw, split at top-level commas."""
        items: list[str] = []
        for value in self.get("Sec-WebSocket-Extensions"):
            items.extend(_split_top_level(value))
        return items


def check_response(
    response: HandshakeResponse,
    *,
    key: str,
    subprotocols: Sequence[str] = (),
    extensions_offered: Sequence[str] = (),
) -> list[str]:
    """Every rule of RFC 6455 §4.1/§4.2.2 that ``response`` breaks, one sentence each.

    ``key`` is the Sec-WebSocket-Key that was sent, ``subprotocols`` what was
    offered, ``extensions_offered`` the offered extension elements (or bare
    names; only the names matter here).  A non-101 status is reported alone:
    the other rules describe an accepting response.  Empty list: valid.
    """
    if response.status != 101:
        return [
            f"RFC 6455 §4.2.2: the status must be 101 to accept the handshake, "
            f"got {response.status} {response.reason!r}."
        ]
    problems: list[str] = []
    if response.http_version != "1.1":
        problems.append(
            f"RFC 6455 §4.1: the response must be HTTP/1.1, got HTTP/{response.http_version}."
        )
    upgrade = response.get("Upgrade")
    if not upgrade:
        problems.append("RFC 6455 §4.2.2: the Upgrade header is missing; it must be 'websocket'.")
    elif not _has_token(upgrade, "websocket"):
        problems.append(
            f"RFC 6455 §4.2.2: the Upgrade header must be 'websocket', got {', '.join(upgrade)!r}."
        )
    connection = response.get("Connection")
    if not _has_token(connection, "upgrade"):
        seen = f"got {', '.join(connection)!r}" if connection else "it is missing"
        problems.append(
            f"RFC 6455 §4.2.2: the Connection header must contain the 'Upgrade' token, {seen}."
        )
    problems.extend(_check_accept(response.get("Sec-WebSocket-Accept"), key))
    problems.extend(_check_subprotocol(response.get("Sec-WebSocket-Protocol"), subprotocols))
    problems.extend(_check_extensions(response.get("Sec-WebSocket-Extensions"), extensions_offered))
    return problems


def _check_accept(values: list[str], key: str) -> list[str]:
    if not values:
        return ["RFC 6455 §4.2.2: the Sec-WebSocket-Accept header is missing."]
    if len(values) > 1:
        return [
            f"RFC 6455 §11.3.3: Sec-WebSocket-Accept must appear once, "
            f"it appears {len(values)} times."
        ]
    expected = compute_accept(key)
    if values[0] != expected:
        return [
            f"RFC 6455 §4.2.2: Sec-WebSocket-Accept is {values[0]!r}, "
            f"expected {expected!r} for key {key!r}."
        ]
    return []


def _check_subprotocol(values: list[str], offered: Sequence[str]) -> list[str]:
    if not values:
        return []
    if not offered:
        return [
            f"RFC 6455 §4.2.2: Sec-WebSocket-Protocol {', '.join(values)!r} was sent "
            f"although the client offered no subprotocol."
        ]
    if len(values) > 1:
        return [
            f"RFC 6455 §11.3.4: Sec-WebSocket-Protocol must appear at most once, "
            f"it appears {len(values)} times."
        ]
    selected = parse_header_list(values)
    if len(selected) != 1:
        return [
            f"RFC 6455 §4.2.2: Sec-WebSocket-Protocol must name a single subprotocol, "
            f"got {values[0]!r}."
        ]
    if selected[0] not in offered:
        return [
            f"RFC 6455 §4.2.2: Sec-WebSocket-Protocol {selected[0]!r} was not offered "
            f"(offered: {', '.join(offered)})."
        ]
    return []


def _check_extensions(values: list[str], offered: Sequence[str]) -> list[str]:
    if not values:
        return []
    try:
        elements = parse_extension_header(values)
    except HandshakeViolation as exc:
        return list(exc.problems)
    offered_names = {_element_name(element) for element in offered}
    return [
        f"RFC 6455 §4.2.2: Sec-WebSocket-Extensions accepts {name!r}, which was not offered"
        + (f" (offered: {', '.join(sorted(offered_names))})." if offered_names else ".")
        for name, _params in elements
        if name.lower() not in offered_names
    ]


def _element_name(element: str) -> str:
    return element.split(";", 1)[0].strip(" \t").lower()


def validate_response(
    response: HandshakeResponse,
    *,
    key: str,
    subprotocols: Sequence[str] = (),
    extensions_offered: Sequence[str] = (),
) -> None:
    """Raise :class:`HandshakeViolation` listing every problem :func:`check_response` finds."""
    problems = check_response(
        response, key=key, subprotocols=subprotocols, extensions_offered=extensions_offered
    )
    if problems:
        raise HandshakeViolation(problems)


# --------------------------------------------------------------------------
# Parsers.
# --------------------------------------------------------------------------


def _decode_headers(event: h11.Request | h11.Response | h11.InformationalResponse) -> Headers:
    return [
        (bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
        for name, value in event.headers.raw_items()
    ]


class _CappedH11Reader:
    """Feeds h11 while bounding what the message head may buffer.

    h11's ``max_incomplete_event_size`` only bounds an *incomplete* head: a
    complete 1 MiB header block handed over in one call would be parsed.  So
    bytes reach h11 only while the head has room left; once the cap is spent
    without a complete head, the message is refused.
    """

    _what = "message"

    def __init__(
        self, role: type[h11.CLIENT] | type[h11.SERVER], max_header_size: int, max_body_size: int
    ) -> None:
        if max_header_size < 1 or max_body_size < 0:
            raise ValueError("max_header_size must be positive and max_body_size not negative")
        self._conn = h11.Connection(role, max_incomplete_event_size=max_header_size)
        self._max_header_size = max_header_size
        self._max_body_size = max_body_size
        self._head_bytes = 0
        self._head_done = False
        self._done = False
        self._eof = False
        self._received_any = False
        self._body = bytearray()
        self._trailing = b""

    @property
    def trailing(self) -> bytes:
        """Bytes received after the message: for a protocol switch, the first WebSocket bytes."""
        return self._trailing

    def _violation(self, why: str) -> HandshakeViolation:
        return HandshakeViolation([f"RFC 6455 §4: the {self._what} is not valid HTTP/1.1: {why}."])

    def _push(self, data: bytes) -> bool:
        """Hand ``data`` to h11 within the head cap; True once a result is ready."""
        self._received_any = self._received_any or bool(data)
        while data:
            if self._head_done:
                chunk, data = data, b""
            else:
                room = self._max_header_size - self._head_bytes
                if room <= 0:
                    raise self._violation(
                        f"the head exceeds {self._max_header_size} bytes without ending"
                    )
                chunk, data = data[:room], data[room:]
                self._head_bytes += len(chunk)
            self._conn.receive_data(chunk)
            if self._pump():
                self._trailing += data
                return True
        return False

    def _pump(self) -> bool:
        raise NotImplementedError

    def _next_event(self) -> object:
        try:
            return self._conn.next_event()
        except h11.RemoteProtocolError as exc:
            raise self._violation(str(exc)) from exc

    def _check_head_size(self) -> None:
        if not self._head_done and self._head_bytes >= self._max_header_size:
            raise self._violation(f"the head exceeds {self._max_header_size} bytes without ending")

    def _take_body(self, data: bytes) -> bool:
        """Keep body bytes up to the cap; True once the cap is reached."""
        room = self._max_body_size - len(self._body)
        self._body += data[:room]
        return len(self._body) >= self._max_body_size


class ResponseParser(_CappedH11Reader):
    """Incremental parser of a server's answer to the opening handshake.

    :meth:`feed` returns None until the answer is known, then the
    :class:`HandshakeResponse`:

    * a 101 as soon as its head is complete; every byte after the head is in
      :attr:`trailing` (the server's first WebSocket bytes);
    * any other final status once its body is complete (Content-Length,
      chunked, or end of stream via :meth:`feed_eof`) or ``max_body_size``
      bytes of it have arrived, whichever comes first.

    ``request_method`` is the method of the request that was sent; it decides
    whether a body follows (HEAD, CONNECT).  Interim 1xx responses other than
    101 are skipped; their bytes count towards ``max_header_size``, which
    bounds all heads together.  Bytes fed after the result go to
    :attr:`trailing`.  A reader need not wait for a body: once
    :attr:`head_complete`, :meth:`settle` gives the response with the body
    received so far (a body without Content-Length ends only when the server
    closes, which it may never do).  Input that is not HTTP/1.1, or a
    head longer than the cap, raises :class:`HandshakeViolation`; nothing else
    is ever raised.
    """

    _what = "response"

    def __init__(
        self,
        *,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        request_method: str = "GET",
    ) -> None:
        super().__init__(h11.CLIENT, max_header_size, max_body_size)
        self._head: h11.Response | h11.InformationalResponse | None = None
        self._first_bytes = b""
        # h11 must believe it sent the request: the method decides whether a
        # body follows (HEAD, CONNECT), and Upgrade lets it switch protocols on
        # a 101.  A method h11 cannot express (a case may send any bytes) is
        # framed like GET.
        try:
            self._send_request(request_method)
        except (h11.LocalProtocolError, UnicodeEncodeError):
            self._conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_header_size)
            self._send_request("GET")

    def _send_request(self, method: str) -> None:
        self._conn.send(
            h11.Request(
                method=method,
                target="/",
                headers=[("Host", "wsspec"), ("Upgrade", "websocket"), ("Connection", "Upgrade")],
            )
        )
        self._conn.send(h11.EndOfMessage())

    def feed(self, data: bytes) -> HandshakeResponse | None:
        """Take more bytes from the server; the response once it is complete, else None."""
        if self._eof:
            return None
        if self._done:
            self._trailing += data
            return None
        if len(self._first_bytes) < len(_STATUS_PREFIX):
            self._first_bytes += data[: len(_STATUS_PREFIX) - len(self._first_bytes)]
            self._check_prefix()
        return self._result() if self._push(data) else None

    @property
    def head_complete(self) -> bool:
        """True once the head of a final response has arrived (its body may not have)."""
        return self._head is not None and not self._done

    def settle(self) -> HandshakeResponse | None:
        """The response with the body received so far, once its head is complete; else None.

        Ends the parse: bytes fed later go to :attr:`trailing`.
        """
        if not self.head_complete:
            return None
        return self._result()

    def feed_eof(self) -> HandshakeResponse | None:
        """The server closed the stream: the response if its head arrived, else None.

        None means the server closed without sending a byte (the abort of RFC
        6455 §7.2.2).  A response cut short keeps the body received so far.
        A head cut short raises :class:`HandshakeViolation`.
        """
        if self._done or self._eof:
            return None
        self._eof = True
        if not self._received_any:
            self._done = True
            return None
        self._conn.receive_data(b"")
        try:
            if self._pump():
                return self._result()
        except HandshakeViolation:
            if self._head is not None:
                return self._result()
        if self._head is None:
            raise self._violation("the server closed the connection in the middle of the head")
        return self._result()

    def _check_prefix(self) -> None:
        # Refuse what is obviously not HTTP at once, instead of waiting for a
        # complete head (an SSH banner, HTML, a TLS record never end one).
        seen = self._first_bytes
        if _STATUS_PREFIX.startswith(seen):
            return
        if seen[:1] in (b"\x15", b"\x16"):  # a TLS record: alert or handshake
            raise HandshakeViolation(
                [
                    "RFC 6455 §4.1: the server answered with a TLS record instead of "
                    "HTTP/1.1; the target probably needs wss://."
                ]
            )
        raise self._violation(f"it starts with {seen!r} instead of 'HTTP/'")

    def _pump(self) -> bool:
        while True:
            event = self._next_event()
            if event is h11.NEED_DATA:
                self._check_head_size()
                return False
            if isinstance(event, h11.InformationalResponse):
                if event.status_code == 101:
                    self._head = event
                    self._head_done = True
                    self._trailing = bytes(self._conn.trailing_data[0])
                    return True
                continue
            if isinstance(event, h11.Response):
                self._head = event
                self._head_done = True
            elif isinstance(event, h11.Data):
                if self._take_body(bytes(event.data)):
                    return True
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return True
            else:  # PAUSED after the message: nothing more to read.
                return self._head is not None

    def _result(self) -> HandshakeResponse:
        self._done = True
        head = self._head
        assert head is not None
        return HandshakeResponse(
            status=head.status_code,
            reason=bytes(head.reason).decode("latin-1"),
            http_version=bytes(head.http_version).decode("latin-1"),
            headers=_decode_headers(head),
            body=bytes(self._body),
        )


class RequestParser(_CappedH11Reader):
    """Incremental parser of a client's opening handshake request (server side).

    :meth:`feed` returns None until the request (head and body, body capped
    at ``max_body_size``) is complete, then the :class:`HandshakeRequest`;
    bytes after it (frames pipelined by an eager client) are in
    :attr:`trailing`.  Header names keep their original case.

    h11 refuses some requests itself, e.g. an HTTP/1.1 request without Host;
    those, malformed HTTP and heads over ``max_header_size`` raise
    :class:`HandshakeViolation`, which a server answers with 400.
    """

    _what = "request"

    def __init__(
        self,
        *,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        super().__init__(h11.SERVER, max_header_size, max_body_size)
        self._head: h11.Request | None = None

    def feed(self, data: bytes) -> HandshakeRequest | None:
        """Take more bytes from the client; the request once it is complete, else None."""
        if self._done or self._eof:
            self._trailing += data
            return None
        if self._push(data):
            return self._result()
        return None

    def _pump(self) -> bool:
        while True:
            event = self._next_event()
            if event is h11.NEED_DATA:
                self._check_head_size()
                return False
            if isinstance(event, h11.Request):
                self._head = event
                self._head_done = True
            elif isinstance(event, h11.Data):
                if self._take_body(bytes(event.data)):
                    return True
            else:  # EndOfMessage; h11 keeps what follows as trailing data.
                return True

    def _result(self) -> HandshakeRequest:
        self._done = True
        self._trailing = bytes(self._conn.trailing_data[0]) + self._trailing
        head = self._head
        assert head is not None
        return HandshakeRequest(
            method=bytes(head.method).decode("latin-1"),
            target=bytes(head.target).decode("latin-1"),
            http_version=bytes(head.http_version).decode("latin-1"),
            headers=_decode_headers(head),
            body=bytes(self._body),
        )


# --------------------------------------------------------------------------
# Server side: judging a request and answering it.
# --------------------------------------------------------------------------


def check_request(request: HandshakeRequest) -> tuple[int, list[str]]:
    """The status to answer ``request`` with, and every RFC 6455 §4.2.1 rule it breaks.

    Returns ``(101, [])`` for an acceptable request.  Otherwise the status is
    chosen by the most basic problem: 400 for a malformed request (HTTP
    version other than 1.1 included: RFC 6455 only defines the handshake
    over HTTP/1.1, and 505 would claim the server cannot speak HTTP/1.0 at
    all), then 405 for a method other than GET, then 426 for a missing or
    unsupported Sec-WebSocket-Version (§4.2.2; the response must carry
    ``Sec-WebSocket-Version: 13``, which :func:`build_reject_response` adds).
    """
    bad_request: list[str] = []
    problems: list[str] = []
    if request.http_version != "1.1":
        bad_request.append(
            f"RFC 6455 §4.2.1: the request must be HTTP/1.1, got HTTP/{request.http_version}."
        )
    hosts = request.get("Host")
    if len(hosts) != 1:
        bad_request.append(
            f"RFC 6455 §4.2.1: the Host header must appear exactly once, "
            f"it appears {len(hosts)} times."
        )
    upgrade = request.get("Upgrade")
    if not _has_token(upgrade, "websocket"):
        seen = f"got {', '.join(upgrade)!r}" if upgrade else "it is missing"
        bad_request.append(f"RFC 6455 §4.2.1: the Upgrade header must contain 'websocket', {seen}.")
    connection = request.get("Connection")
    if not _has_token(connection, "upgrade"):
        seen = f"got {', '.join(connection)!r}" if connection else "it is missing"
        bad_request.append(
            f"RFC 6455 §4.2.1: the Connection header must contain the 'Upgrade' token, {seen}."
        )
    bad_request.extend(_check_key(request.get("Sec-WebSocket-Key")))
    if request.body:
        bad_request.append(
            f"RFC 9110 §9.3.1: a body (content) in a GET has no defined semantics, and here "
            f"it would be read as WebSocket frames; got {len(request.body)} bytes."
        )
    versions = request.get("Sec-WebSocket-Version")
    if len(versions) > 1:
        bad_request.append(
            f"RFC 6455 §11.3.5: Sec-WebSocket-Version must appear once, "
            f"it appears {len(versions)} times."
        )
    elif not versions:
        problems.append("RFC 6455 §4.2.1: the Sec-WebSocket-Version header is missing.")
    elif versions[0] != "13":
        problems.append(
            f"RFC 6455 §4.2.2: Sec-WebSocket-Version {versions[0]!r} is not supported; only 13 is."
        )
    if request.method != "GET":
        method_problem = f"RFC 6455 §4.2.1: the method must be GET, got {request.method!r}."
    else:
        method_problem = ""
    if bad_request:
        return 400, bad_request + ([method_problem] if method_problem else []) + problems
    if method_problem:
        return 405, [method_problem, *problems]
    if problems:
        return 426, problems
    return 101, []


def _check_key(values: list[str]) -> list[str]:
    if not values:
        return ["RFC 6455 §4.2.1: the Sec-WebSocket-Key header is missing."]
    if len(values) > 1:
        return [
            f"RFC 6455 §11.3.1: Sec-WebSocket-Key must appear once, it appears {len(values)} times."
        ]
    try:
        decoded = base64.b64decode(values[0].encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return [f"RFC 6455 §4.2.1: Sec-WebSocket-Key {values[0]!r} is not valid base64."]
    if len(decoded) != 16:
        return [
            f"RFC 6455 §4.2.1: Sec-WebSocket-Key must decode to 16 bytes, "
            f"{values[0]!r} decodes to {len(decoded)}."
        ]
    return []


def encode_response(status: int, reason: str, headers: Headers, body: bytes = b"") -> bytes:
    """A response on the wire, exactly as given: status line, headers, blank line, body."""
    lines = [f"HTTP/1.1 {status} {reason}\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in headers)
    lines.append("\r\n")
    return b"".join(_wire(line) for line in lines) + body


def build_accept_response(
    key: str,
    *,
    subprotocol: str | None = None,
    extensions: str | None = None,
    extra_headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The 101 that accepts a handshake whose Sec-WebSocket-Key was ``key`` (RFC 6455 §4.2.2).

    ``subprotocol`` and ``extensions`` (the accepted elements, already joined)
    become Sec-WebSocket-Protocol and Sec-WebSocket-Extensions when given.
    """
    headers: Headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", compute_accept(key)),
    ]
    if subprotocol is not None:
        headers.append(("Sec-WebSocket-Protocol", subprotocol))
    if extensions is not None:
        headers.append(("Sec-WebSocket-Extensions", extensions))
    headers.extend(extra_headers)
    return encode_response(101, "Switching Protocols", headers)


def build_reject_response(
    status: int, *, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
) -> bytes:
    """A refusal of the handshake that ends the connection.

    Adds Content-Length and ``Connection: close``; a ``Content-Type`` of plain
    text when there is a body and none is given; ``Sec-WebSocket-Version: 13``
    to a 426 (RFC 6455 §4.2.2) and ``Allow: GET`` to a 405 (RFC 9110 §15.5.6)
    unless ``headers`` already carry them.
    """
    given: Headers = list(headers)
    names = {name.lower() for name, _ in given}
    if status == 426 and "sec-websocket-version" not in names:
        given.append(("Sec-WebSocket-Version", "13"))
    if status == 405 and "allow" not in names:
        given.append(("Allow", "GET"))
    if body and "content-type" not in names:
        given.append(("Content-Type", "text/plain; charset=utf-8"))
    given.append(("Content-Length", str(len(body))))
    given.append(("Connection", "close"))
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return encode_response(status, reason, given, body)
