"""The catalogue against its promises: every Autobahn|Testsuite case of sections 1-10
claimed, at least as many cases as Autobahn has there, ids and metadata well formed."""

from __future__ import annotations

import re

import pytest
from wsspec.casedocs import collect_cases
from wsspec.cases import CaseInfo
from wsspec.conformance.test_handshake import MALFORMED_EXTENSIONS
from wsspec.protocol.errors import HandshakeViolation
from wsspec.protocol.handshake import parse_extension_header
from wsspec.reporting.autobahn_cases import SECTIONS_1_TO_10, SECTIONS_12_AND_13
from wsspec.rfc_clauses import citation_problem


@pytest.fixture(scope="module")
def cases() -> list[CaseInfo]:
    return collect_cases()


def test_every_autobahn_case_of_sections_1_to_10_is_claimed(cases: list[CaseInfo]) -> None:
    claimed = {info.autobahn for info in cases}
    missing = [case_id for case_id in SECTIONS_1_TO_10 if case_id not in claimed]
    assert not missing, f"unclaimed Autobahn cases: {missing}"


def test_every_autobahn_case_of_sections_12_and_13_is_claimed(cases: list[CaseInfo]) -> None:
    claimed = {info.autobahn for info in cases}
    missing = [case_id for case_id in SECTIONS_12_AND_13 if case_id not in claimed]
    assert not missing, f"unclaimed Autobahn cases: {missing}"


def test_claims_name_real_autobahn_cases(cases: list[CaseInfo]) -> None:
    known = set(SECTIONS_1_TO_10) | set(SECTIONS_12_AND_13)
    bogus = {i.autobahn for i in cases if i.autobahn and i.autobahn not in known}
    assert not bogus


def test_sections_1_to_10_have_at_least_as_many_cases_as_autobahn(
        cases: list[CaseInfo]) -> None:
    protocol = {"framing", "ping", "rsv", "opcodes", "fragmentation", "utf8", "close",
                "limits", "misc"}
    assert sum(1 for info in cases if info.section in protocol) >= len(SECTIONS_1_TO_10) == 301


def test_every_case_states_its_rule(cases: list[CaseInfo]) -> None:
    for info in cases:
        assert re.fullmatch(r"[a-z0-9]+(\.[A-Za-z0-9_+\-]+)+", info.id), info.id
        assert citation_problem(info.rfc) is None, (info.id, info.rfc)
        assert info.title and info.requirement.rstrip(")").endswith("."), info.id


@pytest.mark.parametrize(("variant", "value"), MALFORMED_EXTENSIONS)
def test_malformed_extension_values_break_the_grammar(variant: str, value: str) -> None:
    # handshake.extensions.malformed.* would grade a refusal of a valid value as right
    with pytest.raises(HandshakeViolation, match=r"§9\.1"):
        parse_extension_header([value])
