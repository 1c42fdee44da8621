"""What the permessage-deflate client cases share: compressed messages sent and their
echoes judged, the window of what the client compressed checked, and an answer that
could not ask all a case wanted graded as such."""

from __future__ import annotations

from collections.abc import Iterable

from wsspec.clientside.connection import ClientConnection
from wsspec.clientside.deflate import Answer
from wsspec.conformance._deflate_support import window_problem
from wsspec.verdicts import Verdict

__all__ = ["EXACT_WINDOW_CHECK", "check_window", "echo_compressed", "grade_unmet"]

#: compressed messages up to this many bytes (inflated) get the exact window check; zlib
#: inflating one byte at a time costs time quadratic in a message's size, so larger ones
#: are left to the receiver's inflater (every distance beyond twice the window).
EXACT_WINDOW_CHECK = 16 * 1024


def echo_compressed(connection: ClientConnection, opcode: int, messages: Iterable[bytes], *,
                    fragment: int | None = None) -> int:
    """Send each message compressed (in frames of ``fragment`` compressed bytes if given)
    and expect it echoed unchanged before the next; the number of messages sent."""
    count = 0
    for data in messages:
        connection.send_compressed(opcode, data, fragment=fragment)
        connection.expect_echo(opcode, data)
        count += 1
    return count


def check_window(connection: ClientConnection, *, largest: int) -> str:
    """Fail the case if what the client compressed refers back beyond the agreed
    ``client_max_window_bits``, or (with ``client_no_context_takeover``) into an earlier
    message; ``largest`` is the largest message's size. Returns what was seen, in words."""
    params = connection.deflate
    assert params is not None, "accept_deflate() first"
    compressed = len(connection.compressed)
    if compressed and largest <= EXACT_WINDOW_CHECK:
        problem = window_problem(connection.compressed,
                                 window_bits=params.client_max_window_bits,
                                 no_context_takeover=params.client_no_context_takeover,
                                 sender="client")
        if problem:
            raise connection.fail(
                f"messages compressed within client_max_window_bits="
                f"{params.client_max_window_bits}"
                + (", each with an empty window" if params.client_no_context_takeover else "")
                + " (RFC 7692 §7.1.1.2, §7.1.2.2)", problem)
    return f"{compressed} of the echoes compressed"


def grade_unmet(connection: ClientConnection, agreed: Answer) -> None:
    """An answer that could not ask the client what the case wanted (its offer did not
    allow it) leaves that part unexercised: ``informational``."""
    if agreed.unmet:
        connection.record.downgrade(
            Verdict.INFORMATIONAL,
            f"not exercised: {'; '.join(agreed.unmet)}; the rest of the case was graded")
