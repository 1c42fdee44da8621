"""wsspec beside the pytest plugins people run, each in a fresh virtual environment.

Direction one: a small user test suite (a ``client`` fixture of the user's own,
async tests for pytest-asyncio and anyio, a skip, an xfail) has the same
outcome, test by test, with the wsspec plugin loaded and without it
(``-p no:wsspec``, which is what pytest sees when wsspec is not installed).
Direction two: the sample sections ``framing``, ``close`` and ``utf8`` against
the reference server give the same verdicts, case by case, as in this
project's own environment; under pytest-randomly with two seeds, so the
verdicts do not depend on the order of the cases. pytest-html's report shows a
failing case's verdict text and wire log. pytest-django gets the scenario it
was found with: a tiny Django project whose pytest.ini names its settings.

Three environments: Django and pytest-django under pytest 8; pytest-asyncio
(strict and auto mode are ini settings of one install) under pytest 9; and one
shared by the plugins that do not conflict (anyio, pytest-randomly,
pytest-timeout, pytest-rerunfailures, pytest-html, pytest-cov, pytest-xdist).
docs/plugins.md records the versions this ran with.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, run_tool
from test_install import fresh_venv

pytestmark = pytest.mark.compat

#: the sections of direction two: three protocol sections that need no profile's policies
#: (381 cases, seconds each run)
SAMPLE = "framing or close or utf8"

SHARED = ["anyio", "pytest-randomly", "pytest-timeout", "pytest-rerunfailures", "pytest-html",
          "pytest-cov", "pytest-xdist"]


@dataclass
class Env:
    """A virtual environment with wsspec and third-party pytest plugins installed."""

    python: Path
    environ: dict[str, str]

    def run(self, cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """``python -m pytest ARGS`` (or the ``wsspec`` command when ARGS starts with it)."""
        argv = ([str(self.python.parent / "wsspec"), *args[1:]] if args[:1] == ("wsspec",)
                else [str(self.python), "-m", "pytest", "-p", "no:cacheprovider", *args])
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=self.environ)

    def versions(self) -> str:
        done = subprocess.run([str(self.python), "-m", "pip", "list", "--format=freeze"],
                              capture_output=True, text=True, timeout=120, env=self.environ,
                              check=True)
        return done.stdout


def make_env(tmp: Path, *requirements: str) -> Env:
    python, environ = fresh_venv(tmp / "venv", *requirements)
    env = Env(python, environ)
    print(f"\n{' '.join(requirements)}:\n{env.versions()}")  # the versions for docs/plugins.md
    return env


@pytest.fixture(scope="module")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return make_env(tmp_path_factory.mktemp("shared"), *SHARED)


@pytest.fixture(scope="module")
def asyncio_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return make_env(tmp_path_factory.mktemp("asyncio"), "pytest-asyncio")


@pytest.fixture(scope="module")
def django_env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return make_env(tmp_path_factory.mktemp("django"), "pytest>=8,<9", "pytest-django", "Django")


@pytest.fixture(scope="module")
def clean_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The sample's verdicts in this project's own environment."""
    run = run_tool(["--target=reference", "-m", SAMPLE], tmp_path_factory.mktemp("clean"),
                   timeout=600)
    assert run.returncode == 0, run.output
    return run.verdicts()


def verdicts(folder: Path, done: subprocess.CompletedProcess[str],
             report_dir: str = "reports") -> dict[str, str]:
    assert (folder / report_dir / "report.json").exists(), done.stdout + done.stderr
    report = json.loads((folder / report_dir / "report.json").read_text())
    return {case["id"]: case["verdict"] for case in report["cases"]}


# -- direction one: the user's own suite --------------------------------------------

USERS_CONFTEST = '''
import pytest


@pytest.fixture
def client():
    return "the user's client"
'''

USERS_TESTS = '''
import pytest


def test_client(client):
    assert client == "the user's client"


@pytest.mark.parametrize("n", [1, 2, 3])
def test_parametrized(n):
    assert n > 0


@pytest.mark.slow
def test_marked_slow():
    pass


def test_skipped():
    pytest.skip("the user's own skip")


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False
'''

ASYNCIO_TESTS = '''
import asyncio

import pytest


@pytest.mark.asyncio
async def test_marked(client):
    await asyncio.sleep(0)
    assert client == "the user's client"


async def test_unmarked():
    await asyncio.sleep(0)
'''

ANYIO_TESTS = '''
import pytest


@pytest.mark.anyio
async def test_anyio(client):
    import anyio

    await anyio.sleep(0)
    assert client == "the user's client"
'''


def users_suite(folder: Path, *extra: tuple[str, str]) -> Path:
    folder.mkdir()
    (folder / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n"
                                       "markers =\n    slow: the user's own slow tests\n")
    (folder / "conftest.py").write_text(USERS_CONFTEST)
    (folder / "test_users.py").write_text(USERS_TESTS)
    for name, text in extra:
        (folder / name).write_text(text)
    return folder


def outcomes(env: Env, folder: Path, *args: str) -> dict[str, str]:
    """Each test's outcome in a run of the user's suite (from its JUnit XML)."""
    xml = folder / "junit.xml"
    done = env.run(folder, f"--junitxml={xml}", *args)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    result: dict[str, str] = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        result[f"{case.get('classname')}::{case.get('name')}"] = kinds[0] if kinds else "passed"
    return result


def same_with_and_without(env: Env, folder: Path, *args: str) -> dict[str, str]:
    with_plugin = outcomes(env, folder, *args)
    without = outcomes(env, folder, "-p", "no:wsspec", *args)
    assert with_plugin == without
    return with_plugin


def test_shared_plugins_direction_one(shared_env: Env, tmp_path: Path) -> None:
    folder = users_suite(tmp_path / "project", ("test_anyio.py", ANYIO_TESTS))
    for args in (("--randomly-seed=1", "--timeout=60",
                  "--reruns=1", "--cov=.", "--cov-report=", "--html=users.html"),
                 ("-n", "2", "--randomly-seed=2")):
        seen = same_with_and_without(shared_env, folder, *args)
        assert seen["test_anyio::test_anyio[asyncio]"] == "passed", seen
        assert seen["test_users::test_client"] == "passed", seen
        assert seen["test_users::test_skipped"] == "skipped", seen


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_pytest_asyncio_direction_one(asyncio_env: Env, tmp_path: Path, mode: str) -> None:
    folder = users_suite(tmp_path / "project", ("test_async.py", ASYNCIO_TESTS))
    seen = same_with_and_without(asyncio_env, folder, "-o", f"asyncio_mode={mode}")
    assert seen["test_async::test_marked"] == "passed", seen
    # strict mode leaves an unmarked coroutine to pytest, which fails it (pytest 9: no plugin
    # runs it); wsspec leaves it alone too
    assert seen["test_async::test_unmarked"] == ("passed" if mode == "auto" else "failure"), seen


# -- direction two: the cases ---------------------------------------------------------


def test_shared_plugins_direction_two(shared_env: Env, tmp_path: Path,
                                      clean_verdicts: dict[str, str]) -> None:
    for seed in (1, 2):
        folder = tmp_path / f"seed-{seed}"
        folder.mkdir()
        done = shared_env.run(folder, "--target=reference", "-m", SAMPLE,
                              f"--randomly-seed={seed}", "--timeout=120", "--reruns=1",
                              "--cov=wsspec", "--cov-report=", "--html=cases.html")
        assert verdicts(folder, done) == clean_verdicts, done.stdout[-3000:]
    parallel = tmp_path / "xdist"
    parallel.mkdir()
    done = shared_env.run(parallel, "--target=reference", "-m", SAMPLE, "-n", "2")
    assert verdicts(parallel, done) == clean_verdicts, done.stdout[-3000:]


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_pytest_asyncio_direction_two(asyncio_env: Env, tmp_path: Path, mode: str,
                                      clean_verdicts: dict[str, str]) -> None:
    done = asyncio_env.run(tmp_path, "--target=reference", "-m", SAMPLE, "-o",
                           f"asyncio_mode={mode}")
    assert verdicts(tmp_path, done) == clean_verdicts, done.stdout[-3000:]


def test_pytest_html_shows_the_verdict_and_the_wire_log(shared_env: Env, tmp_path: Path) -> None:
    faulty = f"{shared_env.python} -m wsspec.targets.faulty --fault corrupt-echo --port {{port}}"
    done = shared_env.run(tmp_path, f"--target-cmd={faulty}", "-k", "framing.echo.binary",
                          "--html=report.html", "--self-contained-html")
    assert done.returncode == 1, done.stdout + done.stderr
    case = json.loads((tmp_path / "reports" / "report.json").read_text())["cases"][0]
    assert case["verdict"] == "fail"
    shown = html_report_text((tmp_path / "report.html").read_text())
    for expected in ("wsspec wire log", "wsspec verdict", case["expected"], case["observed"]):
        assert expected in shown, expected
    frames = [entry["frame"]["describe"] for entry in case["wirelog"] if "frame" in entry]
    assert frames and all(frame in shown for frame in frames), frames


def html_report_text(page: str) -> str:
    """The text of a pytest-html 4 report: its rows are a JSON blob in the page's
    ``data-jsonblob`` attribute, their extras and logs HTML inside the JSON strings."""
    match = re.search(r'data-jsonblob="([^"]*)"', page)
    assert match, "no data-jsonblob in the pytest-html report"
    strings: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            strings.append(html.unescape(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(html.unescape(match.group(1))))
    return "\n".join(strings)


# -- pytest-django: the scenario it was found with ------------------------------------

DJANGO_PROJECT = {
    "manage.py": "import os\nimport sys\n\nif __name__ == '__main__':\n"
                 "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
                 "    from django.core.management import execute_from_command_line\n\n"
                 "    execute_from_command_line(sys.argv)\n",
    "mysite/__init__.py": "",
    "mysite/settings.py": "SECRET_KEY = 'not-secret'\nDEBUG = False\n"
                          "ALLOWED_HOSTS = ['testserver']\nROOT_URLCONF = 'mysite.urls'\n"
                          "INSTALLED_APPS = []\nMIDDLEWARE = []\nDATABASES = {}\n"
                          "USE_TZ = True\n",
    "mysite/urls.py": "from django.http import HttpResponse\nfrom django.urls import path\n\n\n"
                      "def hello(request):\n    return HttpResponse('hello')\n\n\n"
                      "urlpatterns = [path('hello/', hello)]\n",
    "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = mysite.settings\n",
    "test_views.py": "def test_hello(client):\n    response = client.get('/hello/')\n"
                     "    assert response.status_code == 200\n"
                     "    assert response.content == b'hello'\n",
}


@pytest.fixture
def django_project(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "project"
    for name, text in DJANGO_PROJECT.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    yield folder


def test_pytest_django_project(django_env: Env, django_project: Path,
                               clean_verdicts: dict[str, str]) -> None:
    framing = {case: verdict for case, verdict in clean_verdicts.items()
               if case.startswith("framing.")}
    assert set(framing.values()) == {"pass"}
    # direction one: the project's own test, with and without the plugin
    assert same_with_and_without(django_env, django_project) == {
        "test_views::test_hello": "passed"}
    # direction two: the cases from the project's folder, through pytest and the command
    done = django_env.run(django_project, "--target=reference", "-m", "framing")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert verdicts(django_project, done) == framing
    done = django_env.run(django_project, "--target=reference", "-m", "framing", "-n", "2",
                          "--report-dir=parallel")
    assert verdicts(django_project, done, "parallel") == framing, done.stdout[-3000:]
    done = django_env.run(django_project, "wsspec", "-m", "framing", "--report-dir=command")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert verdicts(django_project, done, "command") == framing
    assert sys.executable != str(django_env.python) and str(REPO) not in done.stdout
