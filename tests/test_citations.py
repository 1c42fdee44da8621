"""Every case cites a rule that exists: a clause of the RFC with the requirement
word it uses, or a policy of the target profile (:mod:`wsspec.rfc_clauses`)."""

from __future__ import annotations

import pytest
from wsspec.casedocs import collect_cases
from wsspec.rfc_clauses import citation_problem


def test_every_case_cites_an_existing_clause_or_profile_key() -> None:
    problems = {case.id: citation_problem(case.rfc) for case in collect_cases()}
    wrong = {case: problem for case, problem in problems.items() if problem}
    assert not wrong, wrong


@pytest.mark.parametrize(("rfc", "problem"), [
    ("RFC6455 5.2 MUST", None),
    ("RFC6455 11.3.1 MUST NOT", None),
    ("profile [limits]", None),
    ("RFC6455 4.2.1 informational", None),
    ("RFC6455 11.3.1 MUST", "says MUST NOT, not MUST"),
    ("RFC6455 5.5.2 MAY", None),
    ("RFC6455 10.2 MUST", "says SHOULD, not MUST"),
    ("RFC6455 4.2.9 MUST", "not a clause"),
    ("RFC7692 7.2.3.2 MUST", "not a clause"),
    ("profile [bogus]", "no 'bogus'"),
    ("see the RFC", "neither"),
])
def test_citations_are_checked(rfc: str, problem: str | None) -> None:
    found = citation_problem(rfc)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
