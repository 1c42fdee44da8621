"""A pytest run of the client catalogue: its options, its fixture, and how its cases run.

``pytest --client-cmd="CMD {url}"`` (or ``wsspec client --client-cmd ...``)
collects ``wsspec.conformance.clients`` instead of the server cases; the
plugin hands the run to :func:`configure`, which registers
:class:`ClientRun`. The run's records, verdicts and reports are the plugin's,
as for server cases: a client case leaves the same
:class:`~wsspec.verdicts.CaseRecord` through the same hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import pytest
from wsspec.settings import Settings, SettingsError

from .profile import ClientProfile

__all__ = ["CLIENT_KEY", "ClientRun", "ClientSettings", "configure", "read_client_settings"]


@dataclass(frozen=True)
class ClientSettings:
    """The validated options of a client run."""

    command: str
    profile: ClientProfile = field(default_factory=ClientProfile)
    profile_path: str | None = None

    @property
    def target(self) -> str:
        """How reports name the client under test."""
        return f"client: {self.command}"


CLIENT_KEY = pytest.StashKey[ClientSettings]()


def read_client_settings(value: Callable[[str], Any]) -> ClientSettings | None:
    """The client run's settings, ``None`` without ``--client-cmd``; :class:`SettingsError`
    names a bad option (``value(name)`` as in :func:`wsspec.settings.read_settings`)."""
    command = value("client-cmd")
    profile_path = value("client-profile")
    if command is None:
        if profile_path is not None:
            raise SettingsError("--client-profile needs --client-cmd (the client to test)")
        return None
    from wsspec.profile import ProfileError

    from .profile import load_client_profile
    from .session import ClientCommandError, check_client_command

    try:
        check_client_command(command)
    except ClientCommandError as exc:
        raise SettingsError(str(exc)) from None
    for other in ("target", "target-cmd", "target-profile"):
        if value(other) is not None:
            raise SettingsError(f"--client-cmd and --{other} exclude each other: a run tests "
                                f"a client or a server")
    profile = ClientProfile()
    if profile_path is not None:
        try:
            profile = load_client_profile(profile_path)
        except ProfileError as exc:
            raise SettingsError(str(exc)) from None
    return ClientSettings(command, profile, profile_path)


def configure(config: pytest.Config, settings: Settings, client: ClientSettings) -> None:
    """Set a run up to test the client: the report names it, :class:`ClientRun` serves it."""
    config.stash[CLIENT_KEY] = client
    settings.url = client.target
    config.pluginmanager.register(ClientRun(client, settings), "wsspec-client-run")


class ClientRun:
    """The fixture and the call of client cases."""

    def __init__(self, client: ClientSettings, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    @pytest.fixture
    def wsspec_client_under_test(self, request: pytest.FixtureRequest,
                                 ) -> Generator[Any, None, None]:
        """The client under test for one case: its URL served, its command ready to start."""
        from wsspec.runstate import RECORD_KEY
        from wsspec.verdicts import CaseRecord, unsupported

        from .cases import client_needs
        from .session import ClientUnderTest

        missing = self.client.profile.lacks(client_needs(request.function))
        if missing:
            unsupported(f"the client profile does not declare {', '.join(missing)}")
        record = request.node.stash.get(RECORD_KEY, None)
        if record is None:
            record = CaseRecord(request.node.nodeid, "misc", request.node.name, "", "", None)
            request.node.stash[RECORD_KEY] = record
        client = ClientUnderTest(self.client.command, self.client.profile, record,
                                 timeout=self.settings.case_timeout,
                                 tolerance=self.settings.heartbeat_tolerance)
        try:
            yield client
        finally:
            client.close()

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        if "wsspec_client_under_test" not in pyfuncitem.fixturenames:
            return None
        from wsspec.grading import CaseVerdict
        from wsspec.verdicts import CaseFailed, HarnessError

        kwargs = {name: pyfuncitem.funcargs[name]
                  for name in pyfuncitem._fixtureinfo.argnames}
        try:
            pyfuncitem.obj(**kwargs)
        except (CaseFailed, HarnessError) as exc:
            raise CaseVerdict(exc, str(pyfuncitem.path)) from None
        return True
