"""The target profile: what the suite may assume about a target beyond RFC 6455.

A profile is a TOML file (see ``docs/profile.md``). Every key is optional; a
case that needs a key that is absent is graded ``unsupported``. Loading is
strict: an unknown key, a wrong type or an out-of-range value raises
:class:`ProfileError` naming the key, so a typo never silently disables cases.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

AUTH_SCHEMES = ("bearer", "query", "cookie", "subprotocol", "basic")

#: what a case may need from the profile (``@case(needs=...)``); a need the profile does
#: not declare grades the case ``unsupported``. The one list of capability names.
CAPABILITIES = (
    "echo", "deflate", "auth", "origin", "heartbeat", "limits", "paths", "subprotocols",
    "handshake_timeout", "jwt_secret",
)


class ProfileError(ValueError):
    """A profile (or a URL) the suite cannot use; the message names the culprit."""


@dataclass(frozen=True)
class AuthPolicy:
    """``[auth]``: the server refuses a handshake without valid credentials."""

    schemes: tuple[str, ...] = ("bearer",)
    param: str = "token"
    jwt_secret: str | None = None
    valid_token: str | None = None
    audience: str | None = None
    issuer: str | None = None
    reject_status: tuple[int, ...] = (401, 403)


@dataclass(frozen=True)
class OriginPolicy:
    """``[origin]``: only these origins may open a connection."""

    allowed: tuple[str, ...] = ()
    allow_missing: bool = True


@dataclass(frozen=True)
class HeartbeatPolicy:
    """``[heartbeat]``: the server pings every ``ping_interval`` s and drops a
    client that does not answer within ``timeout`` s."""

    ping_interval: float = 1.0
    timeout: float = 3.0


@dataclass(frozen=True)
class LimitsPolicy:
    """``[limits]``: message size and handshake deadline the server enforces."""

    max_message_size: int | None = None
    handshake_timeout: float | None = None


@dataclass(frozen=True)
class DeflatePolicy:
    """``[deflate]``: permessage-deflate (RFC 7692) is offered by the server."""

    enabled: bool = True


@dataclass(frozen=True)
class LoadPolicy:
    """``[load]``: the default scenario of ``wsspec load`` (docs/load.md).

    ``stages`` are (connections, seconds) pairs, written ``"200:30s"``.
    """

    stages: tuple[tuple[int, float], ...] = ()
    ramp: float = 500.0
    message_size: int = 64
    message_rate: float = 1.0
    binary: bool = False
    deflate: bool = False
    lifetime: float | None = None
    slo: str | None = None


#: the most connections one load stage may ask for
MAX_STAGE_CONNECTIONS = 100_000
_DURATION = re.compile(r"(?P<value>\d+(?:\.\d+)?)(?P<unit>ms|s|m|h)?\Z")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(where: str, text: str) -> float:
    """``"30s"``, ``"2m"``, ``"1h"``, ``"500ms"`` or bare seconds, as seconds."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ProfileError(f"{where}: expected a duration such as 30s, 2m, 1h or 500ms, "
                           f"got {text!r}")
    seconds = float(match["value"]) * _UNITS[match["unit"]]
    if not seconds > 0:
        raise ProfileError(f"{where}: a duration must be positive, got {text!r}")
    return seconds


def parse_stage(where: str, text: str) -> tuple[int, float]:
    """One load stage ``CONNECTIONS:DURATION`` (``"200:30s"``) as (connections, seconds)."""
    count, colon, duration = text.strip().partition(":")
    if not colon or not count.strip().isdigit():
        raise ProfileError(f"{where}: expected CONNECTIONS:DURATION such as 200:30s, "
                           f"got {text!r}")
    connections = int(count)
    if connections > MAX_STAGE_CONNECTIONS:
        raise ProfileError(f"{where}: at most {MAX_STAGE_CONNECTIONS} connections, "
                           f"got {connections}")
    return connections, parse_duration(f"{where} {text.strip()!r}", duration)


@dataclass(frozen=True)
class TargetProfile:
    """Everything declared about one target. ``None`` means "not declared"."""

    url: str | None = None
    echo: bool = True
    subprotocols: tuple[str, ...] = ()
    subprotocol_required: bool = False
    paths: tuple[str, ...] | None = None
    auth: AuthPolicy | None = None
    origin: OriginPolicy | None = None
    heartbeat: HeartbeatPolicy | None = None
    limits: LimitsPolicy | None = None
    deflate: DeflatePolicy | None = None
    load: LoadPolicy | None = None

    def offers(self, capability: str) -> bool:
        """Whether the profile declares ``capability`` (one of :data:`CAPABILITIES`)."""
        match capability:
            case "echo":
                return self.echo
            case "deflate":
                return self.deflate is not None and self.deflate.enabled
            case "auth":
                return self.auth is not None
            case "origin":
                return self.origin is not None
            case "heartbeat":
                return self.heartbeat is not None
            case "limits":
                return self.limits is not None and self.limits.max_message_size is not None
            case "paths":
                return self.paths is not None
            case "subprotocols":
                return bool(self.subprotocols)
            case "handshake_timeout":
                return self.limits is not None and self.limits.handshake_timeout is not None
            case "jwt_secret":
                return self.auth is not None and self.auth.jwt_secret is not None
        raise ValueError(f"unknown capability {capability!r}; known: {', '.join(CAPABILITIES)}")

    def lacks(self, needs: Iterable[str]) -> list[str]:
        """The capabilities among ``needs`` that the profile does not declare, in order."""
        return [need for need in needs if not self.offers(need)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view (for ``report.json``); secrets are masked."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if hasattr(value, "__dataclass_fields__"):
                value = {
                    k.name: _public(k.name, getattr(value, k.name))
                    for k in fields(value)
                    if getattr(value, k.name) is not None
                }
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


def _public(name: str, value: Any) -> Any:
    if name in ("jwt_secret", "valid_token"):
        return "***"
    return list(value) if isinstance(value, tuple) else value


T = TypeVar("T")


def _check(where: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    # bool is an int in Python; a profile that says `timeout = true` is a mistake.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ProfileError(f"{where}: expected {what}, got {value!r}")
    if not isinstance(value, kind):
        raise ProfileError(f"{where}: expected {what}, got {type(value).__name__} {value!r}")
    return value


def _str(where: str, v: Any) -> str:
    return str(_check(where, v, str, "a string"))


def _bool(where: str, v: Any) -> bool:
    return bool(_check(where, v, bool, "true or false"))


def _positive(where: str, v: Any) -> float:
    number = float(_check(where, v, (int, float), "a number of seconds"))
    if not number > 0:
        raise ProfileError(f"{where}: expected a positive number, got {v!r}")
    return number


def _size(where: str, v: Any) -> int:
    number = int(_check(where, v, int, "a whole number of bytes"))
    if number <= 0:
        raise ProfileError(f"{where}: expected a positive number of bytes, got {v!r}")
    return number


def _strings(where: str, v: Any) -> tuple[str, ...]:
    items = _check(where, v, list, "a list of strings")
    return tuple(_str(f"{where}[{i}]", item) for i, item in enumerate(items))


def _statuses(where: str, v: Any) -> tuple[int, ...]:
    items = _check(where, v, list, "a list of HTTP status codes")
    out = []
    for i, item in enumerate(items):
        code = int(_check(f"{where}[{i}]", item, int, "an HTTP status code"))
        if not 400 <= code <= 599:
            raise ProfileError(f"{where}[{i}]: expected a 4xx or 5xx status, got {code}")
        out.append(code)
    if not out:
        raise ProfileError(f"{where}: must list at least one status")
    return tuple(out)


def _schemes(where: str, v: Any) -> tuple[str, ...]:
    schemes = _strings(where, v)
    for s in schemes:
        if s not in AUTH_SCHEMES:
            raise ProfileError(f"{where}: unknown scheme {s!r} (known: {', '.join(AUTH_SCHEMES)})")
    if not schemes:
        raise ProfileError(f"{where}: must list at least one scheme")
    return schemes


def _paths(where: str, v: Any) -> tuple[str, ...]:
    paths = _strings(where, v)
    for p in paths:
        if not p.startswith("/"):
            raise ProfileError(f"{where}: path {p!r} must start with '/'")
    return paths


def _stages(where: str, v: Any) -> tuple[tuple[int, float], ...]:
    items = _check(where, v, list, 'a list of stages such as ["50:30s", "200:60s"]')
    if not items:
        raise ProfileError(f"{where}: must list at least one stage")
    return tuple(parse_stage(f"{where}[{i}]", _str(f"{where}[{i}]", item))
                 for i, item in enumerate(items))


def _message_size(where: str, v: Any) -> int:
    size = _size(where, v)
    if not 18 <= size <= 16 * 2**20:
        raise ProfileError(f"{where}: expected 18 to {16 * 2**20} bytes (a load message "
                           f"carries an 18-byte identity), got {size}")
    return size


def _rate(where: str, v: Any) -> float:
    rate = float(_check(where, v, (int, float), "a number of messages a second"))
    if not 0 <= rate <= 10_000:
        raise ProfileError(f"{where}: expected 0 to 10000 messages a second, got {v!r}")
    return rate


def _url(where: str, v: Any) -> str:
    return check_url(_str(where, v), where)


Parser = Callable[[str, Any], Any]

_TABLES: dict[str, tuple[type, dict[str, Parser]]] = {
    "auth": (
        AuthPolicy,
        {
            "schemes": _schemes,
            "param": _str,
            "jwt_secret": _str,
            "valid_token": _str,
            "audience": _str,
            "issuer": _str,
            "reject_status": _statuses,
        },
    ),
    "origin": (OriginPolicy, {"allowed": _strings, "allow_missing": _bool}),
    "heartbeat": (HeartbeatPolicy, {"ping_interval": _positive, "timeout": _positive}),
    "limits": (LimitsPolicy, {"max_message_size": _size, "handshake_timeout": _positive}),
    "deflate": (DeflatePolicy, {"enabled": _bool}),
    "load": (
        LoadPolicy,
        {
            "stages": _stages,
            "ramp": _positive,
            "message_size": _message_size,
            "message_rate": _rate,
            "binary": _bool,
            "deflate": _bool,
            "lifetime": _positive,
            "slo": _str,
        },
    ),
}

_TOP: dict[str, Parser] = {
    "url": _url,
    "echo": _bool,
    "subprotocols": _strings,
    "subprotocol_required": _bool,
    "paths": _paths,
}


def _unknown(where: str, key: str, known: Mapping[str, Any]) -> ProfileError:
    return ProfileError(f"{where}{key}: unknown key (known: {', '.join(sorted(known))})")


def parse_profile(data: Mapping[str, Any], source: str = "profile") -> TargetProfile:
    """Build a :class:`TargetProfile` from parsed TOML, strictly.

    ``source`` prefixes every error message (usually the file name).
    """
    values: dict[str, Any] = {}
    for key, raw in data.items():
        where = f"{source}: {key}"
        if key in _TOP:
            values[key] = _TOP[key](where, raw)
        elif key in _TABLES:
            cls, parsers = _TABLES[key]
            table = _check(where, raw, dict, f"a [{key}] table")
            sub: dict[str, Any] = {}
            for sub_key, sub_raw in table.items():
                if sub_key not in parsers:
                    raise _unknown(f"{source}: {key}.", sub_key, parsers)
                sub[sub_key] = parsers[sub_key](f"{source}: {key}.{sub_key}", sub_raw)
            values[key] = cls(**sub)
        else:
            raise _unknown(f"{source}: ", key, {**_TOP, **_TABLES})
    profile = TargetProfile(**values)
    _check_consistency(profile, source)
    return profile


def _check_consistency(profile: TargetProfile, source: str) -> None:
    auth = profile.auth
    if auth is not None and auth.jwt_secret is None and auth.valid_token is None:
        raise ProfileError(
            f"{source}: auth: set jwt_secret or valid_token so valid credentials exist"
        )
    if profile.subprotocol_required and not profile.subprotocols:
        raise ProfileError(f"{source}: subprotocol_required is true but subprotocols is empty")
    hb = profile.heartbeat
    if hb is not None and hb.timeout < hb.ping_interval:
        raise ProfileError(
            f"{source}: heartbeat.timeout ({hb.timeout}) is shorter than ping_interval "
            f"({hb.ping_interval})"
        )


def load_profile(path: str | Path) -> TargetProfile:
    """Read and validate a profile file; errors name the file and the key."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"profile file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile {p}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{p}: not valid TOML: {exc}") from None
    return parse_profile(data, str(p))


def check_url(url: str, where: str = "target") -> str:
    """Validate a ``ws://`` or ``wss://`` URL and return it unchanged."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ProfileError(f"{where}: malformed URL {url!r}: {exc}") from None
    if parts.scheme not in ("ws", "wss"):
        shown = parts.scheme or "none"
        raise ProfileError(
            f"{where}: URL {url!r} has scheme {shown!r}; use ws:// or wss://"
        )
    if not parts.hostname:
        raise ProfileError(f"{where}: URL {url!r} has no host")
    if parts.fragment:
        raise ProfileError(f"{where}: URL {url!r} has a fragment, which RFC 6455 3 forbids")
    del port
    return url


@dataclass(frozen=True)
class TargetAddress:
    """A parsed target URL."""

    secure: bool
    host: str
    port: int
    resource: str
    netloc: str = field(default="")

    @classmethod
    def from_url(cls, url: str) -> TargetAddress:
        check_url(url)
        parts = urlsplit(url)
        secure = parts.scheme == "wss"
        port = parts.port or (443 if secure else 80)
        resource = parts.path or "/"
        if parts.query:
            resource += "?" + parts.query
        host = parts.hostname or ""
        return cls(secure=secure, host=host, port=port, resource=resource, netloc=parts.netloc)
