"""Packet captures from wire logs: read back with struct, payloads equal the logged bytes."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path
from typing import Any

from wsspec.reporting.formats.pcap import SERVER_PORT, pcap_bytes


def read_pcap(data: bytes) -> list[dict[str, Any]]:
    """The TCP segments of a libpcap file of Ethernet/IPv4/TCP packets."""
    magic, major, minor, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, 1)
    offset, packets = 24, []
    while offset < len(data):
        _, _, caplen, origlen = struct.unpack("<IIII", data[offset:offset + 16])
        assert caplen == origlen
        frame = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        assert frame[12:14] == b"\x08\x00"
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:total]
        sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", tcp[:14])
        packets.append({"sport": sport, "dport": dport, "seq": seq, "ack": ack, "flags": flags,
                        "payload": tcp[(off >> 4) * 4:], "src": ip[12:16], "dst": ip[16:20]})
    return packets


def _logged(wirelog: list[dict[str, Any]], direction: str) -> bytes:
    return b"".join(bytes.fromhex(e["bytes"]["hex"]) for e in wirelog
                    if e["dir"] == direction and "bytes" in e)


def check_capture(data: bytes, wirelog: list[dict[str, Any]]) -> None:
    packets = read_pcap(data)
    out = b"".join(p["payload"] for p in packets if p["dport"] == SERVER_PORT)
    back = b"".join(p["payload"] for p in packets if p["sport"] == SERVER_PORT)
    assert out == _logged(wirelog, "out")
    assert back == _logged(wirelog, "in")
    # sequence numbers advance by the payload each side sent
    for side in ("sport", "dport"):
        stream = [p for p in packets if p[side] == SERVER_PORT and p["payload"]]
        for first, second in itertools.pairwise(stream):
            if first["dport"] == second["dport"] and first["sport"] == second["sport"]:
                assert second["seq"] == first["seq"] + len(first["payload"])


def test_a_synthetic_conversation_round_trips() -> None:
    import random

    from synthetic import wirelog

    log = wirelog(random.Random(3), entries=30, big_chunks=3)
    log += [{"t": 0.5, "dir": "event", "event": "connected to 127.0.0.1:9001 (tcp)"},
            {"t": 0.6, "dir": "out", "bytes": {"hex": "8180aabbccdd", "length": 6}}]
    data = pcap_bytes(log, start=1_700_000_000.0)
    check_capture(data, log)
    packets = read_pcap(data)
    assert [p["flags"] for p in packets[:3]] == [0x02, 0x12, 0x10]  # SYN, SYN-ACK, ACK
    assert len({p["sport"] for p in packets if p["dport"] == SERVER_PORT}) == 2  # 2 connections


def test_a_real_run_writes_one_capture_per_case(run_in: Any) -> None:
    run = run_in("--target=reference", "-k", "framing.echo.text or close.normal.1000", "--pcap")
    assert run.returncode == 0, run.output
    folder: Path = run.cwd / "reports" / "pcap"
    assert "Decode As" in (folder / "README.txt").read_text()
    for case in run.report()["cases"]:
        check_capture((folder / f"{case['id']}.pcap").read_bytes(), case["wirelog"])


def test_failed_only_captures_only_failed_cases(run_in: Any) -> None:
    from conftest import server_cmd

    cmd = server_cmd("wsspec.targets.faulty", "--port", "{port}", "--fault", "corrupt-echo")
    run = run_in("wsspec", "--target-cmd", cmd, "--timeout", "1", "-k",
                 "framing.echo.binary or close.normal.1000", "--pcap=failed")
    assert run.returncode == 1
    failed = {c["id"] for c in run.report()["cases"] if c["verdict"] == "fail"}
    written = {p.stem for p in (run.cwd / "reports" / "pcap").glob("*.pcap")}
    assert failed and written == failed


def test_a_bad_pcap_value_is_one_line(run_in: Any) -> None:
    run = run_in("--target=reference", "--pcap=some", "-k", "close.normal.1000")
    assert run.returncode == 4
    assert "--pcap: expected all or failed, got 'some'" in run.output
