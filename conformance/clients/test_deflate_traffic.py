"""Client cases: compressed traffic both ways (Autobahn|Testsuite 12.x and 13.x in client mode).

As Autobahn's fuzzing server does, the suite accepts the client's offer and
sends it compressed messages cut one after the other from a corpus, each echoed
(and compressed, or not: RFC 7692 lets a sender choose per message) before the
next. 12.x crosses Autobahn's 18 message sizes (16 B to 128 KiB, some in frames
of 256 B to 32 KiB of compressed data) with five corpora of different
compressibility, accepting the offer as it is. 13.x sends the JSON corpus
under seven answers that ask the client for ``client_no_context_takeover``
and ``client_max_window_bits`` of 8 or 15, as Autobahn's server-side accept
functions do; the last falls back as Autobahn's does, to
``client_no_context_takeover`` alone when the client did not offer
``client_max_window_bits``.

The client's offer is its own: where a 13.x answer needs ``client_max_window_bits``
and the offer lacks it, the suite answers without it (a response may not carry
it), grades the traffic, and the case is ``informational``
(:func:`._deflate.grade_unmet`). Every compressed echo is inflated with the
agreed parameters, and those of messages up to 16 KiB are checked exactly
against the agreed window (:func:`._deflate.check_window`).

The corpora, sizes and message counts are the server catalogue's
(:mod:`wsspec.conformance._deflate_data`, ``deflate.traffic.*``): fewer
messages than Autobahn's 1000, at least 3. None is ``slow``: against the reference
client a case takes about 0.3 s, the 128 KiB ones included, mostly the client's start.
"""

from __future__ import annotations

from typing import Any

import pytest
from wsspec.clientside.cases import client_case
from wsspec.clientside.deflate import answer
from wsspec.clientside.session import ClientUnderTest
from wsspec.conformance._deflate_data import CORPORA, Corpus, messages
from wsspec.conformance.test_deflate import (
    SIZES,
    TRAFFIC_LOG_BYTES,
    TRAFFIC_LOG_TAIL,
    message_count,
)
from wsspec.protocol import Opcode

from ._deflate import check_window, echo_compressed, grade_unmet

_CORPUS = {corpus.name: corpus for corpus in CORPORA}

#: Autobahn 13.x as its fuzzing server plays it: (n, name, what the answer asks of the
#: client, in order of preference: the first the offer allows is sent).
ANSWERS: list[tuple[int, str, list[dict[str, Any]]]] = [
    (1, "default", [{}]),
    (2, "no-context", [{"client_no_context_takeover": True}]),
    (3, "window-8", [{"client_max_window_bits": 8}]),
    (4, "window-15", [{"client_max_window_bits": 15}]),
    (5, "no-context-window-8", [{"client_no_context_takeover": True,
                                 "client_max_window_bits": 8}]),
    (6, "no-context-window-15", [{"client_no_context_takeover": True,
                                  "client_max_window_bits": 15}]),
    (7, "fallback", [{"client_no_context_takeover": True, "client_max_window_bits": 8},
                     {"client_no_context_takeover": True}]),
]
_ANSWERS = {name: (n, asks) for n, name, asks in ANSWERS}


def _traffic(client: ClientUnderTest, corpus: Corpus, size: int, fragment: int | None,
             asks: list[dict[str, Any]]) -> None:
    connection = client.connect()
    offer = connection.deflate_offer()
    for ask in asks:  # Autobahn's fallback: the first answer the offer allows
        agreed = answer(offer, **ask)
        if not agreed.unmet:
            break
    connection.accept_answer(agreed)
    wirelog = connection.stream.wirelog
    wirelog.max_bytes = min(wirelog.max_bytes, TRAFFIC_LOG_BYTES)
    wirelog.tail_entries = min(wirelog.tail_entries, TRAFFIC_LOG_TAIL)
    opcode = Opcode.BINARY if corpus.binary else Opcode.TEXT
    count = echo_compressed(connection, opcode, messages(corpus.name, size, message_count(size)),
                            fragment=fragment)
    seen = check_window(connection, largest=size)
    connection.close()
    frames = f" in frames of {fragment} compressed bytes" if fragment else ""
    connection.record.observe(
        f"{count} compressed {'binary' if corpus.binary else 'text'} messages of {size} bytes "
        f"of {corpus.description}{frames}, echoed unchanged (RFC 7692 §6)",
        f"all echoed, {seen}; the suite answered {agreed.element!r}")
    grade_unmet(connection, agreed)


@client_case(
    "client.deflate.traffic.{corpus}.{label}",
    title="compressed messages of {label} ({corpus}) are inflated and echoed",
    rfc="RFC7692 6 MUST",
    requirement="With permessage-deflate agreed as the client offered it, the client "
                "inflates each compressed {corpus} message of {label} with the agreed "
                "parameters, the context taken over between messages, and echoes it.",
    autobahn=lambda corpus, n, **_: f"12.{_CORPUS[corpus].autobahn}.{n}",
    needs=("deflate", "echo"),
)
@pytest.mark.parametrize(("n", "label", "size", "fragment"), SIZES)
@pytest.mark.parametrize("corpus", list(_CORPUS))
def test_traffic(wsspec_client_under_test: ClientUnderTest, corpus: str, n: int, label: str,
                 size: int, fragment: int | None) -> None:
    _traffic(wsspec_client_under_test, _CORPUS[corpus], size, fragment, [{}])


@client_case(
    "client.deflate.params.{accept}.{label}",
    title="answered '{accept}', the client echoes compressed JSON messages of {label}",
    rfc="RFC7692 7.1 MUST",
    requirement="A client takes a response that asks for client_no_context_takeover or a "
                "client_max_window_bits it offered, compresses within them (each message "
                "with an empty window; no back-reference beyond the window) and echoes "
                "compressed JSON messages of {label} unchanged.",
    autobahn=lambda accept, n, **_: f"13.{_ANSWERS[accept][0]}.{n}",
    needs=("deflate", "echo"),
)
@pytest.mark.parametrize(("n", "label", "size", "fragment"), SIZES)
@pytest.mark.parametrize("accept", list(_ANSWERS))
def test_parameters(wsspec_client_under_test: ClientUnderTest, accept: str, n: int,
                    label: str, size: int, fragment: int | None) -> None:
    _traffic(wsspec_client_under_test, _CORPUS["json"], size, fragment, _ANSWERS[accept][1])
