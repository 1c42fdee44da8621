"""The load generator's parts without a server: stages, the ``[load]`` profile table,
objectives, message identity, histograms, and a session fed a server's bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from wsspec.profile import ProfileError, parse_profile
from wsspec.protocol import Opcode, encode_frame

from .loadruns import needs_load_extra

pytestmark = needs_load_extra


def test_stages_parse_and_bad_ones_are_named() -> None:
    from wsspec.load.scenario import ScenarioError, Stage, parse_stages

    assert parse_stages("50:30s, 200:2m,1000:500ms") == (
        Stage(50, 30.0), Stage(200, 120.0), Stage(1000, 0.5))
    for bad, named in [("50", "CONNECTIONS:DURATION"), ("50:0s", "positive"),
                       ("x:5s", "CONNECTIONS:DURATION"), ("10:5parsecs", "duration"),
                       ("200000:1s", "at most"), ("", "at least one")]:
        with pytest.raises(ScenarioError, match=named):
            parse_stages(bad)


@pytest.mark.parametrize(("table", "message"), [
    ({"stages": ["10:1x"]}, "load.stages[0] '10:1x': expected a duration"),
    ({"stages": "10:1s"}, "load.stages: expected a list of stages"),
    ({"stages": []}, "load.stages: must list at least one stage"),
    ({"message_size": 4}, "load.message_size: expected 18 to"),
    ({"message_rate": -1}, "load.message_rate: expected 0 to 10000"),
    ({"ramp": 0}, "load.ramp: expected a positive number"),
    ({"lifetme": 3}, "load.lifetme: unknown key"),
])
def test_the_load_table_names_the_bad_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile({"load": table}, "p.toml")
    assert str(caught.value).startswith(f"p.toml: {message}")
    assert "\n" not in str(caught.value)


def test_a_bad_option_is_one_line_and_status_2(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from wsspec.cli import main

    assert main(["load", "--stages", "10:fast", "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--stages '10:fast': expected a duration" in err
    assert main(["load", "--slo", "p99<50", "--report-dir", str(tmp_path)]) == 2
    assert "give a latency in ms or s" in capsys.readouterr().err
    profile = tmp_path / "p.toml"
    profile.write_text("[load]\nstages = [\"5:1s\"]\nmessage_rate = \"fast\"\n")
    assert main(["load", "--profile", str(profile)]) == 2
    assert "load.message_rate: expected a number" in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()


def test_objectives_parse_and_judge() -> None:
    from wsspec.load.slo import SloError, judge, parse_slo

    objectives = parse_slo("p99<50ms, p99.9<=0.2s, errors<0.1%, handshake_p99<100ms,"
                           "messages_per_s>=10")
    totals = {"rtt_ms": {"p99": 20.0, "p99_9": 250.0}, "handshake_ms": {"p99": 5.0},
              "error_rate": 0.002, "messages_per_s": 10.0}
    assert [o.objective.limit for o in judge(objectives, totals)] == [50, 200, 0.001, 100, 10]
    assert [o.met for o in judge(objectives, totals)] == [True, False, False, True, True]
    for bad in ("p98<", "latency<5ms", "errors<5", "messages_per_s<5", "p99>5ms", ""):
        with pytest.raises(SloError, match="--slo"):
            parse_slo(bad)


def test_an_echo_is_judged_against_its_own_connection() -> None:
    from wsspec.load.integrity import Breach, EchoTracker, identity_of, payload

    tracker = EchoTracker(7, 64, False, window=4)
    first, second, third = (tracker.sent(float(n)) for n in range(3))
    assert identity_of(first) == (7, 0) and len(first) == 64 and first != second
    assert tracker.echoed(first, False, 0.5) == 0.5
    other = payload(8, 1, 64, False)
    crossed = tracker.echoed(other, False, 2.0)
    assert isinstance(crossed, Breach) and crossed.kind == "crossed"
    assert "connection 8" in crossed.detail
    # the awaited message was judged lost, the next one stands on its own
    truncated = tracker.echoed(third[:30], False, 2.0)
    assert isinstance(truncated, Breach) and truncated.kind == "truncated"
    unsolicited = tracker.echoed(third, False, 2.0)
    assert isinstance(unsolicited, Breach) and unsolicited.kind == "unsolicited"
    later = EchoTracker(7, 64, True, window=4)
    sent = [later.sent(0.0) for _ in range(3)]
    reordered = later.echoed(sent[1], True, 0.1)
    assert isinstance(reordered, Breach) and reordered.kind == "reordered"
    modified = later.echoed(sent[1][:-1] + b"!", True, 0.1)
    assert isinstance(modified, Breach) and modified.kind == "modified"
    assert later.echoed(sent[2], False, 0.1) == Breach("modified",
                                                       "message 2 of connection 7 came back "
                                                       "as text")
    full = EchoTracker(1, 20, False, window=2)
    full.sent(0.0), full.sent(0.0)
    assert full.full() and full.expire(1.0) == 2 and not full.awaiting


def test_histograms_are_bounded_merge_and_travel() -> None:
    from wsspec.load.histogram import LatencyHistogram

    one, two = LatencyHistogram(), LatencyHistogram()
    for n in range(1, 1001):
        one.record(n / 1000)  # 1 ms .. 1 s
    two.record(3600.0)  # beyond the range: kept at its top, 10 minutes
    two.record(-1.0)
    merged = LatencyHistogram.decode(one.encode())
    merged.add(two)
    summary = merged.summary()
    assert summary["count"] == 1002
    assert summary["p50"] == pytest.approx(500, rel=0.001)
    assert summary["p99"] == pytest.approx(991, rel=0.001)  # the 992nd of 1002
    assert summary["max"] == pytest.approx(600_000, rel=0.001)
    assert LatencyHistogram().summary()["p99"] == 0.0
    with pytest.raises(ValueError, match="not an encoded latency histogram"):
        LatencyHistogram.decode("nonsense")


def test_a_session_puts_every_server_frame_through_the_strict_parser() -> None:
    from wsspec.load.scenario import Pattern
    from wsspec.load.session import Endpoint, LoadSession, State
    from wsspec.load.stats import Recorder
    from wsspec.protocol import compute_accept

    recorder = Recorder()
    recorder.begin_stage(1, 1.0, 0.0)
    session = LoadSession(3, Endpoint("h", "/"), Pattern(size=32), recorder, heartbeat=None,
                          deflate=False, started=0.0, connected=0.01)
    key = session.request.get("Sec-WebSocket-Key")[0]
    session.handshake()
    answer = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
              + compute_accept(key).encode() + b"\r\n\r\n")
    assert session.feed(answer, 0.02) == b""
    assert session.state is State.OPEN and recorder.stage.opened == 1
    message = session.next_message(0.03)
    assert message[0] == 0x81 and message[1] & 0x80  # a masked text frame
    # a server must not mask its frames (RFC 6455 5.1)
    session.feed(encode_frame(Opcode.TEXT, b"x", mask_key=b"abcd"), 0.04)
    assert session.done and recorder.stage.violations["protocol"] == 1
    assert recorder.stage.errors["protocol"] == 1
    example = recorder.examples["protocol"][0]
    assert "mask" in example.detail.lower()
    assert any("HTTP 101" in line for line in example.wirelog)
    assert any("> TEXT 32 B" in line for line in example.wirelog)
