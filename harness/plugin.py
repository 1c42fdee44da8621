"""The pytest plugin: options, fixtures and hooks that run the conformance cases.

Loaded through the ``pytest11`` entry point. It stays out of a user's own
``pytest`` run: the installed ``conformance`` cases are collected only when a
target option (``--target``, ``--target-cmd`` or a profile with a ``url``) is
given; with one, a run that names no paths runs the cases from any directory.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import os
import time
import warnings
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from wsspec.cases import SECTIONS, CaseInfo, case_template, start_timer_cases
from wsspec.driver import DRIVER_NAMES
from wsspec.fuzz.settings import OPTIONS as FUZZ_OPTIONS
from wsspec.fuzz.settings import fuzz_settings
from wsspec.launcher import LaunchedTarget, LaunchError, launch, probe
from wsspec.profile import ProfileError, TargetProfile, check_url, load_profile
from wsspec.reporting.baseline import Baseline, BaselineError, Judgement, load_baseline, tally
from wsspec.reporting.formats.report_json import REPORT_JSON, build_report
from wsspec.reporting.presentation import section_table
from wsspec.reporting.wirelog_keep import keep_wirelog
from wsspec.verdicts import CaseFailed, CaseRecord, HarnessError, Verdict
from wsspec.wirelog import WireLog

pytest_plugins = ["wsspec.reporting.wirelog_keep"]

if TYPE_CHECKING:
    # The DSL pulls in the whole protocol core and the drivers; a
    # plain pytest run that never names a target should not pay for them.
    from wsspec.driver.base import TLSOptions
    from wsspec.dsl import Client, ConcurrentObservations, Target

REFERENCE = "reference"
CONFORMANCE_PACKAGE = "wsspec.conformance"
#: where the cases live: the folder of ``wsspec.conformance``, wherever packaging put it
#: (``conformance/`` in a checkout, ``wsspec/conformance/`` in an installed wheel).
CONFORMANCE_DIR = Path(importlib.import_module(CONFORMANCE_PACKAGE).__path__[0]).resolve()

INFO_KEY = pytest.StashKey[CaseInfo]()
RECORD_KEY = pytest.StashKey[CaseRecord]()
SETTINGS_KEY = pytest.StashKey["Settings"]()


class NonStrictWarning(UserWarning):
    """A case graded non-strict: allowed by the RFC, but not the preferred behaviour."""


# name, ini type, help; the option is --NAME, its ini twin wsspec_NAME (dashes → underscores).
_OPTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("target", "string", "ws:// or wss:// URL of the server to test, or 'reference' for the "
     "built-in reference server", {}),
    ("target-cmd", "string", "command that starts the server; {port} is replaced by a free "
     "port (e.g. \"node server.js {port}\")", {}),
    ("target-profile", "string", "TOML profile declaring what the target offers (auth, origin, "
     "heartbeat, limits, deflate, ...)", {}),
    ("driver", "string", "I/O driver: asyncio (default) or trio", {}),
    ("wsspec-strict", "bool", "grade non-strict cases (a SHOULD not met) as failures",
     {"action": "store_true", "default": None}),
    ("report-dir", "string", "folder for report.json (default: reports)", {}),
    ("case-timeout", "string", "seconds each wait of a case may take (default 5)", {}),
    ("heartbeat-tolerance", "string", "seconds of slack on the target's timers: heartbeat "
     "pings and drops, handshake deadline (default 0.5)", {}),
    ("target-startup-timeout", "string", "seconds --target-cmd has to open its port "
     "(default 20)", {}),
    ("insecure", "bool", "wss://: do not verify the server certificate",
     {"action": "store_true", "default": None}),
    ("ca-file", "string", "wss://: trust this CA bundle (PEM)", {}),
    ("wsspec-list", "bool", "list the cases (id, title, RFC requirement) and exit",
     {"action": "store_true", "default": None}),
    ("baseline", "string", "TOML file of accepted deviations: the run fails only on a "
     "change against it (see docs/reports.md)", {}),
    ("pcap", "string", "write a .pcap per case into <report-dir>/pcap/ (--pcap=failed: "
     "failed cases only)", {"nargs": "?", "const": "all", "metavar": "all|failed"}),
    ("wirelog", "string", "wire logs kept in the reports: failed (default: the whole log of "
     "fail, error and non-strict cases, the start and end of the others) or full", {
         "metavar": "failed|full", "choices": ("failed", "full")}),
]
_OPTIONS += [(name, "string", text, {"metavar": metavar})
             for name, metavar, text in FUZZ_OPTIONS]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wsspec", "WebSocket conformance (wsspec)")
    for name, kind, text, extra in _OPTIONS:
        dest = "wsspec_" + name.replace("-", "_").removeprefix("wsspec_")
        group.addoption(f"--{name}", dest=dest, help=text, **extra)
        parser.addini(dest, text, type=kind)  # type: ignore[arg-type]


@dataclass
class Settings:
    """The validated options of a run."""

    target: str | None
    target_cmd: str | None
    profile: TargetProfile
    profile_path: str | None
    driver: str
    strict: bool
    report_dir: Path
    case_timeout: float
    startup_timeout: float
    heartbeat_tolerance: float
    tls: TLSOptions
    list_only: bool
    baseline: Baseline | None = None
    pcap: str | None = None
    launched: LaunchedTarget | None = None
    url: str | None = None
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    @property
    def active(self) -> bool:
        """Whether a target was named, so the cases join the run."""
        return bool(self.target or self.target_cmd or self.profile.url)

    @property
    def uses_reference(self) -> bool:
        return (self.target in (None, REFERENCE)) and not self.target_cmd and not self.profile.url


def _get(config: pytest.Config, name: str) -> Any:
    dest = "wsspec_" + name.replace("-", "_").removeprefix("wsspec_")
    value = config.getoption(dest)
    if value is None:
        value = config.getini(dest)
    return value if value not in ("", None) else None


def _seconds(name: str, raw: Any, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"--{name}: expected a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise pytest.UsageError(f"--{name}: expected a positive number of seconds, got {raw!r}")
    return value


def _settings(config: pytest.Config) -> Settings:
    profile_path = _get(config, "target-profile")
    target = _get(config, "target")
    target_cmd = _get(config, "target-cmd")
    if profile_path is None and target in (None, REFERENCE) and not target_cmd:
        # The built-in server runs with its own profile (deflate, limits, subprotocols), and
        # the capability checks read the same one.
        from wsspec.targets.profiles import REFERENCE_PROFILE

        profile_path = str(REFERENCE_PROFILE)
    try:
        profile = load_profile(profile_path) if profile_path else TargetProfile()
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None
    if target is not None and target != REFERENCE:
        try:
            check_url(target.replace("{port}", "1") if target_cmd else target, "--target")
        except ProfileError as exc:
            raise pytest.UsageError(f"{exc} (or use --target=reference)") from None
    if target == REFERENCE and target_cmd:
        raise pytest.UsageError("--target=reference and --target-cmd exclude each other")
    driver = _get(config, "driver") or "asyncio"
    if driver not in DRIVER_NAMES:
        raise pytest.UsageError(f"--driver: unknown driver {driver!r}; choose one of "
                                f"{', '.join(DRIVER_NAMES)}")
    ca_file = _get(config, "ca-file")
    if ca_file is not None and not Path(ca_file).is_file():
        raise pytest.UsageError(f"--ca-file: no such file: {ca_file}")
    from wsspec.driver.base import TLSOptions

    return Settings(
        target=target,
        target_cmd=target_cmd,
        profile=profile,
        profile_path=profile_path,
        driver=driver,
        strict=bool(_get(config, "wsspec-strict")),
        report_dir=Path(_get(config, "report-dir") or "reports"),
        case_timeout=_seconds("case-timeout", _get(config, "case-timeout"), 5.0),
        heartbeat_tolerance=_seconds("heartbeat-tolerance",
                                     _get(config, "heartbeat-tolerance"), 0.5),
        startup_timeout=_seconds("target-startup-timeout",
                                 _get(config, "target-startup-timeout"), 20.0),
        tls=TLSOptions(insecure=bool(_get(config, "insecure")), ca_file=ca_file),
        list_only=bool(_get(config, "wsspec-list")),
        baseline=_baseline(_get(config, "baseline")),
        pcap=_pcap(_get(config, "pcap")),
    )


def _baseline(path: str | None) -> Baseline | None:
    try:
        return load_baseline(path) if path else None
    except BaselineError as exc:
        raise pytest.UsageError(str(exc)) from None


def _pcap(value: str | None) -> str | None:
    from wsspec.reporting.formats.pcap import PCAP_CHOICES

    if value is not None and value not in PCAP_CHOICES:
        raise pytest.UsageError(f"--pcap: expected all or failed, got {value!r} "
                                "(write --pcap=failed)")
    return value


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    for section in SECTIONS:
        config.addinivalue_line("markers", f"{section}: wsspec conformance cases of '{section}'")
    config.addinivalue_line("markers", "slow: large-message cases (Autobahn 9.x style)")
    settings = _settings(config)
    config.stash[SETTINGS_KEY] = settings
    if settings.active:
        fuzz_settings(config)  # a bad --fuzz-* option stops the run here, in one line
    if settings.active and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(CONFORMANCE_DIR)]
    if _is_worker(config):
        settings.url = config.workerinput.get("wsspec_url")  # type: ignore[attr-defined]
        return
    config.pluginmanager.register(_RecordCollector(settings), "wsspec-records")
    if settings.list_only:
        config.option.collectonly = True
        return
    if settings.target_cmd:
        try:
            settings.launched = launch(settings.target_cmd, settings.target or settings.profile.url,
                                       timeout=settings.startup_timeout)
        except LaunchError as exc:
            raise pytest.UsageError(str(exc)) from None
        settings.url = settings.launched.url
    elif not settings.uses_reference:
        settings.url = settings.target or settings.profile.url
        assert settings.url is not None
        try:
            probe(settings.url, timeout=settings.case_timeout)
        except LaunchError as exc:
            raise pytest.UsageError(str(exc)) from None
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(settings), "wsspec-xdist")


class _XdistHooks:
    """Hands the controller's target URL to each xdist worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["wsspec_url"] = self.settings.url

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Work stealing, unless the user named a ``--dist`` mode. xdist's default
        hands tests out in fixed chunks: the few cases that wait out a deadline
        against a server that never answers sit together in one chunk, and one
        worker waits through them while the others have nothing left to do."""
        if not self.settings.active or config.option.dist != "load" or _dist_named(config):
            return None
        from xdist.scheduler import WorkStealingScheduling  # type: ignore[import-untyped]

        return WorkStealingScheduling(config, log)


def _dist_named(config: pytest.Config) -> bool:
    """Whether the command line, PYTEST_ADDOPTS or the ini addopts name a --dist mode."""
    words = [*config.invocation_params.args, *os.environ.get("PYTEST_ADDOPTS", "").split(),
             *config.getini("addopts")]
    return any(w == "-d" or w.startswith("--dist") for w in words)


def pytest_unconfigure(config: pytest.Config) -> None:
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is not None and settings.launched is not None:
        settings.launched.stop()
        settings.launched = None


# -- collection -----------------------------------------------------------------


class _CaseModule(pytest.Module):
    """A module of cases, imported by its name in the ``wsspec`` namespace.

    pytest names a test module after the folders around it; in a checkout the
    cases' folder is ``conformance/`` and the module would become
    ``conformance.test_rsv``, a second top-level name beside ``wsspec``. Importing
    it as ``wsspec.conformance.test_rsv`` keeps one module object and one name,
    wherever the package was installed from.
    """

    def _getobj(self) -> Any:
        name = f"{CONFORMANCE_PACKAGE}.{self.path.stem}"
        try:
            return importlib.import_module(name)
        except Exception as exc:
            raise self.CollectError(f"wsspec: cannot import the cases of {name}: "
                                    f"{type(exc).__name__}: {exc}") from exc


def pytest_pycollect_makemodule(module_path: Path, parent: Any) -> pytest.Module | None:
    if module_path.parent == CONFORMANCE_DIR and module_path.stem.startswith("test_"):
        return _CaseModule.from_parent(parent, path=module_path)
    return None



def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        template = case_template(getattr(item, "obj", None))
        if template is None:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        info = template.resolve(params)
        if info.id in seen:
            raise pytest.UsageError(f"case id {info.id} is used by both {seen[info.id]} "
                                    f"and {item.nodeid}")
        seen[info.id] = item.nodeid
        item.stash[INFO_KEY] = info
        item.extra_keyword_matches.add(info.id)


def pytest_collection_finish(session: pytest.Session) -> None:
    settings = session.config.stash[SETTINGS_KEY]
    if not settings.list_only:
        return
    infos = [item.stash[INFO_KEY] for item in session.items if INFO_KEY in item.stash]
    writer = session.config.get_terminal_writer()
    for info in infos:
        autobahn = f" [autobahn {info.autobahn}]" if info.autobahn else ""
        writer.line(f"{info.id:<44} {info.title}{autobahn}")
        writer.line(f"{'':<44}   {info.rfc}: {info.requirement}")
    writer.line(f"{len(infos)} cases")


# -- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def wsspec_target(request: pytest.FixtureRequest) -> Generator[Target, None, None]:
    """The target of the run: one reference server per worker, or the given URL."""
    from wsspec.dsl import Target

    settings = request.config.stash[SETTINGS_KEY]
    running = None
    url = settings.url
    if url is None:
        from wsspec.targets.reference import run_in_thread

        running = run_in_thread(settings.profile)
        url = running.url
    timers: list[ConcurrentObservations] = []
    try:
        target = Target(url=url, profile=settings.profile, driver=settings.driver,
                        tls=settings.tls, timeout=settings.case_timeout,
                        heartbeat_tolerance=settings.heartbeat_tolerance)
        timers = start_timer_cases(
            request.session, target,
            lambda item: INFO_KEY in item.stash and not _missing(item.stash[INFO_KEY],
                                                                  settings.profile))
        yield target
    finally:
        for batch in timers:
            batch.stop()
        if running is not None:
            running.stop()


@pytest.fixture
def client(request: pytest.FixtureRequest, wsspec_target: Target) -> Client:
    """A conversation client for one case; its connections close after the case."""
    from wsspec.dsl import Client

    record = request.node.stash.get(RECORD_KEY, None)
    if record is None:
        record = CaseRecord(request.node.nodeid, "misc", request.node.name, "", "", None)
        request.node.stash[RECORD_KEY] = record
    return Client(wsspec_target, record)


# -- running --------------------------------------------------------------------


_CAPABILITY_CHECKS: dict[str, Callable[[TargetProfile], bool]] = {
    "echo": lambda p: p.echo,
    "deflate": lambda p: p.deflate is not None and p.deflate.enabled,
    "auth": lambda p: p.auth is not None,
    "origin": lambda p: p.origin is not None,
    "heartbeat": lambda p: p.heartbeat is not None,
    "limits": lambda p: p.limits is not None and p.limits.max_message_size is not None,
    "paths": lambda p: p.paths is not None,
    "subprotocols": lambda p: bool(p.subprotocols),
    "handshake_timeout": lambda p: p.limits is not None and p.limits.handshake_timeout is not None,
    "jwt_secret": lambda p: p.auth is not None and p.auth.jwt_secret is not None,
}


def _missing(info: CaseInfo, profile: TargetProfile) -> list[str]:
    """What the case needs that the profile does not declare."""
    return [need for need in info.needs if not _CAPABILITY_CHECKS[need](profile)]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    info = item.stash.get(INFO_KEY, None)
    if info is None:
        return
    item.stash[RECORD_KEY] = CaseRecord(info.id, info.section, info.title, info.rfc,
                                        info.requirement, info.autobahn)
    missing = _missing(info, item.config.stash[SETTINGS_KEY].profile)
    if missing:
        pytest.skip(f"unsupported: the profile does not declare {', '.join(missing)}")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    from wsspec.driver import DeadlineExceeded, get_runtime
    from wsspec.dsl import Client

    settings = pyfuncitem.config.stash[SETTINGS_KEY]
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    client_obj = kwargs.get("client")
    # Each wait is bounded by --case-timeout; this outer bound catches a case
    # that chains many waits against a target that answers just in time.
    budget = settings.case_timeout * 12

    async def body() -> None:
        try:
            await pyfuncitem.obj(**kwargs)
        finally:
            if isinstance(client_obj, Client):
                await client_obj.aclose()

    verdict: CaseFailed | HarnessError
    try:
        get_runtime(settings.driver).run(body, timeout=budget)
    except DeadlineExceeded:
        verdict = HarnessError(f"case did not finish within {budget:g} s")
    except (CaseFailed, HarnessError) as exc:
        verdict = exc
    else:
        return True
    raise CaseVerdict(verdict, str(pyfuncitem.path)) from None


class CaseVerdict(pytest.fail.Exception):  # type: ignore[misc,name-defined]
    """A case's verdict (:class:`CaseFailed`, :class:`HarnessError`) on its way to
    the report. Its text is the failure itself (expected, observed, the wire log's
    tail, the case's line) rather than a Python traceback through the harness and
    the event loop, which says nothing about the target and costs pytest more to
    format than the case took to run."""

    def __init__(self, verdict: CaseFailed | HarnessError, case_file: str) -> None:
        text = verdict.render() if isinstance(verdict, CaseFailed) else str(verdict)
        line = _case_line(verdict, case_file)
        super().__init__(text + (f"\n{line}" if line else ""), pytrace=False)
        self.verdict = verdict


# Shown as "CaseVerdict: expected: ..." in pytest's summary, as pytest shows its own
# outcome exceptions, not under the module that defines it.
CaseVerdict.__module__ = "builtins"


def _case_line(exc: BaseException, case_file: str) -> str:
    """Where in the case the exception came from (its last frame in ``case_file``)."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == case_file:
            where = f"at {Path(case_file).name}:{tb.tb_lineno} in {code.co_name}"
        tb = tb.tb_next
    return where


def _grade(record: CaseRecord, call: pytest.CallInfo[None]) -> None:
    excinfo = call.excinfo
    if excinfo is None:
        return
    exc = excinfo.value
    if isinstance(exc, CaseVerdict):
        exc = exc.verdict
    if isinstance(exc, pytest.skip.Exception):
        record.verdict = Verdict.UNSUPPORTED
        record.observed = str(exc.msg).removeprefix("unsupported: ")
    elif isinstance(exc, CaseFailed):
        record.verdict = Verdict.FAIL
        record.expected, record.observed = exc.expected, exc.observed
    elif isinstance(exc, AssertionError):
        record.verdict = Verdict.FAIL
        record.observed = str(exc) or "assertion failed"
    else:
        record.verdict = Verdict.ERROR
        record.observed = f"{type(exc).__name__}: {exc}" if not isinstance(
            exc, HarnessError) else str(exc)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    record = item.stash.get(RECORD_KEY, None)
    if record is None or INFO_KEY not in item.stash:
        return report
    final = call.when == "call" or (call.when == "setup" and report.outcome != "passed")
    if not final:
        return report
    _grade(record, call)
    record.duration_s = call.duration
    settings = item.config.stash[SETTINGS_KEY]
    raised = call.excinfo.value if call.excinfo else None
    if record.verdict is Verdict.ERROR and isinstance(
            raised.verdict if isinstance(raised, CaseVerdict) else raised, HarnessError):
        report.longrepr = f"ERROR: {record.observed}"
    if record.verdict is Verdict.NON_STRICT:
        message = f"{record.id}: non-strict: {'; '.join(record.notes)}"
        if settings.strict:
            report.outcome = "failed"
            report.longrepr = message + "\n(--wsspec-strict grades non-strict as failure)"
        else:
            warnings.warn(NonStrictWarning(message), stacklevel=1)
    judgement = settings.baseline.judge(record.id, record.verdict) if settings.baseline else None
    if judgement is not None:
        _apply_baseline(report, judgement)
    case = record.to_dict()
    keep_wirelog(item.config, case)
    # The case dict now holds what the reports keep; the log's own entries go.
    record.wirelog = WireLog()
    if judgement is not None:
        case["baseline"] = judgement.describe()
    report.user_properties.append(("wsspec_case", case))
    # Small string properties go on the item, so the JUnit XML (written from the
    # teardown report) carries them; the whole case dict stays out of it.
    item.user_properties.extend(_junit_properties(case))
    return report


def _apply_baseline(report: pytest.TestReport, judgement: Judgement) -> None:
    """Turn a baseline judgement into the pytest outcome: accepted passes, regressed fails."""
    if judgement.status == "accepted" and report.outcome == "failed":
        report.outcome = "passed"
        report.longrepr = None
    elif judgement.fails and report.outcome != "failed":
        report.outcome = "failed"
        report.longrepr = f"baseline: {judgement.describe()}"
    elif judgement.fails:
        report.sections.append(("wsspec baseline", judgement.describe()))


def _junit_properties(case: dict[str, Any]) -> list[tuple[str, object]]:
    props: list[tuple[str, object]] = [
        ("wsspec_id", case["id"]), ("wsspec_section", case["section"]),
        ("wsspec_rfc", case["rfc"]), ("wsspec_verdict", case["verdict"]),
        ("wsspec_autobahn", case["autobahn"] or ""),
    ]
    if "baseline" in case:
        props.append(("wsspec_baseline", case["baseline"]))
    return props


def pytest_report_teststatus(report: pytest.TestReport,
                             config: pytest.Config) -> tuple[str, str, str] | None:
    """Show a case graded ``error`` as an error, not as a failure."""
    if report.when != "call" or report.outcome != "failed":
        return None
    for name, value in report.user_properties:
        if name == "wsspec_case" and isinstance(value, dict) and value.get("verdict") == "error":
            return "error", "E", "ERROR"
    return None


class _RecordCollector:
    """Gathers case records from reports (on the controller, from every worker)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == "wsspec_case" and isinstance(value, dict):
                self.settings.records[report.nodeid] = value


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):
        return
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or not settings.records or settings.list_only:
        return
    started = datetime.datetime.fromtimestamp(settings.started, datetime.timezone.utc)
    report = build_report(
        list(settings.records.values()),
        url=settings.url or REFERENCE,
        profile=settings.profile.to_dict(),
        started=started.isoformat(timespec="seconds"),
        duration_s=time.time() - settings.started,
    )
    if settings.baseline is not None:
        report["baseline"] = {"file": settings.baseline.path, **tally(report["cases"])}
    from wsspec.reporting.outputs import write_outputs

    write_outputs(report, settings.report_dir, pcap=settings.pcap)
    config.stash[_REPORT_PATH_KEY] = settings.report_dir / REPORT_JSON


_REPORT_PATH_KEY = pytest.StashKey[Path]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or not settings.records:
        return
    terminalreporter.section("wsspec conformance")
    for line in section_table(settings.records.values()):
        terminalreporter.write_line(line)
    path = config.stash.get(_REPORT_PATH_KEY, None)
    if path is not None:
        terminalreporter.write_line(f"report: {path} (open {path.parent / 'index.html'})")
    if settings.baseline is not None:
        for line in _baseline_lines(settings.baseline, settings.records.values()):
            terminalreporter.write_line(line)


def _baseline_lines(baseline: Baseline, cases: Any) -> list[str]:
    lines: list[str] = []
    for case in cases:
        note = str(case.get("baseline", ""))
        if note.startswith(("fixed", "regressed")):
            lines.append(f"baseline: {case['id']}: {case['verdict']}, {note}")
    if baseline.placeholders:
        lines.append(f"baseline: warning: {len(baseline.placeholders)} cases in {baseline.path} "
                     "keep the placeholder reason; explain each accepted deviation")
    return lines
