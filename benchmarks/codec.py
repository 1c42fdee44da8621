"""Throughput of the frame codec, beside websockets' own, in one run.

    python benchmarks/codec.py

For payloads of 125 B, 64 KiB, 1 MiB and 16 MiB it measures, in MB/s of
payload (medians over repeats):

* build+parse of a client frame (masked) and of a server frame (unmasked),
  one frame at a time: ``encode_frame`` + ``FrameParser.feed`` against
  websockets' ``Frame.serialize`` + ``StreamReader.feed_data`` +
  ``Frame.parse``;
* masking: ``apply_mask`` (websockets' C speed-up when present) and the
  pure-Python fallback ``apply_mask_pure``, against websockets' pure one.

Small payloads are measured in batches of frames, so that each timing is
long enough for ``perf_counter`` to be meaningful. On glibc, freed memory is
kept for reuse (see ``keep_freed_memory``), so that large payloads measure
the codec rather than the page faults of fresh mappings. Nothing is asserted:
the numbers are printed, with the ratio ours / websockets.
"""

from __future__ import annotations

import ctypes
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode as WsOpcode
from websockets.frames import apply_mask as ws_apply_mask
from websockets.streams import StreamReader
from websockets.utils import apply_mask as ws_apply_mask_pure
from wsspec.protocol import (
    HAS_SPEEDUP,
    FrameParser,
    Opcode,
    apply_mask,
    apply_mask_pure,
    encode_frame,
)

SIZES = [("125 B", 125), ("64 KiB", 64 * 2**10), ("1 MiB", 2**20), ("16 MiB", 16 * 2**20)]
# Payload bytes handled per timed call, and calls per measurement: enough for
# stable medians, few enough to keep the whole run well under a minute.
BATCH_BYTES = 4 * 2**20
REPEATS = {125: 3, 64 * 2**10: 5, 2**20: 5, 16 * 2**20: 3}
ROUNDS = 3
MASK_KEY = b"\x37\xfa\x21\x3d"


def median_rates(
    ours: Callable[[], object], theirs: Callable[[], object], nbytes: int, repeats: int
) -> tuple[float, float]:
    """Median throughputs of ``ours`` and ``theirs`` in MB/s (10**6 bytes per second).

    The two take turns in a few rounds of ``repeats`` calls, so that a drift
    in the machine's speed during the run affects both alike.
    """
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for func, spent in ((ours, times[0]), (theirs, times[1])):
            func()  # warm-up
            for _ in range(repeats):
                start = time.perf_counter()
                func()
                spent.append(time.perf_counter() - start)
    return (
        nbytes / statistics.median(times[0]) / 1e6,
        nbytes / statistics.median(times[1]) / 1e6,
    )


def ours_build_parse(payload: bytes, count: int, masked: bool) -> Callable[[], object]:
    key = MASK_KEY if masked else None

    def run() -> object:
        parser = FrameParser(expect_masked=masked, max_frame_size=2**30)
        for _ in range(count):
            (frame,) = parser.feed(encode_frame(Opcode.BINARY, payload, mask_key=key))
        return frame

    return run


def websockets_build_parse(payload: bytes, count: int, masked: bool) -> Callable[[], object]:
    def run() -> object:
        reader = StreamReader()
        for _ in range(count):
            reader.feed_data(WsFrame(WsOpcode.BINARY, payload).serialize(mask=masked))
            parse = WsFrame.parse(reader.read_exact, mask=masked, max_size=2**30)
            try:
                next(parse)
            except StopIteration as done:
                frame = done.value
            else:  # pragma: no cover - all bytes were fed
                raise AssertionError("websockets' parser asked for more bytes")
        return frame

    return run


def masking(
    func: Callable[[bytes, bytes], bytes], payload: bytes, count: int
) -> Callable[[], object]:
    def run() -> object:
        for _ in range(count):
            func(payload, MASK_KEY)
        return None

    return run


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed large buffers instead of returning them to the OS.

    Otherwise every 16 MiB buffer is a fresh mapping whose page faults cost
    more than the codec's work, and vary so much from one call to the next
    (in virtual machines especially) that medians drift by 10x between runs.
    Returns False where this is not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(
            libc.mallopt(m_mmap_threshold, 512 * 2**20) and libc.mallopt(m_trim_threshold, 2**30)
        )
    except (OSError, AttributeError):
        return False


def main() -> None:
    reused = keep_freed_memory()
    started = time.perf_counter()
    print(
        f"Python {sys.version.split()[0]}, websockets C speed-up: {HAS_SPEEDUP}, "
        f"freed memory reused: {reused}"
    )
    print("MB/s of payload, median of repeats; ratio = ours / websockets\n")
    header = f"{'payload':>8} | {'what':<24} | {'ours':>9} | {'websockets':>10} | {'ratio':>5}"
    print(header)
    print("-" * len(header))
    for label, size in SIZES:
        payload = os.urandom(size)
        count = max(1, BATCH_BYTES // size)
        nbytes = size * count
        repeats = REPEATS[size]
        rows = [
            (
                "build+parse, masked",
                ours_build_parse(payload, count, True),
                websockets_build_parse(payload, count, True),
            ),
            (
                "build+parse, unmasked",
                ours_build_parse(payload, count, False),
                websockets_build_parse(payload, count, False),
            ),
            (
                "mask (speed-up)",
                masking(apply_mask, payload, count),
                masking(ws_apply_mask, payload, count),
            ),
            (
                "mask (pure Python)",
                masking(apply_mask_pure, payload, count),
                masking(ws_apply_mask_pure, payload, count),
            ),
        ]
        for what, our_run, their_run in rows:
            ours, theirs = median_rates(our_run, their_run, nbytes, repeats)
            print(
                f"{label:>8} | {what:<24} | {ours:>9.0f} | {theirs:>10.0f} | {ours / theirs:>5.2f}"
            )
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
