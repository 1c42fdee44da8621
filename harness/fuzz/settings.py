"""How much to fuzz: the ``ci``, ``dev`` and ``deep`` profiles and the run's options.

A profile is a Hypothesis settings profile (registered as ``wsspec-ci``,
``wsspec-dev`` and ``wsspec-deep``, so a server's own Hypothesis tests can
load them) plus the wsspec budgets that Hypothesis has no setting for: the
wall-clock budget of generation and of shrinking.

======  ===========  ==========  ============  ==========  =================
name    examples     budget (s)  derandomized  shrink (s)  meant for
======  ===========  ==========  ============  ==========  =================
ci      25 per case  20          yes           20          every CI run
dev     300          60          no            60          a developer's run
deep    1 000 000    600         no            300         a campaign
======  ===========  ==========  ============  ==========  =================

Options override the profile: ``--fuzz-examples``, ``--fuzz-budget``,
``--fuzz-seed`` (a fixed seed: the whole search is repeatable), ``--fuzz-db``
(a directory of failing examples, or a ``redis://`` URL for Hypothesis' Redis
database, shared across runs, runners and machines; used by random runs
only, since a seeded run repeats itself anyway).

This module does not import Hypothesis until a profile is loaded, so the
plugin can validate options cheaply.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis import settings as HypothesisSettings

__all__ = [
    "PROFILES",
    "FuzzProfile",
    "FuzzSettings",
    "example_database",
    "hypothesis_settings",
    "parse_options",
    "read_fuzz_settings",
]

@dataclass(frozen=True)
class FuzzProfile:
    """A named fuzzing budget (see the table in the module docstring)."""

    name: str
    max_examples: int
    budget: float
    derandomize: bool
    shrink_budget: float
    #: examples per Hypothesis run; a campaign is a series of runs, so that the
    #: wall-clock budget is checked between them.
    round_size: int


PROFILES: dict[str, FuzzProfile] = {
    "ci": FuzzProfile("ci", 25, 20.0, True, 20.0, 25),
    "dev": FuzzProfile("dev", 300, 60.0, False, 60.0, 150),
    "deep": FuzzProfile("deep", 1_000_000, 600.0, False, 300.0, 500),
}

DEFAULT_PROFILE = "ci"


@dataclass(frozen=True)
class FuzzSettings:
    """The fuzzing options of one run, validated."""

    profile: FuzzProfile
    max_examples: int
    budget: float
    seed: int | None = None
    #: A directory, or a ``redis://`` URL (Hypothesis' Redis database, which
    #: needs the ``redis`` package): where failing examples are kept.
    database: str | None = None

    @property
    def derandomize(self) -> bool:
        return self.profile.derandomize

    def describe(self) -> str:
        seed = f", seed {self.seed}" if self.seed is not None else ""
        return (f"profile {self.profile.name}: up to {self.max_examples} examples or "
                f"{self.budget:g} s{seed}")


class FuzzOptionError(ValueError):
    """A fuzz option has a bad value; the message names the option."""


def _positive(name: str, raw: Any, kind: type[int] | type[float]) -> int | float:
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number of seconds"
        raise FuzzOptionError(f"--{name}: expected {what}, got {raw!r}") from None
    if value <= 0:
        raise FuzzOptionError(f"--{name}: expected a positive value, got {raw!r}")
    return value


def parse_options(*, profile: str | None = None, examples: Any = None, budget: Any = None,
                  seed: Any = None, database: str | None = None) -> FuzzSettings:
    """Validate the option values (strings, as given) into :class:`FuzzSettings`.

    :class:`FuzzOptionError` names the first bad option.
    """
    name = profile or DEFAULT_PROFILE
    if name not in PROFILES:
        raise FuzzOptionError(f"--fuzz-profile: unknown profile {name!r}; choose one of "
                              f"{', '.join(PROFILES)}")
    chosen = PROFILES[name]
    settings = FuzzSettings(chosen, chosen.max_examples, chosen.budget)
    if examples is not None:
        settings = replace(settings, max_examples=int(_positive("fuzz-examples", examples, int)))
    if budget is not None:
        settings = replace(settings, budget=float(_positive("fuzz-budget", budget, float)))
    if seed is not None:
        try:
            settings = replace(settings, seed=int(seed))
        except (TypeError, ValueError):
            raise FuzzOptionError(f"--fuzz-seed: expected a whole number, got {seed!r}") from None
    if database is not None:
        if database.startswith(("redis://", "rediss://", "unix://")):
            if importlib.util.find_spec("redis") is None:
                raise FuzzOptionError(f"--fuzz-db: {database} needs the redis package "
                                      "(pip install redis)")
        elif Path(database).exists() and not Path(database).is_dir():
            raise FuzzOptionError(f"--fuzz-db: {database} exists and is not a directory")
        settings = replace(settings, database=database)
    return settings


def example_database(spec: str) -> Any:
    """The Hypothesis example database ``spec`` names: a directory, or a Redis URL."""
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from hypothesis.extra.redis import RedisExampleDatabase

        redis = importlib.import_module("redis")  # optional: checked by parse_options
        return RedisExampleDatabase(redis.Redis.from_url(spec))
    from hypothesis.database import DirectoryBasedExampleDatabase

    return DirectoryBasedExampleDatabase(spec)


def hypothesis_settings(profile: FuzzProfile) -> HypothesisSettings:
    """The Hypothesis settings profile ``wsspec-<name>``, registered on first use.

    Against a live server: no per-example deadline (the conversation has its
    own), no health checks that assume a pure function, one bug reported,
    and no phase that would replay a failure many times over ("explain").
    """
    from hypothesis import HealthCheck, Phase, Verbosity
    from hypothesis import settings as hsettings

    name = f"wsspec-{profile.name}"
    try:
        return hsettings.get_profile(name)
    except Exception:  # InvalidArgument: not registered yet
        pass
    hsettings.register_profile(
        name,
        max_examples=min(profile.round_size, profile.max_examples),
        derandomize=profile.derandomize,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
    )
    return hsettings.get_profile(name)


def read_fuzz_settings(value: Callable[[str], Any]) -> FuzzSettings:
    """The fuzz options validated; ``value(name)`` is the raw value of option ``name``
    (``fuzz-profile``, ...), ``None`` when not set. :class:`FuzzOptionError` names a bad
    one."""
    return parse_options(
        profile=value("fuzz-profile"),
        examples=value("fuzz-examples"),
        budget=value("fuzz-budget"),
        seed=value("fuzz-seed"),
        database=value("fuzz-db"),
    )
