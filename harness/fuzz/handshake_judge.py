"""The independent judge of opening handshakes: wsproto and h11, not the suite's core.

Whether a request must be accepted is asked of wsproto's server-side
:class:`wsproto.handshake.H11Handshake` (which reads HTTP with h11), with
the RFC 6455 rules wsproto 1.3 leaves out added here, each named:

* the request is HTTP/1.1 (4.2.1 item 1; h11 also reads HTTP/1.0);
* Sec-WebSocket-Key is base64 of 16 bytes (4.2.1 item 5) and appears once
  (11.3.1); Sec-WebSocket-Version appears once (11.3.5); wsproto reads the
  last of several.

How the server answered is then graded, the choices RFC 6455 leaves open
encoded as the catalogue grades them (``conformance/test_handshake.py``):

* an acceptable request must get a correct 101 (4.2.2: Upgrade, Connection,
  Sec-WebSocket-Accept, checked with wsproto's accept token; no extension or
  subprotocol that was not offered);
* a request acceptable but for its Host, which names another authority than
  the target's (4.2.1 item 2): a server may refuse a host it does not serve,
  so a correct 101 and a 4xx both pass;
* a request acceptable but for its Sec-WebSocket-Version (4.2.2 /version/,
  4.4): a 4xx carrying ``Sec-WebSocket-Version`` that lists 13 passes; without
  it, or a dropped connection (no header at all), fails; version 8 belongs to
  an earlier draft a server may still speak, so a correct 101 there is
  informational;
* a request acceptable but for its HTTP version: a 4xx, or 505 HTTP Version
  Not Supported (RFC 2616 10.5.6, which RFC 6455 builds on);
* any other request not acceptable: a 4xx;
* a refusal is HTTP too: a 405 carries Allow (RFC 9110 15.5.6), a 426 carries
  Upgrade (15.5.22); a connection closed without any status is non-strict
  where a plain refusal is due (10.7 SHOULD answer with one); no answer
  before the deadline, or bytes that are no HTTP response, fail.
"""

from __future__ import annotations

import base64
import binascii

import h11
from wsproto.connection import ConnectionType
from wsproto.events import Request
from wsproto.handshake import H11Handshake
from wsproto.utilities import RemoteProtocolError, generate_accept_token

from .judge import Judgement
from .transcript import HandshakeAnswer

__all__ = ["judge_handshake"]

#: Sec-WebSocket-Version of RFC 6455's predecessor, draft-ietf-hybi-thewebsocketprotocol-10.
DRAFT_VERSION = "8"


def _parse(raw: bytes) -> h11.Request | None:
    """The request line and headers as h11 reads them (None: not a request it takes)."""
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(raw)
    try:
        event = connection.next_event()
    except h11.RemoteProtocolError:
        return None
    return event if isinstance(event, h11.Request) else None


def _refusal(raw: bytes) -> str | None:
    """Why the request must be refused (wsproto's reason, or a rule it leaves out),
    or None when it must be accepted."""
    handshake = H11Handshake(ConnectionType.SERVER)
    try:
        handshake.receive_data(raw)
        events = list(handshake.events())
    except RemoteProtocolError as exc:
        return f"wsproto: {exc}"
    if not any(isinstance(event, Request) for event in events):
        return "wsproto: not a complete request"
    request = _parse(raw)
    if request is None:
        return "h11: not an HTTP request"
    if request.http_version != b"1.1":
        return "RFC6455 4.2.1 item 1: the request is not HTTP/1.1"
    headers = [(name.lower(), value) for name, value in request.headers]
    keys = [value for name, value in headers if name == b"sec-websocket-key"]
    if len(keys) != 1:
        return "RFC6455 11.3.1: Sec-WebSocket-Key appears more than once"
    try:
        if len(base64.b64decode(keys[0], validate=True)) != 16:
            return "RFC6455 4.2.1 item 5: Sec-WebSocket-Key is not 16 bytes"
    except binascii.Error:
        return "RFC6455 4.2.1 item 5: Sec-WebSocket-Key is not base64"
    if len([name for name, _ in headers if name == b"sec-websocket-version"]) != 1:
        return "RFC6455 11.3.5: Sec-WebSocket-Version appears more than once"
    return None


def _with_header(raw: bytes, name: bytes, value: bytes) -> bytes:
    """``raw`` with every ``name`` header given ``value`` (names compared without case)."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    changed = [lines[0]] + [
        line.split(b":", 1)[0] + b": " + value
        if line.split(b":", 1)[0].strip().lower() == name else line for line in lines[1:]]
    return b"\r\n".join(changed) + b"\r\n\r\n" + rest


def _with_version(raw: bytes, version: bytes) -> bytes:
    line, _, rest = raw.partition(b"\r\n")
    return line.rsplit(b"/", 1)[0] + b"/" + version + b"\r\n" + rest


def _accept_problems(raw: bytes, answer: HandshakeAnswer) -> list[str]:
    request = _parse(raw)
    headers = [(n.lower().decode("latin-1"), v.decode("latin-1"))
               for n, v in (request.headers if request is not None else [])]
    key = next((v for n, v in headers if n == "sec-websocket-key"), "")
    offered = {n: v for n, v in headers}
    problems = []
    if answer.header("Sec-WebSocket-Accept") != [generate_accept_token(key.encode()).decode()]:
        problems.append("Sec-WebSocket-Accept is not the key's accept token (RFC6455 4.2.2)")
    if [v.lower() for v in answer.header("Upgrade")] != ["websocket"]:
        problems.append("Upgrade is not websocket (RFC6455 4.2.2)")
    tokens = [t.strip().lower() for v in answer.header("Connection") for t in v.split(",")]
    if "upgrade" not in tokens:
        problems.append("Connection does not carry Upgrade (RFC6455 4.2.2)")
    for header in ("Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol"):
        chosen = answer.header(header)
        allowed = [t.strip() for t in offered.get(header.lower(), "").split(",")]
        if any(value.split(";")[0].strip() not in allowed for value in chosen):
            problems.append(f"{header} names what the client did not offer (RFC6455 4.2.2)")
    return problems


def _refusal_headers(answer: HandshakeAnswer) -> str | None:
    for status, header, rule in ((405, "Allow", "RFC9110 15.5.6"),
                                 (426, "Upgrade", "RFC9110 15.5.22")):
        if answer.status == status and not answer.header(header):
            return f"a {status} without {header} ({rule})"
    return None


def judge_handshake(raw: bytes, host: str, answer: HandshakeAnswer) -> Judgement:
    """Grade ``answer`` to the request ``raw``, sent to a target whose own valid
    requests carry Host ``host`` (see the module docstring)."""
    reason = _refusal(raw)
    hosts = _values(raw, b"host")
    foreign = reason is None and bool(hosts) and hosts[0].lower() != host.lower()
    only_version = reason is not None and _refusal(
        _with_header(raw, b"sec-websocket-version", b"13")) is None
    only_http = reason is not None and _refusal(_with_version(raw, b"1.1")) is None
    if answer.status is None:
        refusable = foreign or (reason is not None and not only_version)
        if answer.ending in ("closed", "reset") and refusable:
            return Judgement("non-strict", "the connection closed without an HTTP status "
                             "(RFC6455 10.7 SHOULD answer with one)")
        return Judgement("fail", f"{answer.ending or 'no answer'} {answer.detail}".strip())
    if answer.status == 101:
        problems = _accept_problems(raw, answer)
        if problems:
            return Judgement("fail", "; ".join(problems))
        if reason is None:
            return Judgement("pass", "accepted" + (" a foreign Host" if foreign else ""))
        if only_version and _values(raw, b"sec-websocket-version") == [DRAFT_VERSION]:
            return Judgement("informational", "version 8 of an earlier draft was accepted "
                             "(RFC6455 4.2.2 allows a version the server understands)")
        return Judgement("fail", f"a 101 where the request must be refused ({reason})")
    if reason is None and not foreign:
        return Judgement("fail", f"{answer.status} where the request must be accepted")
    allowed = range(400, 500)
    if answer.status not in allowed and not (only_http and answer.status == 505):
        return Judgement("fail", f"{answer.status} is no refusal the request allows")
    wrong = _refusal_headers(answer)
    if wrong is not None:
        return Judgement("fail", wrong)
    if only_version:
        listed = [t.strip() for v in answer.header("Sec-WebSocket-Version") for t in v.split(",")]
        if "13" not in listed:
            return Judgement("fail", "a version refusal without Sec-WebSocket-Version: 13 "
                             "(RFC6455 4.2.2, 4.4)")
    return Judgement("pass", f"refused ({reason or 'a foreign Host'})")


def _values(raw: bytes, name: bytes) -> list[str]:
    request = _parse(raw)
    return [v.decode("latin-1") for n, v in (request.headers if request else [])
            if n.lower() == name]
