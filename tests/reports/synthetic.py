"""Synthetic report documents with realistic wire logs, for report tests and benchmarks."""

from __future__ import annotations

import random
from typing import Any

from wsspec.cases import SECTIONS
from wsspec.reporting.formats.report_json import summarise
from wsspec.reporting.presentation import VERDICTS

HANDSHAKE_OUT = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
HANDSHAKE_IN = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")


def _frame(opcode: str, length: int, masked: bool, **extra: Any) -> dict[str, Any]:
    describe = f"{opcode} fin=1 rsv=000 len={length}" + (" masked" if masked else "")
    return {"opcode": opcode, "opcode_int": 1, "fin": True, "rsv1": False, "rsv2": False,
            "rsv3": False, "masked": masked, "length": length, "payload_hex": "",
            "truncated": False, "describe": describe, **extra}


def wirelog(rng: random.Random, entries: int = 20, big_chunks: int = 2) -> list[dict[str, Any]]:
    """A wire log of about ``entries`` entries, ``big_chunks`` of them 4 KiB raw chunks."""
    t = 0.001
    log: list[dict[str, Any]] = [
        {"t": t, "dir": "event", "event": "connected to 127.0.0.1:9001 (tcp)"},
        {"t": t + 0.0001, "dir": "out", "bytes": {"hex": HANDSHAKE_OUT.hex(),
                                                  "length": len(HANDSHAKE_OUT)}},
        {"t": t + 0.0004, "dir": "in", "bytes": {"hex": HANDSHAKE_IN.hex(),
                                                 "length": len(HANDSHAKE_IN)}},
    ]
    while len(log) < entries - 2:
        t += rng.random() / 1000
        big = big_chunks > 0
        big_chunks -= big
        size = 4096 if big else rng.randint(0, 60)
        payload = rng.randbytes(size)
        direction = "out" if len(log) % 4 < 2 else "in"
        masked = direction == "out"
        header = bytes([0x82, (0x80 if masked else 0) | (126 if size > 125 else size)])
        if size > 125:
            header += size.to_bytes(2, "big")
        raw = header + (b"\x01\x02\x03\x04" if masked else b"") + payload
        log.append({"t": t, "dir": direction, "frame": _frame("BINARY", size, masked)})
        record: dict[str, Any] = {"hex": raw[:4096].hex(), "length": len(raw)}
        if len(raw) > 4096:
            record["truncated"] = True
        log.append({"t": t, "dir": direction, "bytes": record})
    log.append({"t": t + 0.001, "dir": "in", "frame": _frame("CLOSE", 2, False, close_code=1000,
                                                             reason="")})
    log.append({"t": t + 0.002, "dir": "event", "event": "peer closed the connection (FIN)"})
    return log


def synthetic_report(count: int, seed: int = 1, entries: int = 20,
                     big_chunks: int = 2) -> dict[str, Any]:
    """A report of ``count`` cases across every section and verdict."""
    rng = random.Random(seed)
    weights = [80, 4, 3, 3, 8, 2]
    cases = []
    for n in range(count):
        section = SECTIONS[n % len(SECTIONS)]
        verdict = rng.choices(VERDICTS, weights)[0]
        cases.append({
            "id": f"{section}.synthetic.{n}",
            "section": section,
            "title": f"synthetic case {n} of {section}",
            "rfc": "RFC7692 7.2.3.1 MUST" if section == "deflate" else "RFC6455 5.2 MUST",
            "requirement": "A server echoes every message unchanged.",
            "autobahn": f"{n % 13}.{n % 7}.{n % 3}" if n % 2 else None,
            "verdict": verdict,
            "expected": "binary message of 4096 bytes echoed",
            "observed": "as expected" if verdict == "pass" else "a close with code 1002 <b>",
            "duration_s": round(rng.random() / 50, 6),
            "wirelog": wirelog(rng, entries, big_chunks),
        })
    summary = summarise(cases)
    return {"tool": "wsspec", "version": "0.1.0",
            "target": {"url": "ws://127.0.0.1:9001/echo", "profile": {"echo": True}},
            "started": "2026-01-02T03:04:05+00:00", "duration_s": 12.5,
            "summary": summary, "cases": cases}
