"""``wsspec fuzzingserver``: the client catalogue behind Autobahn|Testsuite's URL protocol.

    wsspec fuzzingserver --port 9001 [--report-dir reports] [--case-timeout 5]
                         [--client-profile FILE]

For clients that drive a run themselves, as Autobahn's client scripts do. They
connect in turn to:

================================  ==================================================
``/getCaseCount``                 a text message: how many cases there are
``/getCaseInfo?case=N``           a text message: ``{"id": "1.1.1", "description": ...}``
``/runCase?case=N&agent=A``       case N, played on this connection (the client echoes)
``/getCaseStatus?case=N&agent=A`` a text message: ``{"behavior": "OK"}`` (Autobahn's words)
``/updateReports?agent=A``        writes A's ``report.json`` and ``index.html`` into
                                  ``<report-dir>/<A>/``
================================  ==================================================

Case ``N`` (from 1) is the N-th Autobahn case, in Autobahn's order, that a client
case claims (sections 1-10, and 12-13: permessage-deflate); it runs the very case
a ``--client-cmd`` run runs, graded the same. The case gets the ``/runCase``
connection with its request read and not yet answered, as a ``--client-cmd`` run
hands it over, so the permessage-deflate cases answer the client's offer
themselves. A case needing what ``--client-profile`` does not declare (``deflate``
by default) is ``unsupported`` (Autobahn's ``UNIMPLEMENTED``): its connection is
accepted and closed at once. Connections are served one at a time, each wait
bounded by the case timeout.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import itertools
import json
import pkgutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from wsspec.cases import CaseInfo, case_template
from wsspec.grading import grade
from wsspec.protocol import Opcode, build_reject_response
from wsspec.reporting.autobahn_cases import SECTIONS_1_TO_10, SECTIONS_12_AND_13
from wsspec.verdicts import CaseRecord, HarnessError, Verdict, unsupported

from .cases import client_needs
from .connection import ClientConnection
from .profile import ClientProfile
from .wire import Listener, PeerStream

__all__ = ["AutobahnCase", "FuzzingServer", "autobahn_cases", "main"]

#: Autobahn's word for each verdict (getCaseStatus).
BEHAVIOUR = {
    Verdict.PASS: "OK", Verdict.NON_STRICT: "NON-STRICT", Verdict.INFORMATIONAL: "INFORMATIONAL",
    Verdict.UNSUPPORTED: "UNIMPLEMENTED", Verdict.FAIL: "FAILED", Verdict.ERROR: "FAILED",
}


@dataclass(frozen=True)
class AutobahnCase:
    """A client case that claims an Autobahn case: its metadata, and how to run it."""

    info: CaseInfo
    function: Callable[..., None]
    #: the case function's parameters (its ``parametrize`` values) for this case
    params: dict[str, Any]


_ParameterSet = type(pytest.param())


def _parameters(function: Callable[..., None]) -> list[dict[str, Any]]:
    """Every combination of a function's ``parametrize`` marks, as pytest makes them."""
    axes: list[list[dict[str, Any]]] = []
    for mark in getattr(function, "pytestmark", ()):
        if mark.name != "parametrize":
            continue
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        axis = []
        for value in mark.args[1]:
            if isinstance(value, _ParameterSet):
                value = value.values if len(names) > 1 else value.values[0]
            axis.append(dict(zip(names, value, strict=True)) if len(names) > 1
                        else {names[0]: value})
        axes.append(axis)
    return [{k: v for combo in product for k, v in combo.items()}
            for product in itertools.product(*axes)]


def autobahn_cases() -> list[AutobahnCase]:
    """The client cases that claim an Autobahn case, in Autobahn's order."""
    from wsspec.conformance import clients

    found: dict[str, AutobahnCase] = {}
    for module_info in pkgutil.iter_modules(clients.__path__):
        if not module_info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{clients.__name__}.{module_info.name}")
        for function in vars(module).values():
            template = case_template(function)
            if template is None or template.autobahn is None:
                continue
            for params in _parameters(function):
                info = template.resolve(params)
                if info.autobahn:
                    found[info.autobahn] = AutobahnCase(info, function, params)
    order = [*SECTIONS_1_TO_10, *SECTIONS_12_AND_13]
    return [found[case_id] for case_id in order if case_id in found]


class _Served:
    """What a case asks of the client under test, for a client that connected by itself."""

    def __init__(self, connection: ClientConnection, profile: ClientProfile) -> None:
        self._connection: ClientConnection | None = connection
        self.profile = profile
        self.record = connection.record

    def connect(self) -> ClientConnection:
        """The ``/runCase`` connection, its request read and not answered: the case's only
        one (a client driven by a script does not connect again by itself)."""
        if self._connection is None:
            raise HarnessError("the case asks for a second connection; the fuzzing server "
                               "hands each case the one /runCase connection")
        connection, self._connection = self._connection, None
        return connection

    def open(self) -> ClientConnection:
        """The ``/runCase`` connection, accepted with a valid 101."""
        connection = self.connect()
        connection.accept()
        return connection


class FuzzingServer:
    """Serves the protocol of the module docstring on ``listener`` (see :meth:`serve`)."""

    def __init__(self, listener: Listener, report_dir: Path, *, timeout: float = 5.0,
                 profile: ClientProfile | None = None) -> None:
        self.listener = listener
        self.report_dir = report_dir
        self.timeout = timeout
        self.profile = profile or ClientProfile()
        self.cases = autobahn_cases()
        #: agent -> node of the case -> its record, as report.json keeps it
        self.results: dict[str, dict[str, dict[str, Any]]] = {}
        self.started = time.time()
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def serve(self) -> None:
        """Serve connections one at a time until :meth:`stop`."""
        while not self._stop.is_set():
            sock = self.listener.accept(0.2)
            if sock is None:
                continue
            record = CaseRecord("fuzzingserver", "misc", "", "", "", None)
            connection = ClientConnection(PeerStream(sock, record.wirelog), record, self.timeout)
            try:
                self._answer(connection)
            except Exception as exc:  # one bad client never stops the server
                print(f"wsspec fuzzingserver: {type(exc).__name__}: {exc}", file=sys.stderr)
            finally:
                connection.stream.close()

    def _answer(self, connection: ClientConnection) -> None:
        request = connection.read_request()
        url = urlsplit(request.target)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        agent = query.get("agent", "unknown")
        number = int(query["case"]) if query.get("case", "").isdigit() else 0
        if url.path == "/getCaseCount":
            self._reply(connection, str(len(self.cases)))
        elif url.path == "/getCaseInfo" and 1 <= number <= len(self.cases):
            info = self.cases[number - 1].info
            self._reply(connection, json.dumps({"id": info.autobahn, "description": info.title}))
        elif url.path == "/getCaseStatus" and 1 <= number <= len(self.cases):
            case = self.results.get(agent, {}).get(self.cases[number - 1].info.id)
            behaviour = BEHAVIOUR[Verdict(case["verdict"])] if case else "UNKNOWN"
            self._reply(connection, json.dumps({"behavior": behaviour}))
        elif url.path == "/runCase" and 1 <= number <= len(self.cases):
            self._run(connection, self.cases[number - 1], agent)
        elif url.path == "/updateReports":
            self.write_report(agent)
            self._reply(connection, "")
        else:
            connection.answer(build_reject_response(404, body=b"unknown path or case\n"))

    def _reply(self, connection: ClientConnection, text: str) -> None:
        connection.accept()
        if text:
            connection.send_frame(Opcode.TEXT, text.encode())
        connection.close()

    def _run(self, connection: ClientConnection, case: AutobahnCase, agent: str) -> None:
        info = case.info
        record = CaseRecord(info.id, info.section, info.title, info.rfc, info.requirement,
                            info.autobahn, wirelog=connection.record.wirelog)
        connection.record = record
        served = _Served(connection, self.profile)
        started = time.monotonic()
        missing = self.profile.lacks(client_needs(case.function))

        def play() -> None:
            if missing:
                unsupported(f"the client profile does not declare {', '.join(missing)}")
            case.function(wsspec_client_under_test=served, **case.params)

        call = pytest.CallInfo.from_call(play, when="call")
        grade(record, call)
        if missing:  # the client still waits for an answer: a clean open and close
            self._reply(connection, "")
        record.duration_s = time.monotonic() - started
        self.results.setdefault(agent, {})[info.id] = record.to_dict()

    def write_report(self, agent: str) -> Path:
        """Write ``agent``'s report; returns its folder."""
        from wsspec.reporting.formats.report_json import build_report
        from wsspec.reporting.outputs import write_outputs

        started = datetime.datetime.fromtimestamp(self.started, datetime.timezone.utc)
        report = build_report(list(self.results.get(agent, {}).values()),
                              url=f"client: {agent} (fuzzingserver)",
                              profile=self.profile.to_dict(),
                              started=started.isoformat(timespec="seconds"),
                              duration_s=time.time() - self.started)
        folder = self.report_dir / _safe(agent)
        write_outputs(report, folder)
        return folder


def _safe(agent: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in agent) or "agent"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wsspec fuzzingserver", description=__doc__.split(
        "\n\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=9001, help="port on 127.0.0.1 (9001)")
    parser.add_argument("--report-dir", default="reports", help="reports go to DIR/<agent>/")
    parser.add_argument("--case-timeout", type=float, default=5.0, metavar="S",
                        help="seconds each wait of a case may take (5)")
    parser.add_argument("--client-profile", metavar="FILE", help="what the clients declare")
    args = parser.parse_args(argv)
    profile = None
    if args.client_profile:
        from wsspec.profile import ProfileError

        from .profile import load_client_profile

        try:
            profile = load_client_profile(args.client_profile)
        except ProfileError as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 2
    try:
        listener = Listener(port=args.port)
    except OSError as exc:
        print(f"ERROR: --port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    server = FuzzingServer(listener, Path(args.report_dir), timeout=args.case_timeout,
                           profile=profile)
    print(f"wsspec fuzzingserver: {len(server.cases)} cases on "
          f"ws://127.0.0.1:{listener.port} (Ctrl-C stops)", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
    return 0
