"""Headless Chromium's own WebSocket as an echo client, for ``--client-cmd``.

    python -m wsspec.targets.clients.thirdparty.chromium {url}

Serves ``browser/echo.html`` on a loopback HTTP server of its own and opens it in
a headless Chromium (a fresh profile folder per run) as
``/echo.html?url=<the case URL>``: the page connects, echoes every message until
the connection closes, and reports how it ended to ``/done``. The launcher then
stops the browser and exits: 0 after a close the page saw, 1 when the browser
did not start, ended early, or did not report within :data:`DEADLINE` seconds.
Every run is bounded; SIGTERM (how the suite ends a client) stops the browser
and removes the profile folder too. Profile folders live in
``$TMPDIR/wsspec-chromium-profiles``; one a kill left behind is removed by a later run.

The browser is ``$CHROMIUM``, else the first of :data:`BROWSERS` on ``PATH``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = ["BROWSERS", "DEADLINE", "find_browser", "main"]

PAGE = Path(__file__).with_name("browser") / "echo.html"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
#: seconds from the browser's start to the page's report; the suite ends cases sooner.
DEADLINE = 120.0
#: seconds the browser gets to exit after SIGTERM before it is killed.
STOP_GRACE = 3.0
#: tries at removing the profile folder, 0.1 s apart.
REMOVE_TRIES = 10
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--no-default-browser-check", "--mute-audio")


def find_browser() -> str | None:
    """The Chromium to run: ``$CHROMIUM`` or the first of :data:`BROWSERS` found."""
    given = os.environ.get("CHROMIUM")
    if given:
        return given
    return next(filter(None, map(shutil.which, BROWSERS)), None)


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.page = PAGE.read_bytes()
        self.outcome = ""
        self.done = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: _PageServer

    def do_GET(self) -> None:
        if urlsplit(self.path).path != "/echo.html":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.server.page)))
        self.end_headers()
        self.wfile.write(self.server.page)

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/done":
            self.send_error(404)
            return
        self.server.outcome = parse_qs(parts.query).get("what", ["?"])[0][:200]
        self.send_response(204)
        self.end_headers()
        self.server.done.set()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the suite shows a client's output only when it fails to connect."""


def _stop(browser: subprocess.Popen[bytes]) -> None:
    if browser.poll() is not None:
        return
    browser.terminate()
    try:
        browser.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        browser.kill()
        browser.wait(STOP_GRACE)


def _remove(folder: str) -> None:
    """Removes the profile folder; the browser's helper processes may still write into it
    for a moment after the browser itself has exited, so a few tries."""
    for _ in range(REMOVE_TRIES):
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.exists(folder):
            return
        time.sleep(0.1)


def _remove_stale(profiles: Path) -> None:
    """Removes profile folders of earlier runs that a kill left behind: every run ends
    within DEADLINE, so a folder untouched for longer belongs to no running browser."""
    cutoff = time.time() - DEADLINE - 60
    for folder in profiles.iterdir():
        with contextlib.suppress(OSError):
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)


def run(url: str, browser_path: str) -> int:
    server = _PageServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = f"http://127.0.0.1:{server.server_address[1]}/echo.html?{urlencode({'url': url})}"
    profiles = Path(tempfile.gettempdir()) / "wsspec-chromium-profiles"
    profiles.mkdir(exist_ok=True)
    _remove_stale(profiles)
    profile = tempfile.mkdtemp(prefix="run-", dir=profiles)
    try:
        browser = subprocess.Popen([browser_path, *FLAGS, f"--user-data-dir={profile}", page],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            # Bounded: DEADLINE in steps, ending early when the browser exits.
            for _ in range(int(DEADLINE * 10)):
                if server.done.wait(0.1) or browser.poll() is not None:
                    break
        finally:
            _stop(browser)
    finally:
        server.shutdown()
        server.server_close()
        _remove(profile)
    if not server.done.is_set():
        ended = (f"exited with status {browser.returncode}" if browser.returncode is not None
                 else f"did not report within {DEADLINE:g} s")
        print(f"chromium: the page {ended}", file=sys.stderr)
        return 1
    print(f"chromium: {server.outcome}", file=sys.stderr)
    return 1 if server.outcome.startswith("error") else 0


def _terminated(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the cleanup
    raise SystemExit(128 + signum)  # unwinds run(): the browser stops, the profile goes


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].startswith(("ws://", "wss://")):
        print("usage: python -m wsspec.targets.clients.thirdparty.chromium ws://HOST:PORT/PATH",
              file=sys.stderr)
        return 2
    browser = find_browser()
    if browser is None:
        print(f"chromium: no browser found (set CHROMIUM, or install one of "
              f"{', '.join(BROWSERS)})", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _terminated)
    return run(args[0], browser)


if __name__ == "__main__":
    sys.exit(main())
