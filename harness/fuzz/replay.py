"""Replay files: a fuzz failure written down, and played again from a fresh process.

A failing fuzz case writes ``<report-dir>/fuzz/<case id>-<n>.json`` holding the
shrunk example (every frame with its mask key, every TCP write as hex), the
exact handshake request, what the oracle expected and what the target did,
and how to reach the target again (its URL, the ``--target-cmd`` that started
it, the profile). ``wsspec replay FILE`` plays the example again on the same
bytes and says whether the failure reproduces::

    wsspec replay reports/fuzz/fuzz.frames-1.json
    wsspec replay reports/fuzz/fuzz.frames-1.json --target ws://127.0.0.1:9001/
    wsspec replay reports/fuzz/fuzz.frames-1.json --target-cmd "./server {port}"

Exit status: 1 when the failure reproduces, 0 when the target now passes,
2 when the file or an option is bad or the target cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wsspec.driver import DRIVER_NAMES
from wsspec.verdicts import CaseRecord, HarnessError, Verdict
from wsspec.wirelog import WireLog

from .runner import Outcome, play_example
from .script import Conversation, HandshakeProbe

__all__ = ["FORMAT", "Example", "load_example", "main", "replay_command", "write_replay"]

#: The ``format`` field of a replay file.
FORMAT = "wsspec-fuzz-replay/1"

Example = Conversation | HandshakeProbe


def sent_writes(wirelog: WireLog) -> list[dict[str, Any]]:
    """Every write the client made, as the wire log kept it (hex, length)."""
    return [dict(e.data) for e in wirelog.entries if e.kind == "bytes" and e.dir == "out"]


def _handshake_bytes(wirelog: WireLog) -> bytes | None:
    writes = sent_writes(wirelog)
    if not writes or writes[0].get("truncated"):
        return None
    return bytes.fromhex(writes[0]["hex"])


def write_replay(
    folder: Path,
    case_id: str,
    example: Example,
    outcome: Outcome,
    record: CaseRecord,
    *,
    target: dict[str, Any],
    seed: int | None,
    summary: str,
) -> Path:
    """Write the replay file of a failure into ``folder``/fuzz; return its path.

    ``target`` says how to reach the target again: ``url``, ``target_cmd``
    (with ``{port}``), ``profile_path``, ``driver``, ``timeout``, ``reference``.
    """
    directory = folder / "fuzz"
    directory.mkdir(parents=True, exist_ok=True)
    number = 1
    while (directory / f"{case_id}-{number}.json").exists():
        number += 1
    path = directory / f"{case_id}-{number}.json"
    handshake = _handshake_bytes(record.wirelog) if isinstance(example, Conversation) else None
    document = {
        "format": FORMAT,
        "case": case_id,
        "kind": "conversation" if isinstance(example, Conversation) else "handshake",
        "example": example.to_dict(),
        "handshake_hex": handshake.hex() if handshake is not None else None,
        "expected": outcome.expected,
        "observed": outcome.observed,
        "seed": seed,
        "campaign": summary,
        "target": target,
        "wire_out": sent_writes(record.wirelog),
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return path


def replay_command(path: Path) -> str:
    """The command that replays ``path``, relative to the working directory when inside it."""
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path.resolve()
    return f"wsspec replay {shlex.quote(str(shown))}"


def load_example(document: dict[str, Any]) -> Example:
    """The example of a replay file (``ValueError`` when it is not one)."""
    if document.get("format") != FORMAT:
        raise ValueError(f"not a wsspec fuzz replay file (format {document.get('format')!r})")
    data = document.get("example")
    if not isinstance(data, dict):
        raise ValueError("the replay file has no example")
    if document.get("kind") == "handshake":
        return HandshakeProbe.from_dict(data)
    return Conversation.from_dict(data)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsspec replay",
        description="Play a fuzz failure again, byte for byte, and say whether it reproduces.")
    parser.add_argument("file", metavar="FILE", help="a replay file (reports/fuzz/*.json)")
    parser.add_argument("--target", metavar="URL",
                        help="the target's URL (default: the one in the file)")
    parser.add_argument("--target-cmd", metavar="CMD",
                        help="start the target with CMD ({port} is a free port)")
    parser.add_argument("--profile", metavar="FILE", help="the target profile (TOML)")
    parser.add_argument("--driver", metavar="NAME", choices=DRIVER_NAMES,
                        help=f"the I/O driver: {' or '.join(DRIVER_NAMES)} (default: as recorded)")
    parser.add_argument("--timeout", metavar="S", type=float,
                        help="seconds each wait may take (default: as recorded)")
    return parser


def _say(text: str) -> None:
    print(text, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``wsspec replay FILE [options]``; returns the exit status (see the module docstring)."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
        example = load_example(document)
    except (OSError, ValueError) as exc:
        print(f"wsspec replay: {args.file}: {exc}", file=sys.stderr)
        return 2
    recorded: dict[str, Any] = document.get("target") or {}
    try:
        return _replay(args, document, example, recorded)
    except (HarnessError, ValueError) as exc:
        print(f"wsspec replay: {exc}", file=sys.stderr)
        return 2


def _replay(args: argparse.Namespace, document: dict[str, Any], example: Example,
            recorded: dict[str, Any]) -> int:
    from wsspec.dsl import Target
    from wsspec.launcher import LaunchError, launch
    from wsspec.profile import ProfileError, TargetProfile, load_profile

    profile_path = args.profile or recorded.get("profile_path")
    try:
        profile = load_profile(profile_path) if profile_path else TargetProfile()
    except ProfileError as exc:
        raise ValueError(str(exc)) from None
    command = args.target_cmd or (None if args.target else recorded.get("target_cmd"))
    launched = None
    running = None
    url = args.target
    try:
        if command:
            try:
                launched = launch(command, recorded.get("url_template") if not args.target_cmd
                                  else None)
            except LaunchError as exc:
                raise HarnessError(str(exc)) from None
            url = launched.url
        elif url is None and recorded.get("reference"):
            from wsspec.targets.reference import run_in_thread

            running = run_in_thread(profile)
            url = running.url
        elif url is None:
            url = recorded.get("url")
        if not url:
            raise ValueError("the file names no target: give --target or --target-cmd")
        target = Target(url=url, profile=profile,
                        driver=args.driver or recorded.get("driver") or "asyncio",
                        timeout=args.timeout or float(recorded.get("timeout") or 5.0))
        return _play(target, document, example, command)
    finally:
        if launched is not None:
            launched.stop()
        if running is not None:
            running.stop()


def _play(target: Any, document: dict[str, Any], example: Example, command: str | None) -> int:
    from wsspec.protocol.handshake import RequestParser

    case_id = str(document.get("case", "fuzz"))
    record = CaseRecord(case_id, "fuzz", "replay", "", "", None)
    _say(f"replaying {case_id} against {target.url}" + (f" (started: {command})"
                                                        if command else ""))
    for line in example.describe():
        _say("  " + line)
    request = None
    if isinstance(example, Conversation) and document.get("handshake_hex"):
        request = RequestParser().feed(bytes.fromhex(document["handshake_hex"]))
    outcome = play_example(target, record, example, request=request)
    _say("wire log:")
    for line in record.wirelog.tail(200):
        _say("  " + line)
    sent = sent_writes(record.wirelog)
    if sent == document.get("wire_out"):
        _say(f"bytes sent: {len(sent)} writes, identical to the recorded run")
    else:
        _say("bytes sent: differ from the recorded run (the target answered differently, so "
             "the conversation took another path)")
    _say(f"expected: {outcome.expected}")
    _say(f"observed: {outcome.observed}")
    for note in outcome.notes:
        _say(f"note: {note}")
    if outcome.judgement is not None:
        _say(f"independent judge: {outcome.judgement.grade} (it agrees)")
    if outcome.verdict is Verdict.FAIL:
        _say(f"verdict: fail (reproduced; recorded: {document.get('observed', '')})")
        return 1
    _say(f"verdict: {outcome.verdict.value} (the recorded failure did not reproduce)")
    return 0
