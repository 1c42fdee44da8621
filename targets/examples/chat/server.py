"""A chat server as application authors write them, on ``websockets`` (asyncio).

    python -m wsspec.targets.examples.chat.server --port 8765

What it does, and what ``profile.toml`` next to it declares:

* one endpoint, ``/chat``; any other path gets 404;
* authentication by a JWT in the query string, ``/chat?token=<jwt>``: HS256
  with the secret of ``CHAT_JWT_SECRET`` (a demo secret by default), ``exp``
  required, audience ``chat`` and issuer ``chat-auth``. No token: 401 with a
  ``WWW-Authenticate: Bearer`` challenge; a token that does not verify: 403;
* an Origin allow-list (``websockets``' ``origins``): the web app's origins,
  and requests without Origin (other programs); others get 403;
* a heartbeat (``websockets``' keepalive): a ping every ``--ping-interval``
  seconds, and a connection whose pong is ``--ping-timeout`` seconds late is
  closed with 1011;
* messages up to ``--max-size`` bytes (1009 beyond) and ``--open-timeout``
  seconds for the opening handshake;
* rooms: a text message that is a JSON object ``{"type": "join", "room":
  "lobby"}`` puts the sender in a room, and ``{"type": "say", "text": "hi"}``
  goes to the other members of the sender's room as ``{"type": "said",
  "from": <the token's sub>, "text": "hi"}``. Every message, of whatever kind,
  is also sent back to its sender unchanged (an acknowledgement the client
  matches against what it sent), so the conformance suite's echo cases apply
  to a connection that joined no room.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http
import json
import os
import signal
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

import jwt
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Origin, Subprotocol

PATH = "/chat"
AUDIENCE = "chat"
ISSUER = "chat-auth"
DEFAULT_SECRET = "chat-example-secret-change-me-0123456789"
ALLOWED_ORIGINS = [Origin("https://chat.example"), Origin("http://localhost:3000")]
SUBPROTOCOLS = [Subprotocol("chat.v1")]


class Chat:
    """The rooms, and the connections' JWT subjects."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.rooms: dict[str, set[ServerConnection]] = defaultdict(set)
        self.room_of: dict[ServerConnection, str] = {}
        self.user_of: dict[ServerConnection, str] = {}

    def authenticate(self, connection: ServerConnection, request: Request) -> Response | None:
        """``process_request``: 404 off /chat, 401 without a token, 403 for a bad one."""
        target = urlsplit(request.path)
        if target.path != PATH:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "Not Found\n")
        tokens = parse_qs(target.query).get("token", [])
        if not tokens:
            response = connection.respond(http.HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
            response.headers["WWW-Authenticate"] = 'Bearer realm="chat"'
            return response
        try:
            claims = jwt.decode(tokens[0], self.secret, algorithms=["HS256"],
                                audience=AUDIENCE, issuer=ISSUER,
                                options={"require": ["exp"]})
        except jwt.PyJWTError:
            return connection.respond(http.HTTPStatus.FORBIDDEN, "Forbidden\n")
        self.user_of[connection] = str(claims.get("sub", "anonymous"))
        return None

    async def handle(self, connection: ServerConnection) -> None:
        try:
            async for message in connection:
                await connection.send(message)  # the acknowledgement
                if isinstance(message, str):
                    await self.command(connection, message)
        except ConnectionClosed:
            pass
        finally:
            self.leave(connection)
            self.user_of.pop(connection, None)

    async def command(self, connection: ServerConnection, text: str) -> None:
        try:
            command = json.loads(text)
        except ValueError:
            return
        if not isinstance(command, dict):
            return
        if command.get("type") == "join" and isinstance(command.get("room"), str):
            self.leave(connection)
            self.room_of[connection] = command["room"]
            self.rooms[command["room"]].add(connection)
        elif command.get("type") == "say" and connection in self.room_of:
            said = json.dumps({"type": "said", "from": self.user_of.get(connection),
                               "text": command.get("text")})
            for other in self.rooms[self.room_of[connection]] - {connection}:
                with contextlib.suppress(ConnectionClosed):
                    await other.send(said)

    def leave(self, connection: ServerConnection) -> None:
        room = self.room_of.pop(connection, None)
        if room is not None:
            self.rooms[room].discard(connection)
            if not self.rooms[room]:
                del self.rooms[room]


async def run(options: argparse.Namespace) -> None:
    chat = Chat(os.environ.get("CHAT_JWT_SECRET", DEFAULT_SECRET))
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        chat.handle,
        options.host,
        options.port,
        process_request=chat.authenticate,
        origins=[*ALLOWED_ORIGINS, None],
        subprotocols=SUBPROTOCOLS,
        compression=None,
        ping_interval=options.ping_interval,
        ping_timeout=options.ping_timeout,
        max_size=options.max_size,
        open_timeout=options.open_timeout,
    ):
        print(f"chat server listening on ws://{options.host}:{options.port}{PATH}", flush=True)
        await stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A chat server on websockets.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ping-interval", type=float, default=1.0, metavar="S")
    parser.add_argument("--ping-timeout", type=float, default=2.0, metavar="S")
    parser.add_argument("--max-size", type=int, default=65536, metavar="BYTES")
    parser.add_argument("--open-timeout", type=float, default=2.0, metavar="S")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
