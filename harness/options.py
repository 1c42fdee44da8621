"""The options of a run, in one table.

:data:`OPTIONS` generates the pytest options (one ``wsspec`` group in
``pytest --help``), their ini twins and the ``wsspec`` command's flags, under
the same names: ``Option("case-timeout", ...)`` is ``pytest --case-timeout``,
the ini key ``wsspec_case_timeout`` and ``wsspec --case-timeout``, which the
command hands on to pytest as it is. Adding an option is one entry here;
reading its value in a run is :func:`option_value`, and validating it is
:mod:`wsspec.settings`.

The module imports neither pytest nor the engine, so the plugin and the
command load it for free.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pytest

__all__ = ["OPTIONS", "Option", "add_cli_options", "add_pytest_options", "cli_to_pytest",
           "dest", "option_value"]


@dataclass(frozen=True)
class Option:
    """One option of a run.

    ``kind`` is ``value`` (``--NAME=VALUE``), ``flag`` (``--NAME``, an ini
    ``bool``) or ``optional`` (``--NAME`` alone means ``const``, or
    ``--NAME=VALUE``). ``cli`` is false for an option the ``wsspec`` command
    spells otherwise (the target is its positional URL). ``aliases`` are
    further spellings of the command, listed in its help; ``old_names`` are
    spellings it accepted before and still accepts, unlisted.
    """

    name: str
    help: str
    metavar: str | None = None
    kind: Literal["value", "flag", "optional"] = "value"
    const: str | None = None
    cli: bool = True
    aliases: tuple[str, ...] = ()
    old_names: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        """The attribute on pytest's and argparse's namespace, and the ini key."""
        return "wsspec_" + self.name.replace("-", "_").removeprefix("wsspec_")

    @property
    def flag(self) -> str:
        return f"--{self.name}"


OPTIONS: tuple[Option, ...] = (
    Option("target", "ws:// or wss:// URL of the server to test, or 'reference' for the "
           "built-in reference server", "URL", cli=False),
    Option("target-cmd", "command that starts the server; {port} is replaced by a free port "
           "(e.g. \"node server.js {port}\")", "CMD"),
    Option("target-profile", "TOML profile declaring what the target offers (auth, origin, "
           "heartbeat, limits, deflate, ...)", "FILE", old_names=("--profile",)),
    Option("client-cmd", "test a WebSocket CLIENT: the command the suite starts for each "
           "case; {url} is replaced by the case's ws:// URL (e.g. \"node client.js {url}\")",
           "CMD"),
    Option("client-profile", "TOML client profile declaring what the client does (echo, "
           "subprotocols, origin, ...; see docs/clients.md)", "FILE"),
    Option("driver", "I/O driver: asyncio (default) or trio", "NAME"),
    Option("wsspec-strict", "grade non-strict cases (a SHOULD not met) as failures",
           kind="flag", aliases=("--strict",)),
    Option("report-dir", "folder for report.json (default: reports)", "DIR"),
    Option("case-timeout", "seconds each wait of a case may take (default 5)", "S",
           old_names=("--timeout",)),
    Option("heartbeat-tolerance", "seconds of slack on the target's timers: heartbeat pings "
           "and drops, handshake deadline (default 0.5)", "S"),
    Option("target-startup-timeout", "seconds --target-cmd has to open its port (default 20)",
           "S", old_names=("--startup-timeout",)),
    Option("insecure", "wss://: do not verify the server certificate", kind="flag"),
    Option("ca-file", "wss://: trust this CA bundle (PEM)", "PEM"),
    Option("wsspec-list", "list the cases (id, title, RFC requirement) and exit", kind="flag",
           aliases=("--list",)),
    Option("baseline", "TOML file of accepted deviations: the run fails only on a change "
           "against it (see docs/reports.md)", "FILE"),
    Option("pcap", "write a .pcap per case into <report-dir>/pcap/ (--pcap=failed: failed "
           "cases only)", "all|failed", kind="optional", const="all"),
    Option("wirelog", "wire logs in the reports: failed (default: whole for cases that did "
           "not pass, start and end for the others) or full", "failed|full"),
    Option("fuzz-profile", "fuzz section: ci (default: derandomized, small), dev or deep",
           "NAME"),
    Option("fuzz-examples", "fuzz section: examples per case (overrides the profile)", "N"),
    Option("fuzz-budget", "fuzz section: seconds of generation per case (overrides the "
           "profile)", "S"),
    Option("fuzz-seed", "fuzz section: seed the search, which then repeats exactly", "N"),
    Option("fuzz-db", "fuzz section: example database, a directory or a redis:// URL (shared "
           "across runs and machines)", "DIR"),
)

_BY_NAME = {option.name: option for option in OPTIONS}


def _argparse_extra(option: Option) -> dict[str, Any]:
    if option.kind == "flag":
        return {"action": "store_true", "default": None}
    if option.kind == "optional":
        return {"nargs": "?", "const": option.const, "metavar": option.metavar}
    return {"metavar": option.metavar}


def add_pytest_options(parser: pytest.Parser) -> None:
    """Every option as ``--NAME`` in pytest's ``wsspec`` group, with its ini twin."""
    group = parser.getgroup("wsspec", "WebSocket conformance (wsspec)")
    for option in OPTIONS:
        group.addoption(option.flag, dest=option.dest, help=option.help,
                        **_argparse_extra(option))
        ini: Literal["bool", "string"] = "bool" if option.kind == "flag" else "string"
        parser.addini(option.dest, option.help, type=ini)


def add_cli_options(parser: argparse.ArgumentParser) -> None:
    """Every option of the ``wsspec`` command, under the same names as in pytest."""
    for option in OPTIONS:
        if not option.cli:
            continue
        extra = _argparse_extra(option)
        parser.add_argument(option.flag, *option.aliases, dest=option.dest, help=option.help,
                            **extra)
        if option.old_names:
            parser.add_argument(*option.old_names, dest=option.dest, help=argparse.SUPPRESS,
                                **extra)


def cli_to_pytest(namespace: argparse.Namespace) -> list[str]:
    """The pytest arguments naming the options set on the command's ``namespace``."""
    args: list[str] = []
    for option in OPTIONS:
        value = getattr(namespace, option.dest, None)
        if value is None or value is False:
            continue
        args.append(option.flag if option.kind == "flag" else f"{option.flag}={value}")
    return args


def dest(name: str) -> str:
    """Where option ``name`` is kept: its attribute on pytest's and argparse's namespace,
    and its ini key."""
    return _BY_NAME[name].dest


def option_value(config: pytest.Config, name: str) -> Any:
    """The value of option ``name`` in a pytest run: the command line's, else the ini
    file's; ``None`` when neither sets it (or the plugin's options are not registered)."""
    key = dest(name)
    value = config.getoption(key, None)
    if value is None:
        try:
            value = config.getini(key)
        except ValueError:  # not registered: the plugin is not loaded
            value = None
    return value if value not in ("", None) else None

