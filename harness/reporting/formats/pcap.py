"""Packet captures synthesised from a case's wire log, for Wireshark.

The wire log keeps the raw bytes each side wrote (each chunk up to 4 KiB), so a
case's conversation can be replayed as a classic libpcap file: Ethernet, IPv4
and TCP headers around those bytes, with a three-way handshake per connection,
consistent sequence and acknowledgement numbers, and a FIN at the end. Only the
standard library (``struct``) is used.

The server side is written as port 80, so Wireshark's HTTP dissector sees the
upgrade and follows it into WebSocket without "Decode As"; the real address is
in the case's wire log. A chunk longer than 4 KiB was cut in the wire log and
is cut the same way here.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsspec.reporting.outputs import OutputOptions, output
from wsspec.reporting.presentation import FAILING

#: values of ``--pcap``: a capture of every case, or of failed ones only.
PCAP_CHOICES = ("all", "failed")

#: libpcap magic (microsecond timestamps), version 2.4, LINKTYPE_ETHERNET.
_GLOBAL_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
SERVER_PORT = 80
FIRST_CLIENT_PORT = 49152
_CLIENT_MAC = bytes.fromhex("020000000001")
_SERVER_MAC = bytes.fromhex("020000000002")
_SYN, _ACK, _PSH, _FIN = 0x02, 0x10, 0x08, 0x01
_MAX_SEGMENT = 65000  # an IPv4 packet holds at most 65535 bytes

_CONNECTED = re.compile(r"^connected to \[?(?P<host>[^\]\s]*?)\]?:(?P<port>\d+)")

README = """\
One .pcap per case, synthesised from the case's wire log (report.json) by wsspec.

- Each connection of the case is one TCP stream: SYN, SYN-ACK, ACK, the bytes
  each side wrote (one segment per write), then FIN. Times are the wire log's.
- The server is shown on port 80 so that Wireshark decodes the HTTP upgrade and
  the WebSocket frames after it without configuration. For another port, use
  Analyze > Decode As > TCP port > HTTP. The real address is the first
  "connected to" event of the case's wire log.
- The wire log keeps the first 4096 bytes of each read or write; a longer chunk
  is cut at 4096 bytes here too, and frames spanning the cut show as malformed.
- wss:// runs show the bytes inside TLS (the wire log records them decrypted).
- A case that passed keeps only the start and end of its wire log unless the run
  used --wirelog=full, so its capture is incomplete (report.json's wirelog_kept
  says "short").
"""


@dataclass
class _Stream:
    client_port: int
    server_ip: bytes
    seq: dict[str, int] = field(default_factory=lambda: {"out": 1000, "in": 5000})


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _packet(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int,
            payload: bytes) -> bytes:
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6,
                     0, src, dst)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    src_mac, dst_mac = ((_CLIENT_MAC, _SERVER_MAC) if src == _CLIENT_IP
                        else (_SERVER_MAC, _CLIENT_MAC))
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp + payload


_CLIENT_IP = bytes([127, 0, 0, 1])


def _server_ip(host: str) -> bytes:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return bytes([127, 0, 0, 2])
    if isinstance(address, ipaddress.IPv4Address) and address.packed != _CLIENT_IP:
        return address.packed
    # Client and server need distinct addresses for Wireshark to tell the sides apart.
    return bytes([127, 0, 0, 2])


def _records(wirelog: Iterable[Mapping[str, Any]], start: float) -> Iterator[tuple[float, bytes]]:
    stream: _Stream | None = None
    count = 0

    def segment(s: _Stream, direction: str, flags: int, payload: bytes = b"") -> bytes:
        other = "in" if direction == "out" else "out"
        if direction == "out":
            src, dst, sport, dport = _CLIENT_IP, s.server_ip, s.client_port, SERVER_PORT
        else:
            src, dst, sport, dport = s.server_ip, _CLIENT_IP, SERVER_PORT, s.client_port
        ack = s.seq[other] if flags != _SYN else 0
        data = _packet(src, dst, sport, dport, s.seq[direction], ack, flags, payload)
        s.seq[direction] += len(payload) + (1 if flags & (_SYN | _FIN) else 0)
        return data

    def close(s: _Stream, t: float) -> Iterator[tuple[float, bytes]]:
        yield t, segment(s, "out", _FIN | _ACK)
        yield t, segment(s, "in", _FIN | _ACK)
        yield t, segment(s, "out", _ACK)

    last_t = start
    for entry in wirelog:
        t = start + float(entry.get("t", 0.0))
        last_t = t
        event = entry.get("event")
        if isinstance(event, str):
            match = _CONNECTED.match(event)
            if match:
                if stream is not None:
                    yield from close(stream, t)
                stream = _Stream(FIRST_CLIENT_PORT + count, _server_ip(match["host"]))
                count += 1
                yield t, segment(stream, "out", _SYN)
                yield t, segment(stream, "in", _SYN | _ACK)
                yield t, segment(stream, "out", _ACK)
            continue
        raw = entry.get("bytes")
        if not isinstance(raw, dict) or entry.get("dir") not in ("out", "in"):
            continue
        if stream is None:  # bytes without a recorded connect: invent one
            stream = _Stream(FIRST_CLIENT_PORT + count, bytes([127, 0, 0, 2]))
            count += 1
        payload = bytes.fromhex(raw["hex"])
        for offset in range(0, len(payload), _MAX_SEGMENT):
            yield t, segment(stream, entry["dir"], _PSH | _ACK,
                             payload[offset:offset + _MAX_SEGMENT])
    if stream is not None:
        yield from close(stream, last_t)


def pcap_bytes(wirelog: Iterable[Mapping[str, Any]], start: float = 0.0) -> bytes:
    """A libpcap file of the conversation in ``wirelog``; times start at ``start`` (epoch s)."""
    parts = [_GLOBAL_HEADER]
    for t, packet in _records(wirelog, start):
        seconds = int(t)
        micros = min(round((t - seconds) * 1_000_000), 999_999)
        parts.append(struct.pack("<IIII", seconds, micros, len(packet), len(packet)))
        parts.append(packet)
    return b"".join(parts)


def _file_name(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", case_id) + ".pcap"


def write_pcaps(report: Mapping[str, Any], directory: Path, which: str = "all",
                start: float = 0.0) -> list[Path]:
    """Write ``<id>.pcap`` per case (``which="failed"``: fail and error only) and a README."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "README.txt").write_text(README, encoding="utf-8")
    written = []
    for case in report["cases"]:
        if which == "failed" and case["verdict"] not in FAILING:
            continue
        if not any("bytes" in entry for entry in case["wirelog"]):
            continue
        path = directory / _file_name(case["id"])
        path.write_bytes(pcap_bytes(case["wirelog"], start))
        written.append(path)
    return written


def _epoch(started: str) -> float:
    try:
        return datetime.datetime.fromisoformat(started).timestamp()
    except ValueError:
        return 0.0


@output("pcap", order=30)
def _write(report: Mapping[str, Any], directory: Path, options: OutputOptions) -> list[Path]:
    if options.pcap is None:
        return []
    return write_pcaps(report, directory / "pcap", options.pcap, _epoch(report["started"]))
