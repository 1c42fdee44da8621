"""The client catalogue against its promises: ids and metadata well formed, every one of
Autobahn|Testsuite's client-mode cases claimed (sections 1-10, and 12-13: permessage-deflate)."""

from __future__ import annotations

import re

import pytest
from wsspec.cases import CaseInfo
from wsspec.reporting.autobahn_cases import SECTIONS_1_TO_10, SECTIONS_12_AND_13

from .helpers import client_cases


@pytest.fixture(scope="module")
def cases() -> list[CaseInfo]:
    return [info for info, _ in client_cases().values()]


def test_every_autobahn_case_of_sections_1_to_10_is_claimed(cases: list[CaseInfo]) -> None:
    claimed = {info.autobahn for info in cases}
    assert not [case_id for case_id in SECTIONS_1_TO_10 if case_id not in claimed]


def test_the_large_message_cases_are_slow(cases: list[CaseInfo]) -> None:
    assert {info.id for info in cases if info.slow} == {
        info.id for info in cases if (info.autobahn or "").startswith("9.")}


def test_every_autobahn_case_of_sections_12_and_13_is_claimed(cases: list[CaseInfo]) -> None:
    claimed = {info.autobahn for info in cases}
    assert not [case_id for case_id in SECTIONS_12_AND_13 if case_id not in claimed]


def test_claims_name_real_autobahn_cases_once(cases: list[CaseInfo]) -> None:
    known = set(SECTIONS_1_TO_10) | set(SECTIONS_12_AND_13)
    claims = [info.autobahn for info in cases if info.autobahn]
    assert set(claims) <= known
    assert len(claims) == len(set(claims)), "an Autobahn case claimed twice"


def test_every_client_case_states_its_rule(cases: list[CaseInfo]) -> None:
    rule = re.compile(r"^RFC[0-9]{4} [0-9.]+ (MUST|MUST NOT|SHOULD|SHOULD NOT|MAY|informational)$")
    assert len(cases) >= 250
    for info in cases:
        assert re.fullmatch(r"client(\.[A-Za-z0-9_+\-]+)+", info.id), info.id
        assert info.section == info.id.split(".")[1]
        assert rule.match(info.rfc), (info.id, info.rfc)
        assert info.title and info.requirement.endswith("."), info.id
