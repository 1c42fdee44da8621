"""The load faults and the server that counts connections for them (see the package)."""

from __future__ import annotations

import asyncio
import socket
import struct
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from wsspec.profile import TargetProfile
from wsspec.protocol import Message
from wsspec.targets.reference.server import Behaviour, ReferenceServer

__all__ = ["FAULTS", "LoadFault", "LoadFaultyServer"]


class LoadBehaviour(Behaviour):
    """A behaviour that knows its server (the counts) and its threshold."""

    server: ClassVar[LoadFaultyServer]
    above: ClassVar[int]

    def __init__(self) -> None:
        #: this connection's number, counting from 1 in the order accepted
        self.number = self.server.accepted

    @property
    def loaded(self) -> bool:
        """Whether the server holds more connections than the threshold."""
        return self.server.active_connections > self.above


class CrossSessions(LoadBehaviour):
    """Under load, a message is echoed with the payload the server received before it, on
    whichever connection that was: sessions cross."""

    def echo(self, message: Message) -> tuple[int, bytes] | None:
        previous = self.server.last_message
        self.server.last_message = message.data
        if self.loaded and previous is not None and previous != message.data:
            return message.opcode, previous
        return super().echo(message)


class StarvePings(LoadBehaviour):
    """Connections beyond the threshold-th get no heartbeat pings."""

    def policy(self, profile: TargetProfile) -> TargetProfile:
        if self.number > self.above:
            return replace(profile, heartbeat=None)
        return super().policy(profile)


class KeepMemory(LoadBehaviour):
    """Each connection beyond the threshold-th leaves 64 KiB behind when it closes."""

    KEPT = 64 * 1024

    def __init__(self) -> None:
        super().__init__()
        if self.number > self.above:
            self.server.kept.append(bytearray(self.KEPT))


class AbandonClose(LoadBehaviour):
    """Under load, a client's close frame is never answered."""

    def close_reply(self, code: int | None) -> bytes | None:
        if self.loaded:
            return None
        return super().close_reply(code)


class ResetAbove(LoadBehaviour):
    """Connections arriving while the server holds more than the threshold are reset
    (RST) before the handshake: see :meth:`LoadFaultyServer._on_connect`."""


@dataclass(frozen=True)
class LoadFault:
    """One fault: its behaviour, its default threshold, what breaks."""

    name: str
    behaviour: type[LoadBehaviour]
    above: int
    rule: str


FAULTS: dict[str, LoadFault] = {f.name: f for f in (
    LoadFault("cross-sessions", CrossSessions, 100,
              "above 100 connections, echoes carry another connection's message"),
    LoadFault("starve-pings", StarvePings, 300,
              "connections beyond the 300th receive no heartbeat pings"),
    LoadFault("keep-memory", KeepMemory, 500,
              "each connection beyond the 500th keeps 64 KiB after it closes"),
    LoadFault("reset-above", ResetAbove, 200,
              "above 200 connections, new connections are reset"),
    LoadFault("abandon-close", AbandonClose, 200,
              "above 200 connections, close frames go unanswered"),
)}


class LoadFaultyServer(ReferenceServer):
    """The reference server with one load fault, counting the connections it accepts."""

    def __init__(self, fault: str, profile: TargetProfile | None = None, *,
                 above: int | None = None, **options: Any) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown load fault {fault!r} (known: {', '.join(FAULTS)})")
        chosen = FAULTS[fault]
        self.fault = chosen
        self.above = chosen.above if above is None else above
        behaviour = type(chosen.behaviour.__name__, (chosen.behaviour,),
                         {"server": self, "above": self.above})
        super().__init__(profile, behaviour=behaviour, **options)
        self.accepted = 0
        self.last_message: bytes | None = None
        self.kept: list[bytearray] = []

    async def _on_connect(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.fault.behaviour is ResetAbove and self.active_connections >= self.above:
            sock = writer.get_extra_info("socket")
            if sock is not None:
                # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        await super()._on_connect(reader, writer)
