"""The wire log keeps the head and the end of a long case, within its caps."""

from __future__ import annotations

from wsspec.wirelog import WireLog


def test_a_long_log_keeps_its_head_and_its_tail_within_the_caps() -> None:
    log = WireLog(max_entries=10, max_bytes=1 << 20, tail_entries=5, tail_bytes=1 << 20)
    for n in range(100):
        log.event(f"event {n}")
    kept = [e["event"] for e in log.to_list()]
    assert kept[:10] == [f"event {n}" for n in range(10)]
    assert kept[10] == "85 entries not kept (log cap)"
    assert kept[11:] == [f"event {n}" for n in range(95, 100)]
    assert log.tail(2)[-1].endswith("event 99")


def test_raw_bytes_are_capped_per_chunk_and_in_total() -> None:
    log = WireLog(max_entries=1000, max_bytes=8192, tail_entries=1000, tail_bytes=8192)
    for _ in range(50):
        log.raw("in", b"x" * 65536)
    entries = log.to_list()
    kept = sum(len(bytes.fromhex(e["bytes"]["hex"])) for e in entries if "bytes" in e)
    assert kept <= 8192 + 8192
    assert all(e["bytes"]["length"] == 65536 for e in entries if "bytes" in e)
    assert entries[-1]["bytes"]["truncated"] is True
