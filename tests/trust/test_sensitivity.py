"""Every deliberately faulty server is caught by the cases that check the rule it
breaks, and by no others.

Each run starts the reference server with one or more faults of
:data:`wsspec.targets.faulty.FAULTS` (``python -m wsspec.targets.reference --fault NAME``) and
runs the sections where the fault shows, plus sections it must leave alone, in a
child process (``--case-timeout=1``, no ``slow`` cases). For every fault of the
run, each case matching its ``catches`` patterns must get the expected verdict
(``fail``, or ``non-strict`` for a fault that only breaks a SHOULD); and no case
outside every fault's ``catches`` and ``also`` patterns may fail, error or be
non-strict. Faults that cannot disturb each other's cases share a run, so the
whole family costs a few runs. ``docs/kill-matrix.md`` (``scripts/kill_matrix.py``)
is the complete picture, every fault against the whole catalogue; this test is
the guard that keeps each fault's expected catches true.

Patterns are :mod:`fnmatch` patterns on case ids (``ping.pong.*``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, load_script
from wsspec.targets.faulty import FAULTS

km = load_script("kill_matrix")


@dataclass(frozen=True)
class Caught:
    """What one fault does to the cases of its run."""

    #: every case of the run matching one of these gets ``verdict``
    catches: tuple[str, ...]
    verdict: str = "fail"
    #: cases that may catch it too (any catching verdict), e.g. because they meet the
    #: broken rule on their way to checking another
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Run:
    """One run of the suite against the reference server with ``faults``."""

    faults: dict[str, Caught]
    markers: str
    keywords: str | None = None
    profile: Path = km.PROFILE

    @property
    def name(self) -> str:
        return "+".join(self.faults)


FULL = REPO / "tests" / "policies" / "profiles" / "full.toml"
PARTIAL = REPO / "tests" / "policies" / "profiles" / "partial.toml"
#: the cases a server answering close frames must get right (RFC 6455 5.5.1).
CLOSE_ANSWERED = ("close.after.*", "close.code.valid-*", "close.normal.*", "close.order.*",
                  "close.payload.code-*", "close.payload.empty", "close.payload.reason-123-bytes",
                  "close.payload.reason-utf8", "close.tcp.*")
#: the UTF-8 cases whose text is not valid UTF-8 (RFC 6455 8.1): each must fail.
INVALID_UTF8 = ("utf8.fail-fast.*", "utf8.first-of-length-5-6.*", "utf8.impossible-bytes.*",
                "utf8.incomplete-concatenated.*", "utf8.invalid-fragmented.*",
                "utf8.last-of-length-4-6.*", "utf8.lonely-start.*", "utf8.missing-last-byte.*",
                "utf8.overlong-*", "utf8.paired-surrogates.*", "utf8.single-surrogate.*",
                "utf8.unexpected-continuation.*", "utf8.boundary.5.*",
                *(f"utf8.kosme-prefix.{n}.*" for n in (1, 3, 4, 6, 8, 10)))
#: the messages echoed in more than one 4 KiB frame.
LONG_ECHOES = ("framing.size.*.6553[5-7].*", "framing.size.*.1048576.*", "misc.auto-fragment.*",
               "misc.fragment-size.*.1[0-9]*", "misc.fragment-size.*.6*")

RUNS: list[Run] = [
    # -- the opening handshake: the 101 itself (every case opening a connection fails)
    Run({"bad-accept": Caught(("handshake.accept.*",), also=("handshake.*",))}, "handshake"),
    Run({"no-upgrade-header": Caught(("handshake.accept.*",), also=("handshake.*",))},
        "handshake"),
    # requests that must be refused, each fault accepting one kind: one run for the four
    Run({"no-426-version-header": Caught(("handshake.version.wrong.*",)),
         "accept-any-key": Caught(("handshake.key.*",)),
         "accept-http10": Caught(("handshake.http_version.*",)),
         "accept-post": Caught(("handshake.method.*",))}, "handshake"),
    # -- the server's frames: every frame the client parses is checked
    Run({"masked-frames": Caught(("ping.*",))}, "ping"),
    Run({"rsv-set": Caught(("ping.*",))}, "ping"),
    Run({"non-minimal-length": Caught(("ping.*",))}, "ping"),
    Run({"echo-fragmented-wrongly": Caught(LONG_ECHOES)}, "framing or misc"),
    # -- echoes
    Run({"binary-as-text": Caught(("framing.echo.binary", "framing.size.binary.*"))}, "framing"),
    Run({"corrupt-echo": Caught(("framing.echo.*", "framing.size.*"))}, "framing"),
    Run({"no-echo": Caught(("framing.echo.*",))}, "framing", keywords="framing.echo"),
    # -- pings
    Run({"no-pong": Caught(("ping.pong.*", "ping.unsolicited-pong.*",
                            "fragmentation.ping-between.*", "fragmentation.pings-between.*"))},
        "ping or fragmentation"),
    Run({"pong-wrong-payload": Caught(("ping.pong.*", "ping.unsolicited-pong.*",
                                       "fragmentation.ping-between.*",
                                       "fragmentation.pings-between.*"))},
        "ping or fragmentation"),
    Run({"accept-oversize-control": Caught(("ping.too-long.*",
                                            "close.payload.reason-124-bytes"))},
        "ping or close"),
    # -- frames a server must refuse
    Run({"accept-unmasked": Caught(("framing.unmasked.*",))}, "framing"),
    Run({"accept-reserved-opcode": Caught(("opcodes.reserved.*",))}, "opcodes"),
    Run({"accept-rsv1": Caught(("rsv.rsv1.*",))}, "rsv"),
    Run({"accept-continuation-without-start": Caught((
        "fragmentation.stray-continuation.set.*",
        "fragmentation.stray-continuation-repeated.set"))}, "fragmentation"),
    Run({"accept-interleaved-messages": Caught(("fragmentation.new-message-mid-message.*",))},
        "fragmentation"),
    Run({"accept-control-fragmented": Caught(("fragmentation.control-fragmented.close",
                                              "fragmentation.control-fragmented.ping"))},
        "fragmentation"),
    # -- UTF-8
    Run({"ignore-utf8": Caught(INVALID_UTF8)}, "utf8"),
    Run({"no-fail-fast-utf8": Caught(("utf8.fail-fast.*",), verdict="non-strict")}, "utf8"),
    # -- the closing handshake
    Run({"no-close-reply": Caught(("close.normal.*", "close.payload.code-*", "close.payload.empty",
                                   "close.payload.reason-123-bytes", "close.payload.reason-utf8",
                                   "close.tcp.*"))},
        "close", keywords="close.normal or close.payload or close.tcp"),
    Run({"close-1005-on-wire": Caught(CLOSE_ANSWERED)}, "close"),
    Run({"close-echo-wrong-code": Caught(
        ("close.after.*", "close.code.valid-1000", "close.code.valid-100[2-9]",
         "close.code.valid-101?", "close.code.valid-[34]*", "close.normal.*", "close.order.*",
         "close.payload.code-*", "close.payload.reason-123-bytes", "close.payload.reason-utf8"),
        verdict="non-strict")}, "close"),
    Run({"no-tcp-close-after-close": Caught(("close.normal.*", "close.tcp.*",
                                             "close.payload.empty", "close.payload.one-byte"))},
        "close", keywords="close.normal or close.tcp or close.payload.empty or "
                          "close.payload.one-byte"),
    # a connection the server fails: the close frame first (SHOULD), a UTF-8 reason (MUST)
    Run({"fail-without-close-frame": Caught(("rsv.*",), verdict="non-strict")}, "rsv"),
    Run({"close-reason-not-utf8": Caught(("rsv.*",))}, "rsv"),
    # -- policies (reference profile unless said)
    Run({"auth-bypass-no-credentials": Caught((
        "auth.missing.*", "auth.misformatted.jwt-word", "auth.misformatted.no-word",
        "auth.misformatted.offer-without-marker", "auth.misformatted.token-word"))}, "auth"),
    Run({"auth-expired-accepted": Caught(("auth.jwt.expired.*",))}, "auth"),
    Run({"auth-alg-none-accepted": Caught(("auth.jwt.alg-none.*",))}, "auth"),
    Run({"auth-bad-signature-accepted": Caught(("auth.jwt.other-secret.*",
                                                "auth.token.altered.*"))}, "auth"),
    # the first declared scheme carries every case's credentials: query, in this profile
    Run({"auth-header-token-refused": Caught(("auth.bearer.*", "auth.valid.bearer"))}, "auth",
        profile=FULL),
    Run({"origin-any-accepted": Caught(("origin.lookalike.*", "origin.refused.*"))}, "origin"),
    Run({"subprotocol-first-header-only": Caught(("subprotocol.split.unknown-then-declared",))},
        "subprotocol"),
    Run({"subprotocol-requirement-ignored": Caught(("subprotocol.required.*",))}, "subprotocol",
        profile=PARTIAL),
    Run({"heartbeat-no-pings": Caught(("heartbeat.ping.*", "heartbeat.drop.*"))}, "heartbeat",
        profile=FULL),
    Run({"heartbeat-never-drops": Caught(("heartbeat.drop.*",))}, "heartbeat", profile=FULL),
    Run({"heartbeat-drops-answering": Caught(("heartbeat.keepalive.*",))}, "heartbeat",
        profile=FULL),
    Run({"limit-ignored": Caught(("limits.policy.over.*",))}, "limits",
        keywords="limits.policy and not handshake-timeout"),
    Run({"limit-wrong-close-code": Caught(("limits.policy.over.*", "limits.policy.huge-frame"))},
        "limits", keywords="limits.policy and not handshake-timeout"),
    Run({"handshake-timeout-ignored": Caught(("limits.policy.handshake-timeout.*",))}, "limits",
        keywords="handshake-timeout"),
    # -- permessage-deflate
    Run({"deflate-context-takeover": Caught(("deflate.server-no-context-takeover.*",))},
        "deflate", keywords="deflate.server-no-context-takeover"),
    Run({"deflate-window-too-large": Caught(("deflate.server-window.9",
                                             "deflate.server-window.1[0-4]"))},
        "deflate", keywords="deflate.server-window"),
    Run({"deflate-unnegotiated": Caught(("deflate.rsv1.not-negotiated", "framing.echo.*"))},
        "deflate or framing", keywords="deflate.rsv1 or framing.echo"),
    Run({"accept-rsv1-continuation": Caught(("deflate.rsv1.continuation-of-*",))}, "deflate",
        keywords="deflate.rsv1"),
    Run({"accept-rsv1-control": Caught(("deflate.rsv1.ping", "deflate.rsv1.pong",
                                        "deflate.rsv1.close"))},
        "deflate", keywords="deflate.rsv1"),
    Run({"deflate-unbounded-inflate": Caught(("deflate.bomb.corrupt-tail",
                                              "deflate.bomb.fragmented"), verdict="non-strict")},
        "deflate", keywords="deflate.bomb"),
]


def _matches(case: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(case, pattern) for pattern in patterns)


def test_every_fault_has_a_run() -> None:
    covered = [name for run in RUNS for name in run.faults]
    assert sorted(covered) == sorted(set(covered)), "a fault appears in two runs"
    assert set(covered) == set(FAULTS), f"no run for {sorted(set(FAULTS) - set(covered))}"


@pytest.fixture(scope="session")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.mark.parametrize("run", RUNS, ids=[run.name for run in RUNS])
def test_faults_are_caught_by_their_cases(run: Run, bytecode_cache: Path,
                                         tmp_path: Path) -> None:
    target = km.reference_target(*run.faults, profile=run.profile)
    result = km.run_suite(target, markers=f"({run.markers}) and not slow",
                          keywords=run.keywords, case_timeout=1.0, report_dir=tmp_path,
                          timeout=600, env=km.child_env(bytecode_cache))
    verdicts, observed = result.verdicts, result.observed
    assert verdicts, result.output[-3000:]
    problems: list[str] = []
    for name, caught in run.faults.items():
        matched = {case: v for case, v in verdicts.items() if _matches(case, caught.catches)}
        if not matched:
            problems.append(f"{name}: no case of the run matches {caught.catches}")
        problems += [f"{name}: {case} is {verdict}, expected {caught.verdict} "
                     f"({observed.get(case, '')[:120]})"
                     for case, verdict in sorted(matched.items()) if verdict != caught.verdict]
    allowed = [p for caught in run.faults.values() for p in (*caught.catches, *caught.also)]
    problems += [f"{case} is {verdict}, but no fault of the run should change it "
                 f"({observed.get(case, '')[:120]})"
                 for case, verdict in sorted(verdicts.items())
                 if verdict in km.CATCHING and not _matches(case, allowed)]
    assert not problems, "\n".join(problems[:40])
