"""The campaign engine with a stand-in for the target: seeds, budgets, shrinking, the database."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from wsspec.fuzz import strategies as ws
from wsspec.fuzz.campaign import CampaignResult, run_campaign
from wsspec.fuzz.runner import Outcome
from wsspec.fuzz.script import Conversation
from wsspec.fuzz.settings import FuzzOptionError, parse_options
from wsspec.protocol.frames import Opcode
from wsspec.verdicts import CaseRecord, HarnessError, Verdict

STRATEGY = ws.conversations(ws.message_steps())


def record() -> CaseRecord:
    return CaseRecord("fuzz.test", "fuzz", "", "", "", None)


def campaign(play: object, **options: object) -> CampaignResult[Conversation]:
    settings = parse_options(**options)  # type: ignore[arg-type]
    return run_campaign("fuzz.test", STRATEGY, play, settings,  # type: ignore[arg-type]
                        new_record=record)


def has_ping(conversation: Conversation) -> bool:
    return any(frame.opcode == Opcode.PING for frame in conversation.frames)


def test_a_seed_repeats_the_search() -> None:
    seen: list[list[Conversation]] = [[], []]
    for run in seen:
        campaign(lambda c, r, run=run: run.append(c) or Outcome(), examples=15, seed=7)
    assert seen[0] == seen[1] and len(seen[0]) == 15


def test_failure_is_shrunk_and_recorded() -> None:
    def play(conversation: Conversation, rec: CaseRecord) -> Outcome:
        rec.wirelog.event(f"{len(conversation.frames)} frames")
        if has_ping(conversation):
            return Outcome(Verdict.FAIL, "no ping", "a ping")
        return Outcome()

    result = campaign(play, seed=3)
    assert result.failure is not None
    frames = result.failure.example.frames
    assert [f.opcode for f in frames] == [Opcode.PING] and frames[0].payload == b""
    assert result.failure.record.wirelog.entries[-1].data == "1 frames"
    assert result.seed == 3 and result.shrink_runs > 0


def test_the_budget_stops_generation() -> None:
    def slow(conversation: Conversation, rec: CaseRecord) -> Outcome:
        time.sleep(0.05)
        return Outcome()

    started = time.monotonic()
    result = campaign(slow, profile="deep", budget="0.5")
    assert time.monotonic() - started < 3
    assert 1 <= result.examples < 40 and result.failure is None


def test_non_strict_examples_are_kept() -> None:
    result = campaign(lambda c, r: Outcome(Verdict.NON_STRICT, "", "", ["late"]), examples=5)
    assert result.non_strict is not None and result.failure is None


def test_informational_examples_are_kept_not_shrunk() -> None:
    result = campaign(lambda c, r: Outcome(Verdict.INFORMATIONAL, "", "", ["5000 got 1000"]),
                      examples=5)
    assert result.informational is not None and result.failure is None
    assert result.non_strict is None and result.shrink_runs == 0


def test_an_unreachable_target_is_an_error() -> None:
    def down(conversation: Conversation, rec: CaseRecord) -> Outcome:
        raise HarnessError("cannot connect")

    with pytest.raises(HarnessError, match="cannot connect"):
        campaign(down, examples=5)


def test_the_database_replays_a_failure_first(tmp_path: Path) -> None:
    def play(conversation: Conversation, rec: CaseRecord) -> Outcome:
        # common enough that a random search of the dev profile always meets it
        failing = any(f.opcode == Opcode.BINARY and f.payload for f in conversation.frames)
        return Outcome(Verdict.FAIL, "", "") if failing else Outcome()

    first = campaign(play, profile="dev", database=str(tmp_path))
    assert first.failure is not None and first.seed is None
    again = campaign(play, profile="dev", database=str(tmp_path))
    assert again.failure is not None and again.examples == 1


def test_options_are_validated() -> None:
    with pytest.raises(FuzzOptionError, match="--fuzz-examples"):
        parse_options(examples="many")
    with pytest.raises(FuzzOptionError, match="--fuzz-budget"):
        parse_options(budget="-1")
    with pytest.raises(FuzzOptionError, match="--fuzz-seed"):
        parse_options(seed="x")
    settings = parse_options(profile="deep", examples="10", seed="5")
    assert (settings.max_examples, settings.seed, settings.profile.name) == (10, 5, "deep")
