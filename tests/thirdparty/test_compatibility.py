"""The whole conformance suite against real third-party servers.

Each server is an echo endpoint started through ``--target-cmd``: websockets,
aiohttp, tornado, a server on wsproto (h11 for the handshake), Node's ``ws``
and Gin + gorilla/websocket. The suite runs against it (``-n 2``), and every
verdict must be the one recorded in ``expected/<server>.json``, which lists
each case that does not pass (a case absent from it must pass). Unsupported
verdicts follow from the profile alone, not from the server, and are left out.
Where a verdict depends on scheduling (a server that fails the connection
before its application has echoed the message sent just before the bad frame:
pass or non-strict, as in Autobahn|Testsuite), the file lists both. The fuzz
section runs too, but its verdicts do not repeat against a live server (see
:data:`UNREPEATABLE`): there, only an error counts as a difference.

Every recorded verdict is explained in docs/compatibility.md. These tests are
opt-in (see conftest.py); the Node and Go servers are skipped, with the reason,
where their toolchains are missing. Nothing is written into the repository:
runs, installs and builds happen in temporary folders.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Run, run_tool
from wsspec.compatdocs import UNREPEATABLE, allowed, load_server
from wsspec.launcher import python_command
from wsspec.verdicts import Verdict

EXPECTED = Path(__file__).with_name("expected")
NODE_DIR = REPO / "targets" / "thirdparty" / "node"
GO_MAIN = REPO / "targets" / "thirdparty" / "go" / "main.go"
#: where Debian's golang-*-dev packages put Go library sources (built outside module mode).
GOPATH = Path("/usr/share/gocode")
GO_LIBRARIES = ("github.com/gin-gonic/gin", "github.com/gorilla/websocket")
GO_PACKAGES = ("golang-go golang-github-gin-gonic-gin-dev "
               "golang-github-gorilla-websocket-dev")

#: every server refuses messages over 64 MiB with 1009 (the suite's largest is 16 MiB):
#: a finite limit, as RFC 6455 10.4 asks of a deployed server.
MAX_SIZE = 64 * 2**20
#: the Gin server's CheckOrigin accepts this origin (and requests without Origin); its
#: expected file's ``profile`` declares it.
ORIGIN = "https://app.example"

#: seconds one server's run may take before it counts as hung.
RUN_TIMEOUT = 600.0
#: verdicts a server's run must reproduce; unsupported ones depend on the profile only.
COMPARED = {v.value for v in Verdict} - {Verdict.UNSUPPORTED.value}


@dataclass(frozen=True)
class Target:
    """How to start one server, and the versions it runs on."""

    command: str
    versions: Mapping[str, str]


def python_target(module: str, *packages: str) -> Target:
    return Target(python_command(module, "{port}", "--max-size", str(MAX_SIZE)),
                  {package: metadata.version(package) for package in packages})


def tool_env(scratch: Path) -> dict[str, str]:
    """The environment for npm and go: their caches go to ``scratch`` when the
    environment has no home folder to hold them (tox passes few variables)."""
    env = dict(os.environ)
    if not env.get("HOME") and not env.get("XDG_CACHE_HOME"):
        env.setdefault("GOCACHE", str(scratch / "go-cache"))
        env.setdefault("npm_config_cache", str(scratch / "npm-cache"))
    return env


def output_tail(done: subprocess.CompletedProcess[str], lines: int = 12) -> str:
    return "\n".join((done.stdout + done.stderr).strip().splitlines()[-lines:])


@pytest.fixture(scope="session")
def node_target(tmp_path_factory: pytest.TempPathFactory) -> Target:
    """Node's ``ws`` server, installed with ``npm ci`` into a copy of its folder."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node's ws: node and npm are not installed")
    folder = tmp_path_factory.mktemp("node-ws")
    for name in ("package.json", "package-lock.json", "server.js"):
        shutil.copy(NODE_DIR / name, folder / name)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=folder,
                          capture_output=True, text=True, timeout=300,
                          env=tool_env(folder), check=False)
    if done.returncode != 0:
        pytest.skip(f"Node's ws: `npm ci` could not install ws:\n{output_tail(done)}")
    installed = json.loads((folder / "node_modules" / "ws" / "package.json").read_text())
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True,
                                  timeout=30, check=False).stdout.strip()
    command = shlex.join([node, str(folder / "server.js"), "{port}",
                          "--max-size", str(MAX_SIZE)])
    return Target(command, {"ws": installed["version"], "node": node_version})


@pytest.fixture(scope="session")
def gin_target(tmp_path_factory: pytest.TempPathFactory) -> Target:
    """The Gin + gorilla/websocket server, built from Debian's Go library sources."""
    go = shutil.which("go")
    missing = [lib for lib in GO_LIBRARIES if not (GOPATH / "src" / lib).is_dir()]
    if go is None or missing:
        absent = "the Go toolchain" if go is None else ", ".join(missing)
        pytest.skip(f"Gin + gorilla/websocket: {absent} not installed "
                    f"(apt-get install -y {GO_PACKAGES})")
    folder = tmp_path_factory.mktemp("gin-echo")
    binary = folder / "gin-echo"
    env = {**tool_env(folder), "GOPATH": str(GOPATH), "GO111MODULE": "off"}
    done = subprocess.run([go, "build", "-o", str(binary), str(GO_MAIN)], cwd=folder,
                          capture_output=True, text=True, timeout=600, env=env, check=False)
    assert done.returncode == 0, f"go build of {GO_MAIN} failed:\n{output_tail(done)}"
    go_version = subprocess.run([go, "version"], capture_output=True, text=True, timeout=30,
                                check=False, env=env).stdout.strip()
    command = shlex.join([str(binary), "-addr", "127.0.0.1:{port}", "-origins", ORIGIN,
                          "-max-size", str(MAX_SIZE)])
    return Target(command, {"gin": gin_version(), "gorilla/websocket": gorilla_version(),
                            "go": go_version.removeprefix("go version ")})


def gin_version() -> str:
    source = (GOPATH / "src" / "github.com/gin-gonic/gin" / "version.go").read_text()
    found = re.search(r'Version = "v?([^"]+)"', source)
    return found.group(1) if found else "unknown"


def gorilla_version() -> str:
    """gorilla/websocket declares no version in its source: Debian's package version."""
    dpkg = shutil.which("dpkg-query")
    if dpkg is None:
        return "unknown"
    done = subprocess.run([dpkg, "-W", "-f=${Version}", "golang-github-gorilla-websocket-dev"],
                          capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.strip() or "unknown"


#: the servers, by the name of their expected-results file.
SERVERS: dict[str, Callable[[pytest.FixtureRequest], Target]] = {
    "websockets": lambda _: python_target("wsspec.targets.thirdparty.websockets_echo",
                                          "websockets"),
    "aiohttp": lambda _: python_target("wsspec.targets.thirdparty.aiohttp_echo", "aiohttp"),
    "tornado": lambda _: python_target("wsspec.targets.thirdparty.tornado_echo", "tornado"),
    "wsproto": lambda _: python_target("wsspec.targets.thirdparty.wsproto_echo", "wsproto", "h11"),
    "ws": lambda request: request.getfixturevalue("node_target"),
    "gin": lambda request: request.getfixturevalue("gin_target"),
}


def load_expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXPECTED / f"{name}.json").read_text())
    return data


def compare(expected: Mapping[str, str | list[str]], verdicts: Mapping[str, str]) -> list[str]:
    """Every difference between the recorded verdicts and a run's, one line each."""
    problems = []
    for case_id, verdict in sorted(verdicts.items()):
        if case_id.startswith(UNREPEATABLE):
            if verdict == Verdict.ERROR.value:
                problems.append(f"{case_id}: error")
            continue
        wanted = allowed(expected.get(case_id, Verdict.PASS.value))
        if verdict in COMPARED and verdict not in wanted:
            problems.append(f"{case_id}: {verdict}, recorded {' or '.join(wanted)}")
    for case_id in sorted(set(expected) - set(verdicts)):
        problems.append(f"{case_id}: absent from the run, recorded "
                        f"{' or '.join(allowed(expected[case_id]))}")
    return problems


def recorded(expected: Mapping[str, str | list[str]],
             verdicts: Mapping[str, str]) -> dict[str, str | list[str]]:
    """The expected-results mapping this run would record: its non-pass verdicts,
    keeping an existing entry that allows the verdict seen."""
    result: dict[str, str | list[str]] = {}
    for case_id, verdict in sorted(verdicts.items()):
        if case_id.startswith(UNREPEATABLE):
            continue
        previous = expected.get(case_id)
        if previous is not None and verdict in allowed(previous):
            result[case_id] = previous
        elif verdict in COMPARED and verdict != Verdict.PASS.value:
            result[case_id] = verdict
    return result


def dump_expected(data: Mapping[str, Any]) -> str:
    """An expected-results file as committed: one line per case."""
    head = {key: value for key, value in data.items() if key != "verdicts"}
    text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
    lines = [f"    {json.dumps(case_id)}: {json.dumps(value)}"
             for case_id, value in sorted(data["verdicts"].items())]
    return text + ',\n  "verdicts": {\n' + ",\n".join(lines) + "\n  }\n}\n"


def run_suite(target: Target, profile: str | None, folder: Path) -> Run:
    """The suite against ``target``, with ``profile`` (TOML; None: the default one)."""
    args = [f"--target-cmd={target.command}", "-n", "2"]
    if profile is not None:
        path = folder / "profile.toml"
        path.write_text(profile)
        args.append(f"--target-profile={path}")
    return run_tool(args, folder, timeout=RUN_TIMEOUT)


@pytest.mark.thirdparty
@pytest.mark.parametrize("name", list(SERVERS))
def test_verdicts_match_the_recorded_ones(name: str, request: pytest.FixtureRequest,
                                          tmp_path: Path) -> None:
    target = SERVERS[name](request)
    expected = load_expected(name)
    run = run_suite(target, expected.get("profile"), tmp_path)
    report_file = tmp_path / "reports" / "report.json"
    assert run.returncode in (0, 1) and report_file.exists(), (
        f"the suite did not complete against {name} (exit {run.returncode}):\n"
        + run.output[-3000:])
    verdicts = run.verdicts()
    problems = compare(expected["verdicts"], verdicts)
    if problems:
        update = {**expected, "recorded_with": dict(target.versions),
                  "verdicts": recorded(expected["verdicts"], verdicts)}
        observed = tmp_path / f"{name}.json"
        observed.write_text(dump_expected(update))
        drift = {k: (v, target.versions.get(k)) for k, v in expected["recorded_with"].items()
                 if target.versions.get(k) != v}
        lines = [f"{len(problems)} verdict(s) of {name} differ from "
                 f"tests/thirdparty/expected/{name}.json:", *problems]
        if drift:
            lines.append("versions recorded → installed: " + ", ".join(
                f"{k} {old} → {new}" for k, (old, new) in drift.items()))
        lines.append(f"this run's verdicts, in that file's format: {observed}; the report: "
                     f"{report_file}. Explain any change in docs/compatibility.md and "
                     "regenerate its tables: python -m wsspec.compatdocs docs/compatibility.md")
        pytest.fail("\n".join(lines), pytrace=False)


def test_every_server_has_a_well_formed_expected_file() -> None:
    """Runs by default: the recorded files stay readable without the servers."""
    names = {Verdict(v) for v in COMPARED}
    assert {path.stem for path in EXPECTED.glob("*.json")} == set(SERVERS)
    for name in SERVERS:
        expected = load_expected(name)
        assert (EXPECTED / f"{name}.json").read_text() == dump_expected(expected)
        assert expected["server"] == name
        assert expected["recorded_with"] and expected["command"]
        load_server(EXPECTED / f"{name}.json")  # its profile, if any, is a valid one
        for case_id, value in expected["verdicts"].items():
            assert not case_id.startswith(UNREPEATABLE), case_id
            assert re.fullmatch(r"[a-z0-9]+(\.[\w.+-]+)+", case_id), case_id
            assert {Verdict(v) for v in allowed(value)} <= names, (case_id, value)
            assert allowed(value) != [Verdict.PASS.value], case_id
