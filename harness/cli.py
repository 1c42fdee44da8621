"""The ``wsspec`` command: the conformance suite as a command line tool.

``wsspec [URL] [options]`` runs the installed cases through pytest (the same
run as ``pytest --target=URL``) and exits non-zero on any failure;
``wsspec serve`` starts the built-in reference server; ``wsspec client
--client-cmd "CMD {url}"`` tests a WebSocket client instead (docs/clients.md), and
``wsspec fuzzingserver`` serves the client cases behind Autobahn's URL protocol;
``wsspec load`` runs a load or soak test (docs/load.md); ``wsspec replay FILE``
plays a fuzz failure again (docs/fuzzing.md); ``wsspec --list`` prints the cases
without running them; ``wsspec baseline`` writes a baseline
from a report and ``wsspec compare`` compares reports (docs/reports.md).
Anything after ``--`` goes to pytest unchanged.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from typing import NoReturn

from wsspec import __version__
from wsspec.options import add_cli_options, cli_to_pytest, dest
from wsspec.settings import REFERENCE, SettingsError, read_settings

EPILOG = """\
examples:
  wsspec                                      the built-in reference server
  wsspec ws://127.0.0.1:9001/echo             a running server
  wsspec --target-cmd "node server.js {port}" start the server, test it, stop it
  wsspec --target-profile server.toml URL    what the server offers (docs/profile.md)
  wsspec -m "framing or close" -n auto URL    two sections, in parallel
  wsspec serve --port 9001                    run the reference server
  wsspec client --client-cmd "node client.js {url}"   test a client (docs/clients.md)
  wsspec fuzzingserver --port 9001            Autobahn's URL protocol, for client scripts
  wsspec URL -- --junitxml=reports/junit.xml  pass options on to pytest
  wsspec baseline reports/report.json -o wsspec-baseline.toml
  wsspec --baseline wsspec-baseline.toml URL  fail only on a change against it
  wsspec compare old/report.json new/report.json --html compare.html
  wsspec replay reports/fuzz/fuzz.frames.unmasked-1.json   replay a fuzz failure
  wsspec load URL --stages 50:30s,200:30s --slo "p99<50ms"  load and soak (docs/load.md)
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like the plugin's."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"ERROR: {message} (wsspec --help lists the options)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments: the URL, the options of :mod:`wsspec.options` under
    their pytest names, and the few pytest flags the command passes on (-k, -m, -n, -q)."""
    parser = _Parser(
        prog="wsspec",
        description="WebSocket (RFC 6455 / RFC 7692) conformance suite. Without a URL, "
        "tests the built-in reference server.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", nargs="?", help="ws:// or wss:// URL of the server to test")
    parser.add_argument("--version", action="version", version=f"wsspec {__version__}")
    add_cli_options(parser)
    parser.add_argument("-k", metavar="EXPR", help="only cases matching EXPR (ids, titles)")
    parser.add_argument("-m", metavar="EXPR", help="only these sections, e.g. 'framing or close'")
    parser.add_argument("-n", metavar="N", help="parallel workers (pytest-xdist), e.g. auto")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    return parser


def _target(options: argparse.Namespace) -> str | None:
    """The ``--target`` of the run: the URL, else the reference server unless a command
    starts the target."""
    if options.url:
        return str(options.url)
    return None if options.wsspec_target_cmd or options.wsspec_client_cmd else REFERENCE


def pytest_args(options: argparse.Namespace, extra: Sequence[str]) -> list[str]:
    """The pytest command line equivalent to ``options``."""
    from wsspec.plugin import CLIENT_CASES_DIR
    from wsspec.runstate import CONFORMANCE_DIR

    cases = CLIENT_CASES_DIR if options.wsspec_client_cmd else CONFORMANCE_DIR
    args = [str(cases), "-p", "no:cacheprovider", "-o", "python_files=test_*.py",
            "--rootdir", str(cases),
            # The cases judge through expectations, never a bare assert. Rewriting would
            # recompile every module of wsspec and of hypothesis (both register pytest
            # plugins) on each run where bytecode is not cached, for nothing.
            "--assert=plain"]
    target = _target(options)
    if target is not None:
        args.append(f"--target={target}")
    args += cli_to_pytest(options)
    for flag in ("k", "m", "n"):
        value = getattr(options, flag)
        if value is not None:
            args += [f"-{flag}", value]
    if options.wsspec_list:
        args += ["-q", "-q"]
    args += ["-q"] * options.quiet
    args += list(extra)
    return args


def _check(options: argparse.Namespace) -> str | None:
    """The one-line error of a bad option, found before pytest starts (the run itself
    validates the same way)."""
    from wsspec.clientside.run import read_client_settings

    target = _target(options)

    def value(name: str) -> object:
        return target if name == "target" else getattr(options, dest(name), None)

    try:
        read_settings(value)
        read_client_settings(value)
    except SettingsError as exc:
        return str(exc)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        from wsspec.targets.reference import main as serve

        return serve(argv[1:])
    if argv[:1] == ["baseline"]:
        return _baseline_command(argv[1:])
    if argv[:1] == ["compare"]:
        from wsspec.reporting.compare import main as compare

        return compare(argv[1:])
    if argv[:1] == ["load"]:
        missing = [name for name, module in (("hdrhistogram", "hdrh"), ("psutil", "psutil"))
                   if importlib.util.find_spec(module) is None]
        if missing:
            print(f"wsspec load needs {' and '.join(missing)}: pip install 'wsspec[load]'",
                  file=sys.stderr)
            return 2
        from wsspec.load.cli import main as load

        return load(argv[1:])
    if argv[:1] == ["fuzzingserver"]:
        from wsspec.clientside.fuzzingserver import main as fuzzingserver

        return fuzzingserver(argv[1:])
    if argv[:1] == ["replay"]:
        from wsspec.fuzz.replay import main as replay

        return replay(argv[1:])
    client = argv[:1] == ["client"]
    if client:
        argv = argv[1:]
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    options = build_parser().parse_args(argv)
    if client and not options.wsspec_client_cmd:
        print('ERROR: wsspec client needs --client-cmd "CMD {url}", the command that starts '
              "the client for each case", file=sys.stderr)
        return 2
    if options.n is not None and importlib.util.find_spec("xdist") is None:
        print("wsspec: -n needs pytest-xdist (pip install pytest-xdist)", file=sys.stderr)
        return 2
    import pytest

    error = _check(options)
    if error is not None:
        print(f"ERROR: {error}", file=sys.stderr)
        return int(pytest.ExitCode.USAGE_ERROR)

    return int(pytest.main(pytest_args(options, extra)))


def _baseline_command(argv: Sequence[str]) -> int:
    """``wsspec baseline REPORT.json -o FILE``: accept every non-pass verdict of a run."""
    import json
    from pathlib import Path

    from wsspec.reporting.baseline import baseline_from_report

    parser = _Parser(prog="wsspec baseline",
                     description="Write a baseline accepting every non-pass case of a run; "
                     "replace each placeholder reason with the real one.")
    parser.add_argument("report", metavar="REPORT.json")
    parser.add_argument("-o", "--output", metavar="FILE", required=True,
                        help="the baseline to write (TOML)")
    args = parser.parse_args(list(argv))
    try:
        report = json.loads(Path(args.report).read_text(encoding="utf-8"))
        text = baseline_from_report(report)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"wsspec baseline: {args.report}: not a readable report.json ({exc})",
              file=sys.stderr)
        return 2
    Path(args.output).write_text(text, encoding="utf-8")
    count = text.count("[cases.")
    print(f"{args.output}: {count} accepted deviations; write the reason of each")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
