"""Running a fuzz campaign as one conformance case of the ``fuzz`` section.

A fuzz case is a plain (synchronous) pytest function taking the session's
``wsspec_target`` and ``request``; :func:`run_fuzz_case` runs the campaign
inside it and turns the result into the case's verdict and record: the
observed text shows the shrunk example as frames and hex, the wire log is the
one of the shrunk example's last play, and a replay file is written into
``<report-dir>/fuzz/``, with the command that replays it in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from wsspec.dsl import Target
from wsspec.protocol.frames import Opcode, encode_frame
from wsspec.verdicts import CaseFailed, CaseRecord, Verdict

from .campaign import CampaignResult, run_campaign
from .replay import Example, replay_command, write_replay
from .runner import SYNC_MASK, Outcome, play_example
from .script import Conversation
from .settings import FuzzOptionError, FuzzSettings, read_fuzz_settings

__all__ = ["run_fuzz_case"]

#: At most this many lines of the shrunk example go into a failure message.
_DESCRIBE_LINES = 60


def fuzz_settings(config: pytest.Config) -> FuzzSettings:
    """The run's fuzz options, validated (``pytest.UsageError`` names a bad one)."""
    from wsspec.options import option_value

    try:
        return read_fuzz_settings(lambda name: option_value(config, name))
    except FuzzOptionError as exc:
        raise pytest.UsageError(str(exc)) from None


def _target_description(config: pytest.Config, target: Target) -> dict[str, Any]:
    from wsspec.runstate import SETTINGS_KEY

    settings = config.stash[SETTINGS_KEY]
    profile_path = settings.profile_path
    return {
        "url": target.url,
        "reference": settings.uses_reference,
        "target_cmd": settings.target_cmd,
        "url_template": settings.target or settings.profile.url,
        "profile_path": str(Path(profile_path).resolve()) if profile_path else None,
        "driver": target.driver,
        "timeout": target.timeout,
    }


def _play(target: Target, example: Example, record: CaseRecord) -> Outcome:
    return play_example(target, record, example)


def run_fuzz_case(
    request: pytest.FixtureRequest,
    target: Target,
    strategy: Any,
    *,
    what: str,
) -> CampaignResult[Any]:
    """Run a campaign of examples from ``strategy`` against ``target`` as the current case.

    ``what`` names what is generated ("conversations of valid messages"), for
    the report. Raises :class:`~wsspec.verdicts.CaseFailed` with the shrunk
    example when one deviates from the oracle.
    """
    from wsspec.runstate import RECORD_KEY, SETTINGS_KEY

    config = request.config
    settings = fuzz_settings(config)
    record: CaseRecord = request.node.stash[RECORD_KEY]

    def new_record() -> CaseRecord:
        return CaseRecord(record.id, record.section, record.title, record.rfc,
                          record.requirement, record.autobahn)

    result: CampaignResult[Any] = run_campaign(
        record.id, strategy, lambda example, rec: _play(target, example, rec), settings,
        new_record=new_record)
    expected = f"every reaction of the target as the oracle predicts, for {what}"
    if result.failure is not None:
        failure = result.failure
        report_dir = config.stash[SETTINGS_KEY].report_dir
        path = write_replay(report_dir, record.id, failure.example, failure.outcome,
                            failure.record, target=_target_description(config, target),
                            seed=result.seed, summary=result.summary())
        record.wirelog = failure.record.wirelog
        raise CaseFailed(failure.outcome.expected,
                         _failure_text(failure.example, failure.outcome, result, path))
    record.observe(expected, f"no deviation in {result.summary()} ({settings.describe()}); "
                   f"{result.judged} verdicts confirmed by the independent judge")
    # Like a catalogue case, the campaign takes the worst of what it met.
    for verdict, finding in ((Verdict.NON_STRICT, result.non_strict),
                             (Verdict.INFORMATIONAL, result.informational)):
        if finding is not None:
            record.downgrade(verdict, "; ".join(finding.outcome.notes)
                             + f" (first example: {_short(finding.example)})")
    return result


def _short(example: Example) -> str:
    if isinstance(example, Conversation):
        frames = [frame.describe() for frame in example.frames]
        return "; ".join(frames[:8]) + (" …" if len(frames) > 8 else "")
    return "mutations: " + (", ".join(example.mutations) or "none")


def _failure_text(example: Example, outcome: Outcome, result: CampaignResult[Any],
                  path: Path) -> str:
    size = (f"{len(example.frames)} frames in {len(example.steps)} steps"
            if isinstance(example, Conversation) else "one handshake request")
    lines = [outcome.observed, "", f"rule: {outcome.rule}", "",
             f"shrunk example ({size}; found after {result.summary()}"
             + (", not reproducible every time" if result.flaky else "") + "):"]
    lines += ["  " + line for line in _limited(example.describe())]
    if isinstance(example, Conversation):
        sync = encode_frame(Opcode.PING, b"wsspec-sync-1", mask_key=SYNC_MASK)
        lines.append("  after each step that leaves the connection open, the fuzzer's own PING "
                     f"'wsspec-sync-<step>' ({sync[:6].hex(' ')} …), and waits for its pong")
    lines += ["", f"replay: {replay_command(path)}"]
    if result.seed is not None:
        lines.append(f"or rerun the search: --fuzz-seed={result.seed}")
    return "\n".join(lines)


def _limited(lines: list[str]) -> list[str]:
    if len(lines) <= _DESCRIBE_LINES:
        return lines
    return [*lines[:_DESCRIBE_LINES], f"… {len(lines) - _DESCRIBE_LINES} more lines"]

