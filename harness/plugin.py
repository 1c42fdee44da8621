"""The pytest plugin: options, fixtures and hooks that run the conformance cases.

Loaded through the ``pytest11`` entry point, into every pytest run of an
environment where wsspec is installed; it stays out of a user's own run. The
installed ``wsspec.conformance`` cases are collected only when a target option
(``--target``, ``--target-cmd`` or a profile with a ``url``) is given, and with
one a run that names no paths runs the cases from any directory. Every hook
acts on the cases' items alone; its fixtures, ``wsspec_target`` and
``wsspec_client``, carry the ``wsspec_`` prefix, so they neither hide nor are
hidden by another plugin's (pytest-django's ``client``). Section markers
are registered when a target is named or the cases are collected. Importing
this module costs pytest next to nothing: the engine is imported when a case
runs (see ``benchmarks/plugin_import.py``).
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import inspect
import os
import time
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from wsspec.options import add_pytest_options, option_value
from wsspec.runstate import (
    CONFORMANCE_DIR,
    CONFORMANCE_PACKAGE,
    EARLY_STOP_KEY,
    INFO_KEY,
    RECORD_KEY,
    SETTINGS_KEY,
)
from wsspec.settings import REFERENCE, Settings, SettingsError, read_settings

if TYPE_CHECKING:
    # The DSL pulls in the whole protocol core and the drivers; a
    # plain pytest run that never names a target should not pay for them.
    from wsspec.clientside.run import ClientSettings
    from wsspec.dsl import Client, ConcurrentObservations, Target
    from wsspec.reporting.baseline import Baseline, Judgement
    from wsspec.verdicts import CaseFailed, HarnessError


class NonStrictWarning(UserWarning):
    """A case graded non-strict: allowed by the RFC, but not the preferred behaviour."""


def pytest_addoption(parser: pytest.Parser) -> None:
    add_pytest_options(parser)


def _settings(config: pytest.Config) -> Settings:
    try:
        return read_settings(lambda name: option_value(config, name))
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None


def _client_settings(config: pytest.Config) -> ClientSettings | None:
    """The client run's settings with ``--client-cmd``, else None (the engine stays
    unimported)."""
    if option_value(config, "client-cmd") is None and option_value(
            config, "client-profile") is None:
        return None
    from wsspec.clientside.run import read_client_settings

    try:
        return read_client_settings(lambda name: option_value(config, name))
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    settings = _settings(config)
    config.stash[SETTINGS_KEY] = settings
    client = _client_settings(config)
    if not settings.active and client is None:
        # Nothing of wsspec's joins a user's own run; should the cases be collected
        # all the same (their folder named), they run against the reference server.
        return
    _join_cases(config)
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(CLIENT_CASES_DIR if client else CONFORMANCE_DIR)]
    if client is not None:
        from wsspec.clientside.run import configure

        configure(config, settings, client)
        config.option.collectonly = config.option.collectonly or settings.list_only
        return
    if _is_worker(config):
        workerinput = config.workerinput  # type: ignore[attr-defined]
        settings.url = workerinput.get("wsspec_url")
        _start_watch(config, workerinput.get("wsspec_stop_board"))
        return
    if settings.list_only:
        config.option.collectonly = True
        return
    from wsspec.launcher import LaunchError, launch, probe

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
    _start_watch(config, None)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(settings), "wsspec-xdist")


def _start_watch(config: pytest.Config, board: str | None) -> None:
    """The run's early stop: a new board in the controller, the controller's in a worker."""
    from wsspec.earlystop import EarlyStop, StopBoard

    settings = config.stash[SETTINGS_KEY]
    config.stash[EARLY_STOP_KEY] = (
        EarlyStop.create(settings.case_timeout, settings.launched) if board is None
        else EarlyStop(StopBoard(Path(board)), settings.case_timeout))


_JOINED_KEY = pytest.StashKey[bool]()


def register_section_markers(config: pytest.Config) -> None:
    """Register the markers the cases carry: one per section, and ``slow``."""
    from wsspec.cases import SECTIONS

    for section in SECTIONS:
        config.addinivalue_line("markers", f"{section}: wsspec conformance cases of '{section}'")
    config.addinivalue_line("markers", "slow: large-message cases (Autobahn 9.x style)")


def _join_cases(config: pytest.Config) -> None:
    """Once per run that has the cases: the section markers (``framing``, ``close``,
    ..., ``slow``; a user's run keeps its own markers of those names) and the
    collector of the cases' records."""
    if config.stash.get(_JOINED_KEY, False):
        return
    config.stash[_JOINED_KEY] = True
    register_section_markers(config)
    if not _is_worker(config):
        config.pluginmanager.register(_RecordCollector(config), "wsspec-records")


class _XdistHooks:
    """Hands the controller's target URL to each xdist worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["wsspec_url"] = self.settings.url
        node.workerinput["wsspec_stop_board"] = str(node.config.stash[EARLY_STOP_KEY].board.path)

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
    stop = config.stash.get(EARLY_STOP_KEY, None)
    if stop is not None:
        stop.close()
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is not None and settings.launched is not None:
        settings.launched.stop()
        settings.launched = None


# -- collection -----------------------------------------------------------------


#: the client catalogue (``pytest --client-cmd``), collected only in a client run.
CLIENT_CASES_DIR = CONFORMANCE_DIR / "clients"
_CASE_PACKAGES = {CONFORMANCE_DIR: CONFORMANCE_PACKAGE,
                  CLIENT_CASES_DIR: f"{CONFORMANCE_PACKAGE}.clients"}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path == CLIENT_CASES_DIR and option_value(config, "client-cmd") is None:
        return True
    return None


class _CaseModule(pytest.Module):
    """A module of cases, imported by its name in the ``wsspec`` namespace.

    pytest names a test module after the folders around it; in a checkout the
    cases' folder is ``conformance/`` and the module would become
    ``conformance.test_rsv``, a second top-level name beside ``wsspec``. Importing
    it as ``wsspec.conformance.test_rsv`` keeps one module object and one name,
    wherever the package was installed from.
    """

    def _getobj(self) -> Any:
        _join_cases(self.config)  # before the import applies the markers
        name = f"{_CASE_PACKAGES[self.path.parent]}.{self.path.stem}"
        try:
            return importlib.import_module(name)
        except Exception as exc:
            raise self.CollectError(f"wsspec: cannot import the cases of {name}: "
                                    f"{type(exc).__name__}: {exc}") from exc


def pytest_pycollect_makemodule(module_path: Path, parent: Any) -> pytest.Module | None:
    if module_path.parent in _CASE_PACKAGES and module_path.stem.startswith("test_"):
        return _CaseModule.from_parent(parent, path=module_path)
    return None


def _in_case_module(item: pytest.Item) -> bool:
    return isinstance(item.getparent(pytest.Module), _CaseModule)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    cases = [item for item in items if _in_case_module(item)]
    if not cases:
        return
    from wsspec.cases import case_template

    seen: dict[str, str] = {}
    for item in cases:
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
        item.stash[_CASE_FUNCTION_KEY] = getattr(item, "obj", None)
        item.extra_keyword_matches.add(info.id)
    # Timer cases watch timers begun in the background when the run starts: run last,
    # they find them done instead of holding a worker while the timers run.
    from wsspec.cases import TIMER_CASES

    timed = [item for item in items if getattr(item, "originalname", None) in TIMER_CASES]
    if timed:
        waiting = set(timed)
        items[:] = [item for item in items if item not in waiting] + timed


#: the case's own coroutine function, as collected: another plugin (pytest-asyncio's
#: auto mode) may swap the item's ``obj`` for a wrapper of its own while it runs.
_CASE_FUNCTION_KEY = pytest.StashKey[Any]()


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
    from wsspec.cases import start_timer_cases
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
            lambda item: INFO_KEY in item.stash and not settings.profile.lacks(
                item.stash[INFO_KEY].needs))
        yield target
    finally:
        for batch in timers:
            batch.stop()
        if running is not None:
            running.stop()


@pytest.fixture
def wsspec_client(request: pytest.FixtureRequest, wsspec_target: Target) -> Client:
    """A conversation client for one case; its connections close after the case."""
    from wsspec.dsl import Client
    from wsspec.verdicts import CaseRecord

    record = request.node.stash.get(RECORD_KEY, None)
    if record is None:
        record = CaseRecord(request.node.nodeid, "misc", request.node.name, "", "", None)
        request.node.stash[RECORD_KEY] = record
    return Client(wsspec_target, record)


# -- running --------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    info = item.stash.get(INFO_KEY, None)
    if info is None:
        return
    from wsspec.verdicts import CaseRecord, CaseUnsupported

    item.stash[RECORD_KEY] = CaseRecord(info.id, info.section, info.title, info.rfc,
                                        info.requirement, info.autobahn)
    stop = item.config.stash.get(EARLY_STOP_KEY, None)
    ended = stop.ended() if stop is not None else None
    if ended is not None:
        from wsspec.earlystop import NOT_RUN
        from wsspec.grading import CaseVerdict
        from wsspec.verdicts import HarnessError

        # as a CaseVerdict: pytest formats no traceback for each case left
        raise CaseVerdict(HarnessError(f"{NOT_RUN}: {ended}"), str(item.path))
    missing = item.config.stash[SETTINGS_KEY].profile.lacks(info.needs)
    if missing:
        raise CaseUnsupported(f"the profile does not declare {', '.join(missing)}")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    case = pyfuncitem.stash.get(_CASE_FUNCTION_KEY, None)
    if not inspect.iscoroutinefunction(case):
        return None  # not a case: a user's test, run by pytest or its own async plugin
    from wsspec.driver import DeadlineExceeded, get_runtime
    from wsspec.dsl import Client
    from wsspec.verdicts import CaseFailed, CaseSettled, HarnessError

    settings = pyfuncitem.config.stash[SETTINGS_KEY]
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    client_obj = kwargs.get("wsspec_client")
    # Each wait is bounded by --case-timeout; this outer bound catches a case
    # that chains many waits against a target that answers just in time.
    budget = settings.case_timeout * 12

    async def body() -> None:
        try:
            # a settled case's verdict is on its record already
            with contextlib.suppress(CaseSettled):
                await case(**kwargs)
            if isinstance(client_obj, Client):
                await client_obj.check_refusals()
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
    from wsspec.grading import CaseVerdict

    raise CaseVerdict(verdict, str(pyfuncitem.path)) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    record = item.stash.get(RECORD_KEY, None)
    if record is None or INFO_KEY not in item.stash:
        return report
    from wsspec.grading import CaseVerdict, grade
    from wsspec.verdicts import HarnessError, Verdict
    from wsspec.wirelog import WireLog

    final = call.when == "call" or (call.when == "setup" and report.outcome != "passed")
    if not final:
        return report
    grade(record, call)
    record.duration_s = call.duration
    stop = item.config.stash.get(EARLY_STOP_KEY, None)
    if stop is not None:
        stop.observe(record)
    settings = item.config.stash[SETTINGS_KEY]
    raised = call.excinfo.value if call.excinfo else None
    if record.verdict is Verdict.ERROR and (report.outcome == "skipped" or isinstance(
            raised.verdict if isinstance(raised, CaseVerdict) else raised, HarnessError)):
        # a skip from outside the suite fails the run: it is no verdict about the target
        report.outcome = "failed"
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
    from wsspec.reporting.wirelog_keep import keep_wirelog

    keep_wirelog(item.config, case, settings.wirelog)
    # The case dict now holds what the reports keep; the log's own entries go.
    record.wirelog = WireLog()
    if judgement is not None:
        case["baseline"] = judgement.describe()
    report.user_properties.append(("wsspec_case", case))
    if item.config.pluginmanager.hasplugin("html"):
        from wsspec.reporting.pytest_html_extras import add_extras

        add_extras(report, case)
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
    """Gathers case records from reports (on the controller, from every worker), and
    notices there when a target command has exited."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = config.stash[SETTINGS_KEY]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        stop = self.config.stash.get(EARLY_STOP_KEY, None)
        if stop is not None:
            stop.check_target_command()
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
    from wsspec.reporting.baseline import tally
    from wsspec.reporting.formats.report_json import REPORT_JSON, build_report
    from wsspec.reporting.outputs import write_outputs

    started = datetime.datetime.fromtimestamp(settings.started, datetime.timezone.utc)
    from wsspec.clientside.run import CLIENT_KEY

    client = config.stash.get(CLIENT_KEY, None)
    report = build_report(
        list(settings.records.values()),
        url=settings.url or REFERENCE,
        profile=client.profile.to_dict() if client else settings.profile.to_dict(),
        started=started.isoformat(timespec="seconds"),
        duration_s=time.time() - settings.started,
    )
    if settings.baseline is not None:
        report["baseline"] = {"file": settings.baseline.path, **tally(report["cases"])}
    stop = config.stash.get(EARLY_STOP_KEY, None)
    diagnosis = stop.board.read() if stop is not None else None
    if diagnosis is not None:
        report["diagnosis"] = diagnosis
        config.stash[_DIAGNOSIS_KEY] = diagnosis
    write_outputs(report, settings.report_dir, pcap=settings.pcap)
    config.stash[_REPORT_PATH_KEY] = settings.report_dir / REPORT_JSON


_REPORT_PATH_KEY = pytest.StashKey[Path]()
_DIAGNOSIS_KEY = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or not settings.records:
        return
    from wsspec.reporting.presentation import section_table

    terminalreporter.section("wsspec conformance")
    for line in section_table(settings.records.values()):
        terminalreporter.write_line(line)
    diagnosis = config.stash.get(_DIAGNOSIS_KEY, None)
    if diagnosis is not None:
        terminalreporter.write_line(f"the run ended early: {diagnosis}", red=True, bold=True)
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
