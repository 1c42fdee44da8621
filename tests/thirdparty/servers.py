"""How to start each third-party server, and what it runs on.

The servers are echo endpoints started through ``--target-cmd``: websockets,
aiohttp, tornado, a server on wsproto (h11 for the handshake), Node's ``ws``
(installed with ``npm ci`` into a scratch folder) and Gin + gorilla/websocket
(built from Debian's Go library sources). :data:`SERVERS` names them by their
expected-results file (``expected/<name>.json``); :func:`target` makes one's
command, raising :class:`Unavailable` where its toolchain is missing. Used by
the compatibility tests and by ``scripts/stability.py``; free of pytest.
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

from wsspec.launcher import python_command

REPO = Path(__file__).resolve().parents[2]
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


class Unavailable(Exception):
    """A server cannot be started here: its toolchain or libraries are missing."""


class BuildFailed(Exception):
    """A server's install or build failed although its toolchain is present."""


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


def node_target(folder: Path) -> Target:
    """Node's ``ws`` server, installed with ``npm ci`` into ``folder`` (empty)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise Unavailable("Node's ws: node and npm are not installed")
    for name in ("package.json", "package-lock.json", "server.js"):
        shutil.copy(NODE_DIR / name, folder / name)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=folder,
                          capture_output=True, text=True, timeout=300,
                          env=tool_env(folder), check=False)
    if done.returncode != 0:
        raise Unavailable(f"Node's ws: `npm ci` could not install ws:\n{output_tail(done)}")
    installed = json.loads((folder / "node_modules" / "ws" / "package.json").read_text())
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True,
                                  timeout=30, check=False).stdout.strip()
    command = shlex.join([node, str(folder / "server.js"), "{port}",
                          "--max-size", str(MAX_SIZE)])
    return Target(command, {"ws": installed["version"], "node": node_version})


def gin_target(folder: Path) -> Target:
    """The Gin + gorilla/websocket server, built into ``folder`` from Debian's Go
    library sources."""
    go = shutil.which("go")
    missing = [lib for lib in GO_LIBRARIES if not (GOPATH / "src" / lib).is_dir()]
    if go is None or missing:
        absent = "the Go toolchain" if go is None else ", ".join(missing)
        raise Unavailable(f"Gin + gorilla/websocket: {absent} not installed "
                          f"(apt-get install -y {GO_PACKAGES})")
    binary = folder / "gin-echo"
    env = {**tool_env(folder), "GOPATH": str(GOPATH), "GO111MODULE": "off"}
    done = subprocess.run([go, "build", "-o", str(binary), str(GO_MAIN)], cwd=folder,
                          capture_output=True, text=True, timeout=600, env=env, check=False)
    if done.returncode != 0:
        raise BuildFailed(f"go build of {GO_MAIN} failed:\n{output_tail(done)}")
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


#: the servers, by the name of their expected-results file: each makes its target,
#: given an empty scratch folder (where Node's and Go's are installed or built).
SERVERS: dict[str, Callable[[Path], Target]] = {
    "websockets": lambda _: python_target("wsspec.targets.thirdparty.websockets_echo",
                                          "websockets"),
    "aiohttp": lambda _: python_target("wsspec.targets.thirdparty.aiohttp_echo", "aiohttp"),
    "tornado": lambda _: python_target("wsspec.targets.thirdparty.tornado_echo", "tornado"),
    "wsproto": lambda _: python_target("wsspec.targets.thirdparty.wsproto_echo", "wsproto", "h11"),
    "ws": node_target,
    "gin": gin_target,
}


def load_expected(name: str) -> dict[str, Any]:
    """A server's expected-results file, read."""
    data: dict[str, Any] = json.loads((EXPECTED / f"{name}.json").read_text())
    return data
