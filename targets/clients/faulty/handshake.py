"""Client faults of the opening handshake (RFC 6455 §4.1): the request, and the answer's checks."""

from __future__ import annotations

from wsspec.protocol import HandshakeRequest, HandshakeResponse, generate_key
from wsspec.targets.clients.reference import ReferenceClient

from .registry import fault

# -- the request ---------------------------------------------------------------------


@fault("method-post", "RFC 6455 4.1: the method MUST be GET; this client sends POST.",
       catches=["client.handshake.request.method"])
class MethodPost(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        request = super().build_request(key)
        request.method = "POST"
        return request


@fault("http-1.0", "RFC 6455 4.1: the request MUST be HTTP/1.1 or later; this client sends "
       "HTTP/1.0.", catches=["client.handshake.request.http-version"])
class Http10(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        request = super().build_request(key)
        request.http_version = "1.0"
        return request


@fault("wrong-resource", "RFC 6455 4.1: the request-URI MUST be the URL's resource name; "
       "this client always asks for /.", catches=["client.handshake.request.resource"])
class WrongResource(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        request = super().build_request(key)
        request.target = "/"
        return request


@fault("host-without-port", "RFC 6455 4.1: Host MUST name the host and the port when it is "
       "not the default; this client leaves the port out.",
       catches=["client.handshake.request.host"])
class HostWithoutPort(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        return super().build_request(key).replace("Host", self.host)


@fault("no-upgrade", "RFC 6455 4.1: the request MUST carry Upgrade: websocket; this client "
       "sends none.", catches=["client.handshake.request.upgrade"])
class NoUpgrade(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        return super().build_request(key).without("Upgrade")


@fault("connection-keep-alive", "RFC 6455 4.1: Connection MUST include the Upgrade token; this "
       "client sends Connection: keep-alive.", catches=["client.handshake.request.connection"])
class ConnectionKeepAlive(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        return super().build_request(key).replace("Connection", "keep-alive")


@fault("short-key", "RFC 6455 4.1: Sec-WebSocket-Key MUST be 16 random bytes in base64; this "
       "client sends 12.", catches=["client.handshake.request.key"])
class ShortKey(ReferenceClient):
    def new_key(self) -> str:
        return generate_key(bytes(range(12)))


@fault("fixed-key", "RFC 6455 4.1: the key MUST be chosen randomly for each connection; this "
       "client sends the same key every time.", catches=["client.handshake.request.key-fresh"])
class FixedKey(ReferenceClient):
    def new_key(self) -> str:
        return "dGhlIHNhbXBsZSBub25jZQ=="


@fault("version-8", "RFC 6455 4.1: Sec-WebSocket-Version MUST be 13; this client sends 8.",
       catches=["client.handshake.request.version"])
class Version8(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        return super().build_request(key).replace("Sec-WebSocket-Version", "8")


@fault("malformed-extensions", "RFC 6455 9.1: Sec-WebSocket-Extensions MUST follow the "
       "extension grammar; this client sends an empty parameter name.",
       catches=["client.handshake.request.extensions"])
class MalformedExtensions(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        return super().build_request(key).with_header("Sec-WebSocket-Extensions",
                                                      "permessage-deflate; =15")


@fault("no-origin", "RFC 6455 4.1: a client with an origin MUST send it in Origin; this client "
       "leaves it out.", catches=["client.origin.request.sent"])
class NoOrigin(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        return super().build_request(key).without("Origin")


@fault("duplicate-subprotocol", "RFC 6455 4.1: each offered subprotocol is named once; this "
       "client offers its first one twice.", catches=["client.subprotocol.request.offer"])
class DuplicateSubprotocol(ReferenceClient):
    def build_request(self, key: str) -> HandshakeRequest:
        request = super().build_request(key)
        offered = [*self.subprotocols[:1], *self.subprotocols]
        return request.replace("Sec-WebSocket-Protocol", ", ".join(offered))


# -- checking the answer -------------------------------------------------------------


class _Overlooks(ReferenceClient):
    """Takes a server's answer despite the problems that mention :attr:`overlooked`."""

    overlooked = ""

    def check_response(self, response: HandshakeResponse, key: str) -> list[str]:
        return [problem for problem in super().check_response(response, key)
                if self.overlooked not in problem]


@fault("accepts-any-status", "RFC 6455 4.1: a status other than 101 is no WebSocket "
       "connection; this client reads frames after a 200.",
       catches=["client.handshake.answer.status-200"])
class AcceptsAnyStatus(_Overlooks):
    overlooked = "the status must be 101"


@fault("ignores-upgrade", "RFC 6455 4.1: a missing or wrong Upgrade MUST fail the connection; "
       "this client does not check it.",
       catches=["client.handshake.answer.upgrade-*"])
class IgnoresUpgrade(_Overlooks):
    overlooked = "the Upgrade header"


@fault("ignores-connection", "RFC 6455 4.1: a missing Connection: Upgrade MUST fail the "
       "connection; this client does not check it.",
       catches=["client.handshake.answer.connection-missing"])
class IgnoresConnection(_Overlooks):
    overlooked = "the Connection header"


@fault("ignores-accept", "RFC 6455 4.1: a missing or wrong Sec-WebSocket-Accept MUST fail the "
       "connection; this client does not check it.",
       catches=["client.handshake.answer.accept-*"])
class IgnoresAccept(_Overlooks):
    overlooked = "Sec-WebSocket-Accept"


@fault("accepts-unoffered-subprotocol", "RFC 6455 4.1: a subprotocol the client did not offer "
       "MUST fail the connection; this client takes any.",
       catches=["client.handshake.answer.subprotocol-unoffered"])
class AcceptsUnofferedSubprotocol(_Overlooks):
    overlooked = "Sec-WebSocket-Protocol"


@fault("accepts-unoffered-extension", "RFC 6455 4.1: an extension the client did not offer "
       "MUST fail the connection; this client takes any.",
       catches=["client.handshake.answer.extension-unoffered"])
class AcceptsUnofferedExtension(_Overlooks):
    overlooked = "Sec-WebSocket-Extensions"
