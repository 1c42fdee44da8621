"""The policy sections (auth, origin, subprotocol, heartbeat, limits) judge servers right.

Each test runs the suite in a fresh process, as a user does, against a server
started with ``--target-cmd``:

* the reference server with a profile declaring every policy passes every
  policy case (nothing fails, nothing is non-strict, nothing informational);
* each deliberately faulty variant fails exactly the cases of the rule it
  breaks: its failing ids, less those that fail against the reference server
  in the same run, are the expected set, and none of the expected ones fails
  against the reference server. The run covers the policy sections and the
  seed sections (handshake, framing, ping, close), so a fault that disturbs an
  unrelated case shows;
* the chat example passes every policy case its profile declares.

The test profiles (``profiles/``) use short timers, so a run takes seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, Run, load_script, run_tool, server_cmd

PROFILES = Path(__file__).resolve().parent / "profiles"
FULL = PROFILES / "full.toml"
PARTIAL = PROFILES / "partial.toml"
CHAT = REPO / "targets" / "examples" / "chat" / "profile.toml"

POLICY = ("auth", "origin", "subprotocol", "heartbeat", "limits")
SEED = ("handshake", "framing", "ping", "close")
SELECTION = f"({' or '.join(POLICY + SEED)}) and not slow"
#: slack on the servers' timers; generous, as these runs may share the machine.
TOLERANCE = "1.0"
km = load_script("kill_matrix")


def run_suite(tmp: Path, profile: Path, fault: str | None = None, *,
              command: str | None = None, path: str | None = None,
              selection: str = SELECTION) -> Run:
    """The suite against the reference server (with ``fault``), or ``command``
    serving on ``path``."""
    if command is None:
        target = km.reference_target(*([fault] if fault else []), profile=profile)
    else:
        target = [f"--target-cmd={command}", f"--target=ws://127.0.0.1:{{port}}{path}",
                  f"--target-profile={profile}"]
    return run_tool([*target, f"--heartbeat-tolerance={TOLERANCE}", "-m", selection], tmp,
                    timeout=300)


def verdicts_of(run: Run) -> dict[str, str]:
    verdicts = run.verdicts()
    assert verdicts, run.output
    return verdicts


def failing(verdicts: dict[str, str]) -> set[str]:
    return {case for case, verdict in verdicts.items() if verdict in ("fail", "error")}


def in_policy(case: str) -> bool:
    section = case.split(".", 1)[0]
    return section in POLICY and (section != "limits" or case.startswith("limits.policy."))


@pytest.fixture(scope="module")
def reference_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, dict[str, str]]:
    """Verdicts of the reference server, per test profile (run once)."""
    return {profile: verdicts_of(run_suite(tmp_path_factory.mktemp(profile.stem), profile))
            for profile in (FULL, PARTIAL)}


@pytest.mark.parametrize("profile", [FULL, PARTIAL], ids=["full", "partial"])
def test_reference_passes_every_policy_case(reference_runs: dict[Path, dict[str, str]],
                                            profile: Path) -> None:
    verdicts = reference_runs[profile]
    policy = {case: verdict for case, verdict in verdicts.items() if in_policy(case)}
    assert {v for v in policy.values()} <= {"pass", "unsupported"}, {
        case: verdict for case, verdict in policy.items() if verdict not in ("pass",
                                                                            "unsupported")}
    for section in POLICY:
        assert any(v == "pass" for c, v in policy.items() if c.startswith(section + ".")), section


def test_full_profile_leaves_only_the_undeclared_unsupported(
        reference_runs: dict[Path, dict[str, str]]) -> None:
    unsupported = {case for case, verdict in reference_runs[FULL].items()
                   if in_policy(case) and verdict == "unsupported"}
    # every scheme is declared, a subprotocol is not required
    assert unsupported == {f"auth.undeclared.{s}" for s in
                           ("bearer", "query", "cookie", "subprotocol", "basic")} | {
        "subprotocol.required.none-offered", "subprotocol.required.unknown-offered"}


def _all(prefix: str, names: tuple[str, ...]) -> set[str]:
    return {f"{prefix}.{name}" for name in names}


SCHEMES = ("bearer", "query", "cookie", "subprotocol", "basic")

#: (fault, profile) → the case ids it must fail, and no other.
MATRIX: dict[tuple[str, Path], set[str]] = {
    ("auth-bypass-no-credentials", FULL): {
        "auth.missing.refused", "auth.missing.challenge",
        # a valid token under no declared scheme is no credential at all
        *_all("auth.misformatted", ("token-word", "jwt-word", "no-word",
                                    "offer-without-marker")),
    },
    ("auth-bypass-no-credentials", PARTIAL): {
        "auth.missing.refused", "auth.missing.challenge",
        *_all("auth.misformatted", ("token-word", "jwt-word", "no-word", "basic-word")),
        *_all("auth.undeclared", ("query", "subprotocol", "basic")),
    },
    ("auth-expired-accepted", FULL): _all("auth.jwt.expired", SCHEMES),
    ("auth-alg-none-accepted", FULL): _all("auth.jwt.alg-none", SCHEMES),
    ("auth-bad-signature-accepted", FULL): (_all("auth.jwt.other-secret", SCHEMES)
                                            | _all("auth.token.altered", SCHEMES)),
    ("auth-header-token-refused", FULL): {"auth.valid.bearer", "auth.bearer.scheme-case"},
    ("origin-any-accepted", FULL): {
        "origin.refused.foreign", "origin.refused.null",
        *_all("origin.lookalike", ("host-suffix", "host-prefix", "subdomain", "scheme",
                                   "port")),
    },
    ("origin-any-accepted", PARTIAL): {
        "origin.refused.foreign", "origin.refused.null", "origin.missing",
        *_all("origin.lookalike", ("host-suffix", "host-prefix", "subdomain", "scheme",
                                   "port")),
    },
    ("subprotocol-first-header-only", FULL): {"subprotocol.split.unknown-then-declared"},
    ("subprotocol-requirement-ignored", PARTIAL): {
        "subprotocol.required.none-offered", "subprotocol.required.unknown-offered"},
    # a server that never pings never finds a silent client either
    ("heartbeat-no-pings", FULL): {"heartbeat.ping.interval", "heartbeat.drop.silent"},
    ("heartbeat-never-drops", FULL): {"heartbeat.drop.silent"},
    ("heartbeat-drops-answering", FULL): _all("heartbeat.keepalive", (
        "answering", "unsolicited-pongs", "client-pings")),
    ("limit-ignored", FULL): _all("limits.policy.over", (
        "text-one-frame", "text-fragmented", "binary-one-frame", "binary-fragmented",
        "streamed")),
    # another close code breaks a SHOULD (RFC 6455 7.1.7): non-strict, see NON_STRICT
    ("limit-wrong-close-code", FULL): set(),
    ("handshake-timeout-ignored", FULL): _all("limits.policy.handshake-timeout",
                                              ("idle", "slow")),
}


#: (fault, profile) → the case ids it must make non-strict, for faults breaking a SHOULD.
NON_STRICT: dict[tuple[str, Path], set[str]] = {
    ("limit-wrong-close-code", FULL): _all("limits.policy.over", (
        "text-one-frame", "text-fragmented", "binary-one-frame", "binary-fragmented",
        "streamed")) | {"limits.policy.huge-frame"},
}


@pytest.mark.parametrize(("fault", "profile"), list(MATRIX),
                         ids=[f"{fault}-{profile.stem}" for fault, profile in MATRIX])
def test_fault_fails_exactly_its_cases(reference_runs: dict[Path, dict[str, str]],
                                       tmp_path: Path, fault: str, profile: Path) -> None:
    expected = MATRIX[fault, profile]
    baseline = failing(reference_runs[profile])
    assert not expected & baseline, "the reference server fails them too"
    run = run_suite(tmp_path, profile, fault)
    verdicts = verdicts_of(run)
    assert expected <= set(verdicts), "a case of the matrix was not run"
    observed = {case["id"]: case["observed"] for case in run.report()["cases"]}
    unexpected = {case: observed[case] for case in failing(verdicts) - baseline - expected}
    assert not unexpected, unexpected
    assert failing(verdicts) - baseline == expected
    if (fault, profile) in NON_STRICT:
        lenient = {case for case, verdict in verdicts.items() if verdict == "non-strict"}
        before = {c for c, v in reference_runs[profile].items() if v == "non-strict"}
        assert lenient - before == NON_STRICT[fault, profile]


def test_every_policy_fault_is_in_the_matrix() -> None:
    from wsspec.targets.faulty import FAULTS

    policy_faults = {name for name in FAULTS if name.startswith(
        ("auth-", "origin-", "subprotocol-", "heartbeat-", "limit-", "handshake-timeout-"))}
    assert policy_faults == {fault for fault, _ in MATRIX}


def test_chat_example_passes_the_policy_sections(tmp_path: Path) -> None:
    command = server_cmd("wsspec.targets.examples.chat.server", "--port", "{port}")
    run = run_suite(tmp_path, CHAT, command=command, path="/chat",
                    selection=f"({' or '.join(POLICY)}) and not slow")
    verdicts = verdicts_of(run)
    policy = {case: verdict for case, verdict in verdicts.items() if in_policy(case)}
    wrong = {c: v for c, v in policy.items() if v not in ("pass", "unsupported")}
    # websockets compares Origin byte for byte: capitals are refused, which is safe
    assert wrong == {"origin.case.host": "informational", "origin.case.scheme": "informational"}
    for section in POLICY:
        assert any(v == "pass" for c, v in policy.items() if c.startswith(section + ".")), section
