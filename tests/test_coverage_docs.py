"""docs/rfc6455-coverage.md and docs/rfc7692-coverage.md against the case catalogue.

The coverage pages map RFC requirements to case ids. These tests keep them honest: every id
or id prefix a page cites exists (so a deleted or renamed case cannot stay cited), a prefix
matches at least as many cases as the page says, every row has cases or a written reason,
and the summary line's counts match the tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO
from wsspec.casedocs import collect_cases
from wsspec.cases import SECTIONS, CaseInfo

PAGES = ("rfc6455-coverage.md", "rfc7692-coverage.md")
HEADER = ["#", "RFC section", "level", "requirement", "cases", "notes"]
#: what a notes cell of a row without cases starts with.
REASONS = ("untestable", "gap", "pending: no case yet")
LEVEL = re.compile(r"^(MUST|MUST NOT|SHOULD|SHOULD NOT|must \(lower case\))( \(\w[^)]*\))?$")
#: one entry of a cases cell: `id` or `prefix*`, then an optional count.
ENTRY = re.compile(r"^`(?P<ref>[^`]+)`(?: \((?P<count>\d+)\))?$")
#: an id-like token anywhere in a row: a section name, a dot, more.
_SECTION_NAMES = "|".join(map(re.escape, SECTIONS))
ID_LIKE = re.compile(rf"`((?:{_SECTION_NAMES})\.[A-Za-z0-9_.\-]*\*?)`")
SUMMARY = re.compile(
    r"\*\*Summary: (?P<rows>\d+) requirements; (?P<mapped>\d+) mapped to cases; "
    r"(?P<unmapped>\d+) without a case, each with a reason\s*\((?P<detail>[^)]*)\)\.\*\*"
)


@dataclass(frozen=True)
class Row:
    page: str
    number: str
    section: str
    level: str
    requirement: str
    cases: str
    notes: str

    def __str__(self) -> str:
        return f"{self.page} row {self.number}"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_rows(page: str) -> list[Row]:
    """Every row of every requirement table of ``page`` (tables headed by HEADER)."""
    rows: list[Row] = []
    in_table = False
    for line in (REPO / "docs" / page).read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = _cells(line)
        if cells == HEADER:
            in_table = True
            continue
        if not in_table or set("".join(cells)) <= set("-: "):
            continue
        assert len(cells) == len(HEADER), f"{page}: a row with {len(cells)} cells: {line}"
        rows.append(Row(page, *cells))
    return rows


def cited(row: Row) -> list[tuple[str, int | None]]:
    """The entries of a row's cases cell: (id or prefix ending in ``*``, stated count)."""
    if row.cases == "—":
        return []
    entries = []
    for part in row.cases.split(", "):
        match = ENTRY.match(part.strip())
        assert match, f"{row}: cannot read {part!r} in the cases cell"
        count = match["count"]
        entries.append((match["ref"], int(count) if count else None))
    return entries


def matching(ref: str, ids: set[str]) -> list[str]:
    if ref.endswith("*"):
        return [i for i in ids if i.startswith(ref[:-1])]
    return [ref] if ref in ids else []


@pytest.fixture(scope="module")
def cases() -> list[CaseInfo]:
    return collect_cases()


@pytest.fixture(scope="module")
def case_ids(cases: list[CaseInfo]) -> set[str]:
    return {info.id for info in cases}


@pytest.mark.parametrize("page", PAGES)
def test_page_has_requirement_rows(page: str) -> None:
    rows = parse_rows(page)
    assert len(rows) >= 20
    numbers = [row.number for row in rows]
    assert len(set(numbers)) == len(numbers), f"{page}: duplicate row numbers"


@pytest.mark.parametrize("page", PAGES)
def test_rows_are_well_formed(page: str) -> None:
    for row in parse_rows(page):
        assert re.fullmatch(r"D?\d+", row.number), f"{row}: bad number {row.number!r}"
        assert re.match(r"(6455 )?\d+(\.\d+)*", row.section), f"{row}: bad section"
        assert LEVEL.match(row.level), f"{row}: bad level {row.level!r}"
        assert row.requirement.endswith("."), f"{row}: the requirement is not a sentence"


@pytest.mark.parametrize("page", PAGES)
def test_every_row_has_cases_or_a_reason(page: str) -> None:
    for row in parse_rows(page):
        if row.cases == "—":
            assert any(row.notes.startswith(f"**{reason}**") for reason in REASONS), (
                f"{row} cites no case; its notes must start with one of "
                + ", ".join(f"**{r}**" for r in REASONS)
            )
            assert len(row.notes) > 40, f"{row}: the reason must say why (or what is missing)"
        else:
            assert cited(row), f"{row}: empty cases cell (write — and a reason)"


@pytest.mark.parametrize("page", PAGES)
def test_cited_cases_exist(page: str, case_ids: set[str]) -> None:
    problems = []
    for row in parse_rows(page):
        for ref, count in cited(row):
            found = matching(ref, case_ids)
            if not found:
                problems.append(f"{row}: {ref} matches no case")
            elif ref.endswith("*") and count is None:
                problems.append(f"{row}: prefix {ref} needs a count, it matches {len(found)}")
            elif count is not None and not ref.endswith("*"):
                problems.append(f"{row}: {ref} is a single id, it takes no count")
            elif count is not None and len(found) < count:
                problems.append(f"{row}: {ref} ({count}) now matches only {len(found)} cases")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_ids_mentioned_in_notes_exist(page: str, case_ids: set[str]) -> None:
    missing = [
        f"{row}: {token}"
        for row in parse_rows(page)
        for token in ID_LIKE.findall(row.notes)
        if not matching(token, case_ids)
    ]
    assert not missing, "ids in the notes that match no case:\n" + "\n".join(missing)


@pytest.mark.parametrize("page", PAGES)
def test_summary_counts_match_the_tables(page: str) -> None:
    text = (REPO / "docs" / page).read_text(encoding="utf-8")
    summary = SUMMARY.search(text)
    assert summary, f"{page}: no summary line"
    rows = parse_rows(page)
    unmapped = [row for row in rows if row.cases == "—"]
    assert int(summary["rows"]) == len(rows)
    assert int(summary["mapped"]) == len(rows) - len(unmapped)
    assert int(summary["unmapped"]) == len(unmapped)
    for reason in REASONS:
        stated = re.search(rf"(\d+) {re.escape(reason)}", summary["detail"])
        actual = sum(1 for row in unmapped if row.notes.startswith(f"**{reason}**"))
        assert (int(stated[1]) if stated else 0) == actual, f"{page}: count of {reason!r} rows"


def test_parser_reads_entries_and_prefixes() -> None:
    row = Row("x", "1", "5.2", "MUST", "A rule.", "`rsv.*` (56), `framing.echo.text`", "")
    assert cited(row) == [("rsv.*", 56), ("framing.echo.text", None)]
    ids = {"rsv.rsv1.text.one-write", "rsv.rsv2.ping.one-write", "rsvx.other"}
    assert sorted(matching("rsv.*", ids)) == ["rsv.rsv1.text.one-write", "rsv.rsv2.ping.one-write"]
    assert matching("rsv.rsv1", ids) == []
    assert ID_LIKE.findall("see `close.code.invalid-*` (12) and `permessage-deflate; x`") == [
        "close.code.invalid-*"
    ]


def test_pages_are_linked_from_the_docs() -> None:
    text = (REPO / "docs" / "rfc6455-coverage.md").read_text(encoding="utf-8")
    assert "rfc7692-coverage.md" in text
    assert Path(REPO / "docs" / "cases.md").exists()
