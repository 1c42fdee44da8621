"""Installs the third-party echo clients that need a toolchain, and says how to run each.

    python -m wsspec.targets.clients.thirdparty.install DIR

builds gorilla/websocket's client (``go/client.go``, Go outside module mode, from
Debian's ``golang-github-gorilla-websocket-dev`` under :data:`GOPATH`) and installs
Node's ``ws`` for ``node/client.js`` (``npm ci`` into a copy of that folder), both
into DIR, then prints one line per client: its name and its ``--client-cmd``, or
why it is not available. The Python clients need only their libraries
(``pip install websockets aiohttp tornado wsproto trio-websocket``); the browser
client needs Chromium (``apt-get install -y chromium``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from wsspec.targets.clients.thirdparty.chromium import find_browser
from wsspec.targets.clients.thirdparty.python import CLIENTS as PYTHON_CLIENTS

__all__ = ["CLIENTS", "Client", "Unavailable", "install", "main"]

HERE = Path(__file__).resolve().parent
#: where Debian's golang-*-dev packages put Go library sources.
GOPATH = Path("/usr/share/gocode")
GORILLA = "github.com/gorilla/websocket"
GO_PACKAGES = "golang-go golang-github-gorilla-websocket-dev"
#: seconds a build or an install may take.
BUILD_TIMEOUT = 600.0
#: the Python distribution behind each Python client (trio-websocket runs on trio).
PYTHON_DISTRIBUTIONS = {"websockets": ("websockets",), "aiohttp": ("aiohttp",),
                        "tornado": ("tornado",), "wsproto": ("wsproto",),
                        "trio-websocket": ("trio-websocket", "trio")}


class Unavailable(Exception):
    """A client that cannot run here; the message says what is missing."""


@dataclass(frozen=True)
class Client:
    """How to run one client under ``--client-cmd``, and what it runs on."""

    command: str
    versions: dict[str, str] = field(default_factory=dict)


def _tool_env(folder: Path) -> dict[str, str]:
    """npm's and go's caches go into ``folder`` when there is no home to hold them."""
    env = dict(os.environ)
    if not env.get("HOME") and not env.get("XDG_CACHE_HOME"):
        env.setdefault("GOCACHE", str(folder / "go-cache"))
        env.setdefault("npm_config_cache", str(folder / "npm-cache"))
    return env


def _output(command: list[str], cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False,
                          timeout=BUILD_TIMEOUT, cwd=cwd, env=env)


def _tail(done: subprocess.CompletedProcess[str], lines: int = 12) -> str:
    return "\n".join((done.stdout + done.stderr).strip().splitlines()[-lines:])


def _python(name: str) -> Callable[[Path], Client]:
    def install(_folder: Path) -> Client:
        try:
            versions = {d: metadata.version(d) for d in PYTHON_DISTRIBUTIONS[name]}
        except metadata.PackageNotFoundError as exc:
            raise Unavailable(f"{name}: the Python package {exc} is not installed "
                              f"(pip install {name})") from None
        return Client(shlex.join([sys.executable, "-m", "wsspec.targets.clients.thirdparty",
                                  name]) + " {url}", versions)
    return install


def _gorilla(folder: Path) -> Client:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src" / GORILLA).is_dir():
        absent = "the Go toolchain" if go is None else GORILLA
        raise Unavailable(f"gorilla: {absent} not installed (apt-get install -y {GO_PACKAGES})")
    binary = folder / "gorilla-echo-client"
    env = {**_tool_env(folder), "GOPATH": str(GOPATH), "GO111MODULE": "off"}
    done = _output([go, "build", "-o", str(binary), str(HERE / "go" / "client.go")],
                   cwd=folder, env=env)
    if done.returncode != 0:
        raise Unavailable(f"gorilla: go build failed:\n{_tail(done)}")
    go_version = _output([go, "version"], env=env).stdout.strip().removeprefix("go version ")
    package = "unknown"
    if shutil.which("dpkg-query"):  # gorilla/websocket's source declares no version
        package = _output(["dpkg-query", "-W", "-f=${Version}",
                           "golang-github-gorilla-websocket-dev"]).stdout.strip() or package
    return Client(shlex.quote(str(binary)) + " {url}",
                  {"gorilla/websocket": package, "go": go_version})


def _ws(folder: Path) -> Client:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise Unavailable("ws: node and npm are not installed")
    target = folder / "node-ws-client"
    target.mkdir(exist_ok=True)
    for name in ("package.json", "package-lock.json", "client.js"):
        shutil.copy(HERE / "node" / name, target / name)
    done = _output([npm, "ci", "--no-audit", "--no-fund"], cwd=target, env=_tool_env(target))
    if done.returncode != 0:
        raise Unavailable(f"ws: `npm ci` could not install ws:\n{_tail(done)}")
    installed = json.loads((target / "node_modules" / "ws" / "package.json").read_text())
    return Client(shlex.join([node, str(target / "client.js")]) + " {url}",
                  {"ws": installed["version"], "node": _output([node, "--version"]).stdout.strip()})


def _chromium(_folder: Path) -> Client:
    browser = find_browser()
    if browser is None:
        raise Unavailable("chromium: no browser found (apt-get install -y chromium)")
    version = _output([browser, "--version"]).stdout.strip() or "unknown"
    return Client(shlex.join([sys.executable, "-m", "wsspec.targets.clients.thirdparty.chromium"])
                  + " {url}", {"chromium": version})


#: client name -> how to install it into a folder (raises :class:`Unavailable`).
CLIENTS: dict[str, Callable[[Path], Client]] = {
    **{name: _python(name) for name in PYTHON_CLIENTS},
    "gorilla": _gorilla, "ws": _ws, "chromium": _chromium,
}


def install(name: str, folder: Path) -> Client:
    """Client ``name`` installed into ``folder``; :class:`Unavailable` when it cannot be."""
    return CLIENTS[name](folder)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m wsspec.targets.clients.thirdparty.install DIR", file=sys.stderr)
        return 2
    folder = Path(args[0]).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    missing = 0
    for name in CLIENTS:
        try:
            client = install(name, folder)
        except Unavailable as exc:
            missing += 1
            print(f"{name}: not available: {exc}")
            continue
        print(f"{name}: {client.command}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
