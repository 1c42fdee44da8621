"""The case ids of Autobahn|Testsuite, the suite wsspec covers and goes beyond.

wsspec claims each of them with at least one case that checks the same thing
(the ``autobahn=`` field of :func:`wsspec.cases.case`); a test keeps the
claim honest. Sections 1-10 hold 301 cases, sections 12-13 (permessage-
deflate) 216 more.
"""

from __future__ import annotations


def _run(prefix: str, last: int, first: int = 1) -> list[str]:
    return [f"{prefix}{n}" for n in range(first, last + 1)]


_UTF8_GROUPS = {  # 6.5-6.23: the UTF-8 decoder stress table, group -> rows
    5: 5, 6: 11, 7: 4, 8: 2, 9: 4, 10: 3, 11: 5, 12: 8, 13: 5, 14: 10, 15: 1, 16: 3,
    17: 5, 18: 5, 19: 5, 20: 7, 21: 8, 22: 34, 23: 7,
}

#: Sections 1-10, in Autobahn's order (9.9/9.10 and 7.2/7.4/... never ran in it).
SECTIONS_1_TO_10: tuple[str, ...] = tuple(
    _run("1.1.", 8) + _run("1.2.", 8)
    + _run("2.", 11)
    + _run("3.", 7)
    + _run("4.1.", 5) + _run("4.2.", 5)
    + _run("5.", 20)
    + _run("6.1.", 3) + _run("6.2.", 4) + _run("6.3.", 2) + _run("6.4.", 4)
    + [f"6.{group}.{row}" for group, rows in _UTF8_GROUPS.items() for row in range(1, rows + 1)]
    + _run("7.1.", 6) + _run("7.3.", 6) + _run("7.5.", 1) + _run("7.7.", 13) + _run("7.9.", 9)
    + _run("7.13.", 2)
    + _run("9.1.", 6) + _run("9.2.", 6) + _run("9.3.", 9) + _run("9.4.", 9) + _run("9.5.", 6)
    + _run("9.6.", 6) + _run("9.7.", 6) + _run("9.8.", 6)
    + ["10.1.1"]
)

#: Sections 12-13: permessage-deflate, payload sizes x compressibility (12.x) and
#: parameter combinations (13.x), 18 cases per subsection.
SECTIONS_12_AND_13: tuple[str, ...] = tuple(
    [f"12.{sub}.{n}" for sub in range(1, 6) for n in range(1, 19)]
    + [f"13.{sub}.{n}" for sub in range(1, 8) for n in range(1, 19)]
)
