"""The settings of a run: the options of :mod:`wsspec.options`, validated.

:func:`read_settings` turns raw option values into :class:`Settings`, or
raises :class:`SettingsError` with one line naming the bad option. The plugin
reads the values from pytest's config (a bad one stops the run as a usage
error); the ``wsspec`` command checks its own flags the same way before it
starts pytest. Nothing here starts a server or imports the engine: with no
target named, the reference server's profile is read when first asked for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wsspec.driver.base import TLSOptions
    from wsspec.launcher import LaunchedTarget
    from wsspec.profile import TargetProfile
    from wsspec.reporting.baseline import Baseline

__all__ = ["REFERENCE", "Settings", "SettingsError", "read_settings"]

REFERENCE = "reference"


class SettingsError(ValueError):
    """An option has a bad value; the message names the option."""


@dataclass
class Settings:
    """The validated options of a run, and what the run learns on the way (the URL of
    the launched target, the case records)."""

    target: str | None
    target_cmd: str | None
    #: the profile file: the one named, or the reference server's own
    profile_path: str | None
    driver: str
    strict: bool
    report_dir: Path
    case_timeout: float
    startup_timeout: float
    heartbeat_tolerance: float
    insecure: bool
    ca_file: str | None
    list_only: bool
    baseline: Baseline | None = None
    pcap: str | None = None
    #: which wire logs the reports keep whole (:mod:`wsspec.reporting.wirelog_keep`)
    wirelog: str = "failed"
    launched: LaunchedTarget | None = None
    url: str | None = None
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    #: the profile, once read (at once when one was named, else on first use)
    loaded_profile: TargetProfile | None = None

    @property
    def profile(self) -> TargetProfile:
        """What the target declares (the reference server's profile by default)."""
        if self.loaded_profile is None:
            from wsspec.profile import TargetProfile, load_profile

            self.loaded_profile = (load_profile(self.profile_path) if self.profile_path
                                   else TargetProfile())
        return self.loaded_profile

    @property
    def active(self) -> bool:
        """Whether a target was named, so the cases join the run."""
        return bool(self.target or self.target_cmd
                    or (self.loaded_profile is not None and self.loaded_profile.url))

    @property
    def uses_reference(self) -> bool:
        return (self.target in (None, REFERENCE)) and not self.target_cmd and not (
            self.loaded_profile is not None and self.loaded_profile.url)

    @property
    def tls(self) -> TLSOptions:
        from wsspec.driver.base import TLSOptions

        return TLSOptions(insecure=self.insecure, ca_file=self.ca_file)


def _seconds(name: str, raw: Any, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"--{name}: expected a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise SettingsError(f"--{name}: expected a positive number of seconds, got {raw!r}")
    return value


def read_settings(value: Callable[[str], Any]) -> Settings:
    """Validate the options; ``value(name)`` is the raw value of option ``name`` (a
    name of :data:`wsspec.options.OPTIONS`), ``None`` when not set."""
    profile_path = value("target-profile")
    target = value("target")
    target_cmd = value("target-cmd")
    loaded = None
    if profile_path is not None:
        from wsspec.profile import ProfileError, load_profile

        try:
            loaded = load_profile(profile_path)
        except ProfileError as exc:
            raise SettingsError(str(exc)) from None
    elif target in (None, REFERENCE) and not target_cmd:
        # The built-in server runs with its own profile (deflate, limits, subprotocols),
        # and the capability checks read the same one.
        from wsspec.targets.profiles import REFERENCE_PROFILE

        profile_path = str(REFERENCE_PROFILE)
    if target is not None and target != REFERENCE:
        from wsspec.profile import ProfileError, check_url

        try:
            check_url(target.replace("{port}", "1") if target_cmd else target, "--target")
        except ProfileError as exc:
            raise SettingsError(f"{exc} (or use --target=reference)") from None
    if target == REFERENCE and target_cmd:
        raise SettingsError("--target=reference and --target-cmd exclude each other")
    driver = value("driver") or "asyncio"
    if driver != "asyncio":
        from wsspec.driver import DRIVER_NAMES  # only a named driver pays for the listing

        if driver not in DRIVER_NAMES:
            raise SettingsError(f"--driver: unknown driver {driver!r}; choose one of "
                            f"{', '.join(DRIVER_NAMES)}")
    ca_file = value("ca-file")
    if ca_file is not None and not Path(ca_file).is_file():
        raise SettingsError(f"--ca-file: no such file: {ca_file}")
    settings = Settings(
        target=target,
        target_cmd=target_cmd,
        profile_path=profile_path,
        loaded_profile=loaded,
        driver=driver,
        strict=bool(value("wsspec-strict")),
        report_dir=Path(value("report-dir") or "reports"),
        case_timeout=_seconds("case-timeout", value("case-timeout"), 5.0),
        heartbeat_tolerance=_seconds("heartbeat-tolerance", value("heartbeat-tolerance"), 0.5),
        startup_timeout=_seconds("target-startup-timeout", value("target-startup-timeout"),
                                 20.0),
        insecure=bool(value("insecure")),
        ca_file=ca_file,
        list_only=bool(value("wsspec-list")),
        baseline=_baseline(value("baseline")),
        pcap=_pcap(value("pcap")),
        wirelog=_wirelog(value("wirelog")),
    )
    if settings.active:
        from wsspec.fuzz.settings import FuzzOptionError, read_fuzz_settings

        try:
            read_fuzz_settings(value)
        except FuzzOptionError as exc:
            raise SettingsError(str(exc)) from None
    return settings


def _baseline(path: str | None) -> Baseline | None:
    if path is None:
        return None
    from wsspec.reporting.baseline import BaselineError, load_baseline

    try:
        return load_baseline(path)
    except BaselineError as exc:
        raise SettingsError(str(exc)) from None


def _wirelog(value: str | None) -> str:
    from wsspec.reporting.wirelog_keep import WIRELOG_MODES

    if value is None:
        return WIRELOG_MODES[0]
    if value not in WIRELOG_MODES:
        raise SettingsError(f"--wirelog: expected {' or '.join(WIRELOG_MODES)}, got {value!r}")
    return value


def _pcap(value: str | None) -> str | None:
    if value is None:
        return None
    from wsspec.reporting.formats.pcap import PCAP_CHOICES

    if value not in PCAP_CHOICES:
        raise SettingsError(f"--pcap: expected all or failed, got {value!r} "
                            "(write --pcap=failed)")
    return value
