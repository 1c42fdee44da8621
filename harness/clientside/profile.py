"""The client profile: what the suite may assume about a client under test.

A client profile is a TOML file (``docs/clients.md``) beside the target profile
of server runs. Every key is optional; a client case that needs a capability
the profile does not declare is graded ``unsupported``. Loading is strict: an
unknown key, a wrong type or an out-of-range value raises
:class:`~wsspec.profile.ProfileError` naming the key.

    echo = true                          # echoes every message (Autobahn's client contract)
    subprotocols = ["chat.v1"]           # what it offers in Sec-WebSocket-Protocol
    origin = "https://app.example"       # the Origin it sends
    [deflate]
    enabled = true                       # it offers permessage-deflate
    [heartbeat]
    ping_interval = 5.0                  # it pings at least this often (seconds)
    timeout = 10.0                       # and gives up on a server silent this long
    [reconnect]
    enabled = true                       # it reconnects after a lost connection
    initial_delay = 1.0                  # first delay (seconds)
    max_delay = 30.0                     # cap of its back-off
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from wsspec.profile import ProfileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["CLIENT_CAPABILITIES", "ClientProfile", "load_client_profile",
           "parse_client_profile"]

#: what a client case may need from the profile; the one list of their names.
CLIENT_CAPABILITIES = ("echo", "subprotocols", "origin", "deflate", "heartbeat", "reconnect")


@dataclass(frozen=True)
class HeartbeatPolicy:
    """``[heartbeat]``: the client pings every ``ping_interval`` s and drops a server
    that stays silent for ``timeout`` s."""

    ping_interval: float = 5.0
    timeout: float = 10.0


@dataclass(frozen=True)
class ReconnectPolicy:
    """``[reconnect]``: the client connects again after a lost connection, first after
    ``initial_delay`` s, backing off up to ``max_delay`` s."""

    enabled: bool = True
    initial_delay: float = 1.0
    max_delay: float = 30.0


@dataclass(frozen=True)
class ClientProfile:
    """Everything declared about one client. ``None`` and empty mean "not declared"."""

    echo: bool = True
    subprotocols: tuple[str, ...] = ()
    origin: str | None = None
    deflate: bool = False
    heartbeat: HeartbeatPolicy | None = None
    reconnect: ReconnectPolicy | None = None

    def offers(self, capability: str) -> bool:
        """Whether the profile declares ``capability`` (one of :data:`CLIENT_CAPABILITIES`)."""
        match capability:
            case "echo":
                return self.echo
            case "subprotocols":
                return bool(self.subprotocols)
            case "origin":
                return self.origin is not None
            case "deflate":
                return self.deflate
            case "heartbeat":
                return self.heartbeat is not None
            case "reconnect":
                return self.reconnect is not None and self.reconnect.enabled
        raise ValueError(f"unknown client capability {capability!r}; "
                         f"known: {', '.join(CLIENT_CAPABILITIES)}")

    def lacks(self, needs: Iterable[str]) -> list[str]:
        """The capabilities among ``needs`` the profile does not declare, in order."""
        return [need for need in needs if not self.offers(need)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view, for reports."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if hasattr(value, "__dataclass_fields__"):
                value = {k.name: getattr(value, k.name) for k in fields(value)}
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


def _typed(kind: type, what: str) -> Callable[[str, Any], Any]:
    def check(where: str, value: Any) -> Any:
        # bool is an int in Python; `initial_delay = true` is a mistake, not 1 second.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ProfileError(f"{where}: expected {what}, got {value!r}")
        return value

    return check


def _seconds(where: str, value: Any) -> float:
    number = float(_typed((int, float), "a number of seconds")(where, value))  # type: ignore[arg-type]
    if not number > 0:
        raise ProfileError(f"{where}: expected a positive number of seconds, got {value!r}")
    return number


def _tokens(where: str, value: Any) -> tuple[str, ...]:
    items = _typed(list, "a list of strings")(where, value)
    return tuple(_typed(str, "a string")(f"{where}[{i}]", item) for i, item in enumerate(items))


def _origin(where: str, value: Any) -> str:
    origin = str(_typed(str, "a string")(where, value))
    if not origin or any(ch in origin for ch in "\r\n"):
        raise ProfileError(f"{where}: expected an origin such as 'https://app.example', "
                           f"got {value!r}")
    return origin


_BOOL = _typed(bool, "true or false")

_TOP: dict[str, Callable[[str, Any], Any]] = {
    "echo": _BOOL, "subprotocols": _tokens, "origin": _origin,
}
_TABLES: dict[str, tuple[type, dict[str, Callable[[str, Any], Any]]]] = {
    "heartbeat": (HeartbeatPolicy, {"ping_interval": _seconds, "timeout": _seconds}),
    "reconnect": (ReconnectPolicy, {"enabled": _BOOL, "initial_delay": _seconds,
                                    "max_delay": _seconds}),
    "deflate": (dict, {"enabled": _BOOL}),
}


def _unknown(where: str, key: str, known: Iterable[str]) -> ProfileError:
    return ProfileError(f"{where}{key}: unknown key (known: {', '.join(sorted(known))})")


def parse_client_profile(data: Mapping[str, Any], source: str = "client profile",
                         ) -> ClientProfile:
    """Build a :class:`ClientProfile` from parsed TOML, strictly; ``source`` prefixes
    every error message (usually the file name)."""
    values: dict[str, Any] = {}
    for key, raw in data.items():
        where = f"{source}: {key}"
        if key in _TOP:
            values[key] = _TOP[key](where, raw)
            continue
        if key not in _TABLES:
            raise _unknown(f"{source}: ", key, [*_TOP, *_TABLES])
        cls, parsers = _TABLES[key]
        table = _typed(dict, f"a [{key}] table")(where, raw)
        sub: dict[str, Any] = {}
        for sub_key, sub_raw in table.items():
            if sub_key not in parsers:
                raise _unknown(f"{source}: {key}.", sub_key, parsers)
            sub[sub_key] = parsers[sub_key](f"{where}.{sub_key}", sub_raw)
        values[key] = sub.get("enabled", True) if cls is dict else cls(**sub)
    profile = ClientProfile(**values)
    reconnect, heartbeat = profile.reconnect, profile.heartbeat
    if reconnect is not None and reconnect.max_delay < reconnect.initial_delay:
        raise ProfileError(f"{source}: reconnect.max_delay ({reconnect.max_delay:g}) is below "
                           f"reconnect.initial_delay ({reconnect.initial_delay:g})")
    if heartbeat is not None and heartbeat.timeout < heartbeat.ping_interval:
        raise ProfileError(f"{source}: heartbeat.timeout ({heartbeat.timeout:g}) is below "
                           f"heartbeat.ping_interval ({heartbeat.ping_interval:g})")
    return profile


def load_client_profile(path: str | Path) -> ClientProfile:
    """Read and validate a client profile file; :class:`ProfileError` names what is wrong."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{file}: cannot read the client profile: "
                           f"{exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{file}: not valid TOML: {exc}") from None
    return parse_client_profile(data, str(file))
