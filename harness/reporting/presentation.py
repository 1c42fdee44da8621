"""What every human-readable rendering of a report shares.

The HTML page, the GitHub step summary, the comparison page and the terminal
summary all show the same headline and section × verdict counts, link the same
RFC sections and print the same command to rerun a case; the wording and the
template environment live here once.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2
from wsspec.cases import SECTIONS
from wsspec.verdicts import EXPLANATIONS, Verdict

#: the verdicts by name, in the one order (:class:`~wsspec.verdicts.Verdict`'s): best first.
VERDICTS = [v.value for v in Verdict]

#: verdicts that make a run fail (``non-strict`` only under ``--wsspec-strict``).
FAILING = ("fail", "error")

_RFC = re.compile(r"RFC\s*(?P<number>\d+)(?:\s+(?:section\s+)?(?P<section>\d+(?:\.\d+)*))?",
                  re.IGNORECASE)


def explanation(verdict: str) -> str:
    """What a verdict means, in words."""
    try:
        return EXPLANATIONS[Verdict(verdict)]
    except ValueError:
        return ""


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment of the HTML pages (templates ship inside the package)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wsspec.reporting", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["rfc_link"] = rfc_link
    env.filters["explain"] = explanation
    return env


def rfc_link(rfc: str) -> str | None:
    """The rfc-editor.org address of the section an ``rfc`` field names, if any.

    ``"RFC6455 5.2 MUST"`` → ``https://www.rfc-editor.org/rfc/rfc6455#section-5.2``.
    """
    match = _RFC.search(rfc)
    if match is None:
        return None
    url = f"https://www.rfc-editor.org/rfc/rfc{match['number']}"
    return f"{url}#section-{match['section']}" if match["section"] else url


def rerun_prefixes(url: str) -> tuple[str, str]:
    """The ``wsspec`` and ``pytest`` command lines that rerun cases of ``url``, up to the
    case id: each ends in ``-k `` (see :func:`rerun_commands`)."""
    if url == "reference":
        return "wsspec -k ", "pytest --target=reference -k "
    target = shlex.quote(url)
    return f"wsspec {target} -k ", f"pytest --target={target} -k "


def rerun_commands(url: str, case_id: str) -> tuple[str, str]:
    """The ``wsspec`` and ``pytest`` command lines that run one case again."""
    key = shlex.quote(case_id)
    wsspec_cmd, pytest_cmd = rerun_prefixes(url)
    return wsspec_cmd + key, pytest_cmd + key


def headline(report: Mapping[str, Any]) -> tuple[str, str]:
    """``("PASS" | "FAIL", "58 pass, 2 fail, ...")`` for a report.

    Judged against a baseline, only regressions fail the run, as they fail it in pytest.
    """
    summary: Mapping[str, int] = report["summary"]
    counts = ", ".join(f"{summary.get(v, 0)} {v}" for v in VERDICTS if summary.get(v, 0))
    baseline = report.get("baseline")
    if baseline is not None:
        failed = baseline["regressed"] > 0 or any(
            c["verdict"] in FAILING and not str(c.get("baseline", "")).startswith("accepted")
            for c in report["cases"])
        counts += (f"; baseline: {baseline['accepted']} accepted, {baseline['fixed']} fixed, "
                   f"{baseline['regressed']} regressed")
    else:
        failed = any(summary.get(v, 0) for v in FAILING)
    return ("FAIL" if failed else "PASS"), counts or "no cases"


def section_order(section: str) -> int:
    """Where a section sorts: the order of :data:`SECTIONS`, unknown ones last."""
    return SECTIONS.index(section) if section in SECTIONS else len(SECTIONS)


def section_matrix(cases: Iterable[Mapping[str, Any]]) -> list[tuple[str, dict[str, int]]]:
    """Per section (in the order of :data:`SECTIONS`), the count of each verdict."""
    per: dict[str, Counter[str]] = {}
    for case in cases:
        per.setdefault(case["section"], Counter())[case["verdict"]] += 1
    return [(section, {v: per[section].get(v, 0) for v in VERDICTS})
            for section in sorted(per, key=section_order)]


def section_table(cases: Iterable[Mapping[str, Any]]) -> list[str]:
    """:func:`section_matrix` as aligned text lines with a total row, for the terminal."""
    matrix = section_matrix(cases)
    if not matrix:
        return []
    totals = Counter[str]()
    for _, row in matrix:
        totals.update(row)
    rows = [[section, *(str(row[v]) for v in VERDICTS)] for section, row in matrix]
    rows.append(["total", *(str(totals[v]) for v in VERDICTS)])
    headers = ["section", *VERDICTS]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def fmt(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    return [fmt(headers), *(fmt(r) for r in rows)]
