"""``docs/cases.md``: the case catalogue, generated from the cases' metadata.

    python -m wsspec.casedocs docs/cases.md          # write it
    python -m wsspec.casedocs docs/cases.md --check  # exit 1 if it is stale

The cases are collected by pytest itself (the same collection a run does), so
the page lists exactly the ids, titles and requirements a run reports.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections import Counter
from pathlib import Path

import pytest
from wsspec.cases import SECTIONS, CaseInfo


class _Collector:
    def __init__(self) -> None:
        self.infos: list[CaseInfo] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from wsspec.runstate import INFO_KEY

        self.infos = [item.stash[INFO_KEY] for item in session.items if INFO_KEY in item.stash]


def collect_cases() -> list[CaseInfo]:
    """Every installed case, resolved per parameter, in collection order."""
    from wsspec.runstate import CONFORMANCE_DIR

    collector = _Collector()
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = pytest.main(
            [str(CONFORMANCE_DIR), "--collect-only", "-q", "-q", "--target=reference",
             "-p", "no:cacheprovider", "-p", "no:warnings", "-o", "python_files=test_*.py"],
            plugins=[collector],
        )
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SystemExit(f"collecting the cases failed (pytest exit code {code}):\n"
                         + out.getvalue()[-2000:])
    return collector.infos


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(infos: list[CaseInfo]) -> str:
    """The Markdown page."""
    per_section = Counter(info.section for info in infos)
    autobahn = {info.autobahn for info in infos if info.autobahn}
    lines = [
        "# Cases",
        "",
        "Generated from the cases' metadata by `python -m wsspec.casedocs docs/cases.md`;",
        "a test fails when this page is stale. Run one case with `wsspec -k <id>` or",
        "`pytest --target=URL -k <id>`.",
        "",
        f"{len(infos)} cases; {len(autobahn)} Autobahn|Testsuite case ids claimed.",
        "",
        "| section | cases |",
        "|---|---|",
    ]
    ordered = sorted(per_section, key=lambda s: SECTIONS.index(s) if s in SECTIONS else 99)
    lines += [f"| [{s}](#{s}) | {per_section[s]} |" for s in ordered]
    for section in ordered:
        lines += ["", f"## {section}", "", "| id | title | requirement | RFC | Autobahn |",
                  "|---|---|---|---|---|"]
        for info in sorted((i for i in infos if i.section == section), key=lambda i: i.id):
            flags = " (slow)" if info.slow else ""
            needs = f" — needs {', '.join(info.needs)}" if info.needs else ""
            lines.append(
                f"| `{info.id}` | {_cell(info.title)}{flags}{needs} | {_cell(info.requirement)} "
                f"| {info.rfc} | {info.autobahn or ''} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wsspec.casedocs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="the Markdown file (docs/cases.md)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 when the file differs from the cases")
    options = parser.parse_args(argv)
    current = options.output.read_text() if options.output.exists() else ""
    return write_or_check(options.output, current, render(collect_cases()),
                          check=options.check, command="python -m wsspec.casedocs")


def write_or_check(output: Path, current: str, text: str, *, check: bool, command: str) -> int:
    """Write a generated page (exit status 0), or with ``check`` only compare it: 1, with
    one line naming ``command``, when the page on disk differs from ``text``."""
    if check:
        if current != text:
            print(f"{output} is stale: run {command} {output}", file=sys.stderr)
            return 1
        return 0
    output.write_text(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
