"""The plugin and the command line, run as a user runs them: in a fresh process."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, run_tool, server_cmd

SEED_CASES = {
    "handshake.accept.valid",
    "framing.echo.text",
    "framing.echo.binary",
    "ping.pong.text-payload",
    "close.normal.1000",
}

Runner = Callable[..., Run]


def test_seed_cases_pass_against_the_reference_server(run_in: Runner) -> None:
    run = run_in("--target=reference", "-k", " or ".join(SEED_CASES))
    assert run.returncode == 0, run.output
    report = run.report()
    assert report["tool"] == "wsspec"
    assert report["target"]["url"] == "reference"
    assert set(report["summary"]) == {"pass", "non-strict", "informational", "unsupported",
                                      "fail", "error"}
    verdicts = run.verdicts()
    assert set(verdicts) >= SEED_CASES
    assert {verdicts[c] for c in SEED_CASES} == {"pass"}
    case = next(c for c in report["cases"] if c["id"] == "framing.echo.text")
    directions = {entry["dir"] for entry in case["wirelog"]}
    assert directions == {"in", "out", "event"}
    assert case["autobahn"] == "1.1.2"
    assert "section" in run.output and "total" in run.output


def test_seed_cases_pass_against_the_websockets_server(run_in: Runner) -> None:
    echo = server_cmd('wsspec.targets.thirdparty.websockets_echo', '{port}')
    run = run_in(f"--target-cmd={echo}",
                 "-k", " or ".join(SEED_CASES))
    assert run.returncode == 0, run.output
    assert run.report()["target"]["url"].startswith("ws://127.0.0.1:")
    assert {run.verdicts()[c] for c in SEED_CASES} == {"pass"}


@pytest.mark.parametrize(
    ("fault", "case_id", "expected", "observed"),
    [
        ("bad-accept", "handshake.accept.valid", "a 101 response that follows RFC 6455 4.2.2",
         "Sec-WebSocket-Accept"),
        ("corrupt-echo", "framing.echo.binary", "binary message of 512 bytes", "binary message"),
        # bytes 0x80-0xff sent back as text break UTF-8 before they break the echo
        ("binary-as-text", "framing.echo.binary", "server frames that follow RFC 6455",
         "RFC6455 8.1"),
        ("pong-wrong-payload", "ping.pong.text-payload", "pong with the ping's payload",
         "pong with payload"),
        ("no-pong", "ping.pong.text-payload", "pong with the ping's payload", "nothing within"),
        ("masked-frames", "framing.echo.text", "server frames that follow RFC 6455",
         "RFC6455 5.1"),
    ],
)
def test_a_faulty_server_fails_the_matching_case_readably(
    run_in: Runner, fault: str, case_id: str, expected: str, observed: str
) -> None:
    cmd = server_cmd("wsspec.targets.faulty", "--port", "{port}", "--fault", fault)
    run = run_in(f"--target-cmd={cmd}", "--case-timeout=1", "-k", " or ".join(SEED_CASES))
    assert run.returncode == 1, run.output
    case = next(c for c in run.report()["cases"] if c["id"] == case_id)
    assert case["verdict"] == "fail"
    assert expected in case["expected"]
    assert observed in case["observed"]
    assert f"expected: {case['expected']}" in run.output
    assert f"observed: {case['observed']}" in run.output


def test_wsspec_command_runs_the_suite_and_writes_the_report(run_in: Runner) -> None:
    run = run_in("wsspec", "-k", "framing.echo.text or framing.echo.binary")
    assert run.returncode == 0, run.output
    assert set(run.verdicts()) == {"framing.echo.text", "framing.echo.binary"}


def test_wsspec_list_shows_ids_titles_and_requirements(run_in: Runner) -> None:
    run = run_in("wsspec", "--list")
    assert run.returncode == 0, run.output
    assert "framing.echo.text" in run.output
    assert "RFC6455 6.2 MUST" in run.output
    assert "[autobahn 1.1.2]" in run.output
    assert not (run.cwd / "reports" / "report.json").exists()


def test_plain_pytest_run_is_not_hijacked(run_in: Runner) -> None:
    cwd = run_in("--version").cwd
    (cwd / "test_users_own.py").write_text("def test_mine():\n    pass\n")
    run = run_in("-q")
    assert run.returncode == 0, run.output
    assert "1 passed" in run.output
    assert not (cwd / "reports").exists()


def test_wsspec_help_documents_every_option(run_in: Runner) -> None:
    """One table makes both: every option of ``pytest --help``'s wsspec group is a flag of
    the command under the same name (the target is its positional URL)."""
    from wsspec.options import OPTIONS

    run = run_in("wsspec", "--help")
    pytest_help = run_in("--help")
    assert run.returncode == 0 and pytest_help.returncode == 0
    for option in OPTIONS:
        flag = re.compile(re.escape(option.flag) + r"(?![\w-])")
        assert flag.search(pytest_help.output), option.flag
        assert bool(flag.search(run.output)) is option.cli, option.flag
        assert option.dest in pytest_help.output  # the ini twin
    assert "--list" in run.output and "--strict" in run.output and "serve" in run.output


def test_wsspec_keeps_its_old_flag_spellings(run_in: Runner) -> None:
    run = run_in("wsspec", "--profile=missing.toml", "--timeout=1", "--startup-timeout=1")
    assert run.returncode == 4, run.output
    assert "profile file not found: missing.toml" in run.output
    run = run_in("wsspec", "--timeout=soon")
    assert "--case-timeout: expected a number" in run.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BAD_INPUT = [
    (["--target=ws://127.0.0.1:{closed}/"], "cannot reach target ws://127.0.0.1:{closed}/: "
     "connection refused"),
    (["--target=http://127.0.0.1:9001/"], "has scheme 'http'; use ws:// or wss://"),
    (["--target=ws://127.0.0.1:99999/"], "malformed URL"),
    (["--target=ws:///echo"], "has no host"),
    (["--target-profile=missing.toml"], "profile file not found: missing.toml"),
    (["--target=reference", "--target-profile=unknown-key.toml"], "unknown-key.toml: echoo: "
     "unknown key"),
    (["--target=reference", "--target-profile=wrong-type.toml"], "wrong-type.toml: "
     "heartbeat.timeout: expected a number of seconds"),
    (["--target-cmd=" + server_cmd("wsspec.targets.thirdparty.no_such_module", "{port}")],
     "target command exited with status 1 before opening port"),
    (["--target-cmd=sleep 30 {port}", "--target-startup-timeout=1"],
     "target command did not open port"),
    (["--target-cmd=no-such-program-wsspec {port}"], "cannot start target command"),
    (["--target=reference", "--driver=curio"], "unknown driver 'curio'"),
    (["--target=reference", "--case-timeout=soon"], "--case-timeout: expected a number"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
@pytest.mark.parametrize("tool", ["pytest", "wsspec"])
def test_bad_input_gets_one_clear_line(run_in: Runner, tool: str, args: list[str],
                                       message: str) -> None:
    closed = _closed_port()
    args = [a.replace("{closed}", str(closed)) for a in args]
    message = message.replace("{closed}", str(closed))
    cwd = run_in("--version").cwd
    (cwd / "unknown-key.toml").write_text('echoo = true\n')
    (cwd / "wrong-type.toml").write_text('[heartbeat]\ntimeout = "soon"\n')
    if tool == "wsspec":
        args = ["wsspec", *_as_wsspec(args)]
    run = run_in(*args)
    assert run.returncode not in (0, 1), run.output
    assert "Traceback" not in run.output
    assert message in run.output
    error_lines = [line for line in run.output.splitlines() if line.startswith("ERROR")]
    assert len(error_lines) == 1, run.output


def _as_wsspec(args: list[str]) -> list[str]:
    """The same run as the command: the options keep their names; the target is the URL."""
    out = []
    for arg in args:
        name, _, value = arg.partition("=")
        if name != "--target":
            out.append(arg)
        elif value != "reference":
            out.append(value)
    return out


def test_parallel_run_reports_every_case_once(run_in: Runner) -> None:
    serial = run_in("--target=reference", "-m", "framing or close")
    parallel = run_in("--target=reference", "-m", "framing or close", "-n", "2",
                      "--report-dir=parallel")
    assert parallel.returncode == 0, parallel.output
    cases = parallel.report("parallel")["cases"]
    assert sorted(c["id"] for c in cases) == sorted(c["id"] for c in serial.report()["cases"])
    assert len({c["id"] for c in cases}) == len(cases)


@pytest.mark.parametrize(("dist", "scheduler"), [((), "WorkStealingScheduling"),
                                                  (("--dist", "load"), "LoadScheduling")])
def test_parallel_runs_steal_work_unless_told_otherwise(run_in: Runner, dist: tuple[str, ...],
                                                        scheduler: str) -> None:
    run = run_in("--target=reference", "-k", "framing.echo", "-n", "2", "-v", *dist)
    assert run.returncode == 0, run.output
    assert f"scheduling tests via {scheduler}" in run.output


def test_ini_twins_configure_the_run(run_in: Runner) -> None:
    cwd = run_in("--version").cwd
    (cwd / "pytest.ini").write_text(
        "[pytest]\nwsspec_target = reference\nwsspec_report_dir = out\nwsspec_driver = trio\n"
    )
    run = run_in("-k", "framing.echo")
    assert run.returncode == 0, run.output
    assert set(run.report("out")["summary"]) >= {"pass"}
    assert {c["id"] for c in run.report("out")["cases"]} >= {"framing.echo.text",
                                                             "framing.echo.binary"}


def test_wsspec_serve_starts_the_reference_server(tmp_path: Path) -> None:
    port = _closed_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from wsspec.cli import main; sys.exit(main())",
         "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"ws://127.0.0.1:{port}/" in line
        run = run_tool([f"--target=ws://127.0.0.1:{port}/", "-k", "echo"], tmp_path)
        assert run.returncode == 0, run.output
    finally:
        process.terminate()
        process.wait(timeout=10)


PROFILE_WITH_POLICIES = """
subprotocols = ["chat.v1"]
subprotocol_required = true
[auth]
schemes = ["{scheme}"]
jwt_secret = "a-test-secret-of-reasonable-length-0123456789"
[origin]
allowed = ["https://app.example"]
allow_missing = false
[heartbeat]
ping_interval = 0.05
timeout = 2.0
"""


@pytest.mark.parametrize("scheme", ["bearer", "query", "cookie", "subprotocol", "basic"])
def test_profile_policies_apply_to_every_connection(run_in: Runner, scheme: str) -> None:
    """Credentials, an allowed Origin and a subprotocol go on every connection, and a
    server pinging every 50 ms never disturbs a case's verdict."""
    cwd = run_in("--version").cwd
    (cwd / "policies.toml").write_text(PROFILE_WITH_POLICIES.replace("{scheme}", scheme))
    run = run_in("--target=reference", "--target-profile=policies.toml",
                 "-k", " or ".join(SEED_CASES))
    assert run.returncode == 0, run.output
    assert {run.verdicts()[c] for c in SEED_CASES} == {"pass"}
