"""index.json in Autobahn|Testsuite's format: one entry per Autobahn id, worst verdict wins."""

from __future__ import annotations

from typing import Any

from synthetic import synthetic_report
from wsspec.reporting.formats.autobahn_index import autobahn_index


def _case(case_id: str, verdict: str, autobahn: str | None, wirelog: list[Any] | None = None,
          duration: float = 0.01) -> dict[str, Any]:
    return {"id": case_id, "verdict": verdict, "autobahn": autobahn, "duration_s": duration,
            "wirelog": wirelog or []}


def test_several_cases_of_one_autobahn_id_take_the_worst_verdict() -> None:
    close = [{"t": 0.1, "dir": "in", "frame": {"opcode": "CLOSE", "length": 2,
                                                "close_code": 1002}}]
    report = {"target": {"url": "ws://a/"}, "cases": [
        _case("x.1", "pass", "5.1", duration=0.002),
        _case("x.2", "non-strict", "5.1", close, duration=0.003),
        _case("x.3", "unsupported", "10.1.1"),
        _case("x.4", "error", "2.1",
              [{"t": 0.1, "dir": "event", "event": "connection reset (ECONNRESET)"}]),
        _case("x.5", "pass", None),
    ]}
    index = autobahn_index(report)
    assert list(index) == ["ws://a/"]
    cases = index["ws://a/"]
    assert list(cases) == ["2.1", "5.1", "10.1.1"]  # numeric order
    assert cases["5.1"] == {"behavior": "NON-STRICT", "behaviorClose": "OK", "duration": 5,
                            "remoteCloseCode": 1002, "reportfile": "index.html#case=x.2"}
    assert cases["10.1.1"]["behavior"] == "UNIMPLEMENTED"
    assert cases["2.1"]["behavior"] == "FAILED"
    assert cases["2.1"]["behaviorClose"] == "UNCLEAN"


def test_every_entry_has_exactly_autobahn_s_keys() -> None:
    index = autobahn_index(synthetic_report(200), agent="server under test")
    entries = index["server under test"]
    assert entries
    allowed = {"OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"}
    for entry in entries.values():
        assert set(entry) == {"behavior", "behaviorClose", "duration", "remoteCloseCode",
                              "reportfile"}
        assert entry["behavior"] in allowed
        assert isinstance(entry["duration"], int)
        assert entry["remoteCloseCode"] is None or isinstance(entry["remoteCloseCode"], int)
