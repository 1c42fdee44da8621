"""What a load run does: its stages of connections and each connection's messages.

A stage is a number of concurrent connections held until the stage's end
(``200:30s``); between stages the generator opens or closes connections at the
ramp rate. Each connection sends one message pattern: ``size`` bytes, ``rate``
messages a second, text or binary, compressed when permessage-deflate is
asked for and the target declares it. A ``lifetime`` makes connections close
(with a close handshake) and be replaced, so a soak run churns connections.

Stages come from ``--stages`` or from the ``[load]`` table of the target
profile (:class:`wsspec.profile.LoadPolicy`); bad input raises
:class:`ScenarioError` with one line naming the culprit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wsspec.profile import MAX_STAGE_CONNECTIONS, ProfileError
from wsspec.profile import parse_duration as _parse_duration
from wsspec.profile import parse_stage as _parse_stage

__all__ = ["MAX_CONNECTIONS", "MAX_RATE", "Pattern", "Scenario", "ScenarioError", "Stage",
           "parse_duration", "parse_stages"]

#: the most connections one stage may ask for
MAX_CONNECTIONS = MAX_STAGE_CONNECTIONS
#: the rate of a connection that sends as fast as its echoes return (``--rate max``)
MAX_RATE = float("inf")

class ScenarioError(ValueError):
    """A stage list or a message pattern the generator cannot run; one line."""


@dataclass(frozen=True)
class Stage:
    """Hold ``connections`` concurrent connections for ``duration`` seconds (ramp included)."""

    connections: int
    duration: float

    def label(self) -> str:
        return f"{self.connections}:{self.duration:g}s"


@dataclass(frozen=True)
class Pattern:
    """The messages of one connection.

    ``rate`` is messages a second per connection (0: an idle connection that
    only answers pings; :data:`MAX_RATE`, ``--rate max``: as fast as the echoes
    come back, ``window`` messages in flight, each echo making room for the
    next, written together); ``size`` the payload bytes (at least the 18-byte
    identity); ``window`` caps the messages awaiting their echo, so a slow
    server slows the sender instead of growing a queue.
    """

    size: int = 64
    rate: float = 1.0
    binary: bool = False
    deflate: bool = False
    lifetime: float | None = None
    window: int = 32
    echo_timeout: float = 5.0
    close_timeout: float = 5.0


@dataclass(frozen=True)
class Scenario:
    """A whole run: the stages, the pattern, and how fast connections ramp."""

    stages: tuple[Stage, ...]
    pattern: Pattern = field(default_factory=Pattern)
    #: connections opened (or closed) a second between stages
    ramp: float = 500.0
    #: seconds a connection may take from TCP connect to the 101
    connect_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.stages:
            raise ScenarioError("stages: give at least one stage, e.g. 50:10s")
        check_pattern(self.pattern)
        if not self.ramp > 0:
            raise ScenarioError(f"ramp: expected a positive number of connections a second, "
                                f"got {self.ramp!r}")

    @property
    def duration(self) -> float:
        return sum(stage.duration for stage in self.stages)

    @property
    def peak(self) -> int:
        return max(stage.connections for stage in self.stages)


#: the identity every message starts with (see :mod:`wsspec.load.integrity`).
IDENTITY_SIZE = 18


def check_pattern(pattern: Pattern) -> None:
    """``ScenarioError`` naming the first field of ``pattern`` out of range."""
    if not IDENTITY_SIZE <= pattern.size <= 16 * 2**20:
        raise ScenarioError(f"size: expected {IDENTITY_SIZE} to {16 * 2**20} bytes "
                            f"(a message carries an {IDENTITY_SIZE}-byte identity), "
                            f"got {pattern.size}")
    if not (0 <= pattern.rate <= 10_000 or pattern.rate == MAX_RATE):
        raise ScenarioError(f"rate: expected 0 to 10000 messages a second or max, "
                            f"got {pattern.rate!r}")
    if pattern.lifetime is not None and not pattern.lifetime > 0:
        raise ScenarioError(f"lifetime: expected a positive number of seconds, "
                            f"got {pattern.lifetime!r}")
    if not 1 <= pattern.window <= 10_000:
        raise ScenarioError(f"window: expected 1 to 10000 messages, got {pattern.window}")
    for name in ("echo_timeout", "close_timeout"):
        if not getattr(pattern, name) > 0:
            raise ScenarioError(f"{name}: expected a positive number of seconds, "
                                f"got {getattr(pattern, name)!r}")


def parse_rate(text: str) -> float:
    """``--rate``: messages a second per connection, or ``max``."""
    if text.strip().lower() == "max":
        return MAX_RATE
    try:
        return float(text)
    except ValueError:
        raise ScenarioError(f"--rate: expected messages a second or max, got {text!r}") from None


def parse_duration(text: str, where: str = "duration") -> float:
    """``"30s"``, ``"2m"``, ``"1h"``, ``"500ms"`` or bare seconds, as seconds."""
    try:
        return _parse_duration(where, text)
    except ProfileError as exc:
        raise ScenarioError(str(exc)) from None


def parse_stages(text: str) -> tuple[Stage, ...]:
    """``"50:30s,200:30s,1000:60s"`` as stages; ``ScenarioError`` names the bad one."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise ScenarioError("--stages: give at least one stage, e.g. 50:10s,200:30s")
    try:
        return tuple(Stage(*_parse_stage("--stages", part)) for part in parts)
    except ProfileError as exc:
        raise ScenarioError(str(exc)) from None
