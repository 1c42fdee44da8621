"""The helpers of the deflate section: generated corpora and the exact window check."""

from __future__ import annotations

import zlib

import pytest
from wsspec.conformance._deflate_data import (
    CORPORA,
    CORPUS_SIZE,
    Corpus,
    corpus_bytes,
    messages,
    window_probe,
)
from wsspec.conformance._deflate_support import window_problem
from wsspec.conformance.test_deflate import message_count
from wsspec.protocol.deflate import Deflater, compress_variant


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda c: c.name)
def test_corpora_are_fixed_and_text_ones_are_ascii(corpus: Corpus) -> None:
    data = corpus_bytes(corpus.name)
    assert len(data) == CORPUS_SIZE
    if not corpus.binary:
        data.decode("ascii")
    ratio = len(zlib.compress(data)) / len(data)
    assert (ratio > 0.95) == (corpus.name == "pdf")


def test_messages_wrap_around_the_corpus() -> None:
    size = 100 * 1024
    parts = messages("json", size, 3)
    assert [len(p) for p in parts] == [size] * 3
    data = corpus_bytes("json")
    assert parts[2] == data[2 * size:] + data[:3 * size - CORPUS_SIZE]


def test_message_count() -> None:
    assert [message_count(s) for s in (16, 2048, 4096, 8192, 16384, 131072)] == \
        [16, 16, 8, 4, 3, 3]


@pytest.mark.parametrize("bits", range(8, 15))
def test_window_check_finds_a_larger_window(bits: int) -> None:
    probe = window_probe()
    assert window_problem([Deflater(window_bits=bits).compress(probe)], window_bits=bits,
                          no_context_takeover=False) is None
    problem = window_problem([Deflater(window_bits=15).compress(probe)], window_bits=bits,
                             no_context_takeover=False)
    assert problem is not None and f"server_max_window_bits={bits}" in problem


def test_window_check_finds_context_taken_over() -> None:
    deflater = Deflater()
    text = b"the same message, twice over " * 4
    payloads = [deflater.compress(text), deflater.compress(text)]
    assert window_problem(payloads, window_bits=15, no_context_takeover=False) is None
    problem = window_problem(payloads, window_bits=15, no_context_takeover=True)
    assert problem is not None and "message 2" in problem


@pytest.mark.parametrize("variant", ["sync", "empty-final-block", "bfinal", "stored"])
def test_window_check_takes_every_compliant_form(variant: str) -> None:
    payload = compress_variant(window_probe(), variant)  # type: ignore[arg-type]
    assert window_problem([payload, payload], window_bits=15, no_context_takeover=True) is None


def test_window_check_reports_corrupt_data() -> None:
    problem = window_problem([b"\x07\x00"], window_bits=15, no_context_takeover=False)
    assert problem is not None and "not valid DEFLATE" in problem
