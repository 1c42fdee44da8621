"""A fuzz campaign: Hypothesis generating examples, each played against the live target.

Theory of operation
-------------------
The Hypothesis engine runs synchronously inside one case; each example opens
its own connections on a fresh event loop of the run's driver
(:func:`wsspec.fuzz.runner.run_example`), with its own
:class:`~wsspec.verdicts.CaseRecord`, so nothing function-scoped is shared
between examples.

Hypothesis has example counts but no wall clock, so the budget is checked
before each example; once it is spent, the test raises an exception that is
not an ``Exception`` (so the engine neither shrinks nor retries it) and the
run ends at once. A campaign is a series of Hypothesis runs ("rounds") of at
most ``round_size`` examples, which bounds what the engine keeps in memory.
Rounds of a seeded campaign (``--fuzz-seed``, or the derandomized ``ci``
profile) are seeded ``seed``, ``seed + 1`` …, so the whole search repeats
exactly; random campaigns may use an example database, which Hypothesis
replays first, so a failure found once is tried first next time.

Shrinking runs against the target too, under its own wall-clock budget. Once
that is spent, only examples already seen failing are played again (the
engine re-runs its best one at the end); every other candidate counts as
passing, which ends the shrink quickly. A last pass of its own then leaves
whole steps and frames out of the shrunk conversation while it still fails:
edits of the conversation that are not always edits of the choices it was
drawn from.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from wsspec.verdicts import CaseRecord, HarnessError, Verdict

from .runner import Outcome
from .script import Conversation
from .settings import FuzzSettings, example_database, hypothesis_settings

__all__ = ["CampaignResult", "Finding", "run_campaign"]

E = TypeVar("E", bound=Hashable)


@dataclass
class Finding(Generic[E]):
    """An example and what playing it gave, with the wire log of that play."""

    example: E
    outcome: Outcome
    record: CaseRecord


@dataclass
class CampaignResult(Generic[E]):
    """What a campaign did: how many examples, how long, and what it found."""

    examples: int = 0
    shrink_runs: int = 0
    #: Examples whose verdict the independent judge confirmed (every one played).
    judged: int = 0
    elapsed: float = 0.0
    seed: int | None = None
    failure: Finding[E] | None = None
    #: The failure did not reproduce every time it was played.
    flaky: bool = False
    #: The first example graded non-strict, and the first graded informational:
    #: neither is a failure, so neither is shrunk.
    non_strict: Finding[E] | None = None
    informational: Finding[E] | None = None

    def summary(self) -> str:
        seed = f", seed {self.seed}" if self.seed is not None else ""
        shrink = f" and {self.shrink_runs} while shrinking" if self.shrink_runs else ""
        return f"{self.examples} examples{shrink} in {self.elapsed:.1f} s{seed}"


class _ExampleFailed(Exception):
    """Raised inside the Hypothesis test so that the engine shrinks the example."""


class _Stop(BaseException):
    """Raised inside the Hypothesis test to end the run at once (budget spent, target
    unreachable): not an ``Exception``, so the engine neither shrinks nor retries it."""


@dataclass
class _State(Generic[E]):
    result: CampaignResult[E]
    deadline: float
    shrink_deadline: float | None = None
    failing: set[E] = field(default_factory=set)
    last: Finding[E] | None = None
    error: HarnessError | None = None


def _seed_base(case_id: str, settings: FuzzSettings) -> int | None:
    if settings.seed is not None:
        return settings.seed
    if settings.derandomize:
        return zlib.crc32(case_id.encode("utf-8"))
    return None


#: Plays the final shrink pass may take.
_REDUCE_PLAYS = 80


def _reduce(found: Finding[Conversation], play: Callable[[Conversation, CaseRecord], Outcome],
            new_record: Callable[[], CaseRecord], result: CampaignResult[Any],
            deadline: float) -> Finding[Conversation]:
    """Leave out steps and frames of the shrunk conversation while it still fails.

    Hypothesis shrinks the choices a conversation was drawn from; an edit of the
    conversation itself (a whole step out) is sometimes not among the edits it
    tries, so this pass tries those too, bounded in plays and time.
    """
    plays = 0
    improved = True
    while improved:
        improved = False
        for candidate in found.example.smaller():
            if plays >= _REDUCE_PLAYS or time.monotonic() > deadline:
                return found
            plays += 1
            result.shrink_runs += 1
            record = new_record()
            outcome = play(candidate, record)
            if outcome.failed:
                found = Finding(candidate, outcome, record)
                improved = True
                break
    return found


def run_campaign(
    case_id: str,
    strategy: Any,
    play: Callable[[E, CaseRecord], Outcome],
    settings: FuzzSettings,
    *,
    new_record: Callable[[], CaseRecord],
) -> CampaignResult[E]:
    """Generate examples from ``strategy`` and ``play`` each, until a failure
    (then shrunk), ``settings.max_examples`` or ``settings.budget`` seconds.

    ``play`` must be deterministic in its example up to the target's own
    behaviour; ``new_record`` makes the record each play writes its wire log to.
    Raises :class:`~wsspec.verdicts.HarnessError` when the target cannot be
    reached.
    """
    from hypothesis import given, seed
    from hypothesis import settings as hsettings
    from hypothesis.errors import Flaky, Unsatisfiable

    started = time.monotonic()
    base = _seed_base(case_id, settings)
    result: CampaignResult[E] = CampaignResult(seed=base)
    state: _State[E] = _State(result, started + settings.budget)
    database = None
    if settings.database is not None and base is None:
        database = example_database(settings.database)
    parent = hypothesis_settings(settings.profile)

    def check(example: E) -> None:
        now = time.monotonic()
        if state.shrink_deadline is not None:
            if now > state.shrink_deadline and example not in state.failing:
                return
            result.shrink_runs += 1
        elif now > state.deadline or result.examples >= settings.max_examples:
            raise _Stop
        else:
            result.examples += 1
        record = new_record()
        try:
            outcome = play(example, record)
        except HarnessError as exc:
            state.error = exc
            raise _Stop from None
        if outcome.judgement is not None:
            result.judged += 1
        finding = Finding(example, outcome, record)
        if outcome.failed:
            state.failing.add(example)
            state.last = finding
            if state.shrink_deadline is None:
                state.shrink_deadline = time.monotonic() + settings.profile.shrink_budget
            raise _ExampleFailed(outcome.observed)
        if outcome.verdict is Verdict.NON_STRICT and result.non_strict is None:
            result.non_strict = finding
        if outcome.verdict is Verdict.INFORMATIONAL and result.informational is None:
            result.informational = finding

    round_number = 0
    while (result.examples < settings.max_examples and time.monotonic() < state.deadline
           and state.error is None):
        size = min(settings.profile.round_size, settings.max_examples - result.examples)
        generate: Any = given(strategy)
        test: Any = generate(check)
        test = hsettings(parent, max_examples=size, derandomize=False, database=database)(test)
        if base is not None:
            test = seed(base + round_number)(test)
        # One database key per case: every case runs this same function.
        test.hypothesis.inner_test._hypothesis_internal_add_digest = case_id.encode("utf-8")
        before = result.examples
        try:
            test()
        except _ExampleFailed:
            result.failure = state.last
        except Flaky:
            result.failure, result.flaky = state.last, True
        except (_Stop, Unsatisfiable):
            pass
        if result.failure is not None or result.examples == before:
            break
        round_number += 1
    if result.failure is None and state.last is not None:
        result.failure = state.last  # the run stopped while shrinking
    if result.failure is not None and isinstance(result.failure.example, Conversation):
        reduced = _reduce(cast(Finding[Conversation], result.failure),
                          cast(Callable[[Conversation, CaseRecord], Outcome], play),
                          new_record, result, time.monotonic() + settings.profile.shrink_budget / 2)
        result.failure = cast(Finding[E], reduced)
    result.elapsed = time.monotonic() - started
    if state.error is not None and result.failure is None:
        raise state.error
    return result
