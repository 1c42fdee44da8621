"""One table: the verdict each way of ending a connection gets, by requirement level.

When a case expects the server to end the connection (a protocol error, a
message over a declared limit, a policy refusal), the server's answer takes
one of a few shapes: a close frame with the code the rule names, a close frame
with another valid code, a close frame with a code no endpoint may send, a TCP
close without a close frame, a reset, or nothing before the deadline. The
verdict of each shape depends only on how strongly the rule asks for the end:

* ``MUST`` -- the rule says *Fail the WebSocket Connection* (RFC 6455 7.1.7):
  closing is required; the close frame and an appropriate code are SHOULD, so
  another valid code and a close without a close frame are ``non-strict``.
* ``MUST_CLOSE`` -- the rule says *close the connection* and makes the close
  frame optional (RFC 6455 5.1: the server MAY send 1002 on an unmasked frame):
  a close without a close frame is as good as one with the code.
* ``SHOULD`` -- ending is recommended: not ending at all is ``non-strict``.
* ``MAY`` -- the server may end the connection or go on (RFC 6455 10.4: an
  implementation protects itself from what exceeds its limits): whichever end it
  chooses is recorded, ``informational``; the case grades what it does instead.
* ``POLICY`` -- the profile declares the end (``[limits] max_message_size``):
  the server's own promise, graded as a MUST.

Whatever the level, a close frame carrying a code no endpoint may send (RFC
6455 7.4.1, 7.4.2) fails. The catalogue's ``expect_failure`` and the fuzz
oracle both grade through :func:`verdict_for`; ``python -m
wsspec.failure_shapes`` writes the table into the documentation.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path

from wsspec.verdicts import Verdict

__all__ = ["TABLE", "Level", "Shape", "render_table", "verdict_for"]


class Shape(enum.Enum):
    """How the server ended (or did not end) the connection."""

    EXPECTED_CODE = "close frame with an expected code"
    OTHER_CODE = "close frame with another valid code"
    INVALID_CODE = "close frame with an invalid code"
    TCP_CLOSE = "TCP close without a close frame"
    RESET = "reset"
    TIMEOUT = "nothing before the deadline"


class Level(enum.Enum):
    """How strongly the rule asks the server to end the connection."""

    MUST = "MUST (fail the connection, RFC6455 7.1.7)"
    MUST_CLOSE = "MUST close, close frame MAY (RFC6455 5.1)"
    SHOULD = "SHOULD"
    MAY = "MAY"
    POLICY = "profile policy"


P, N, INFO, F = Verdict.PASS, Verdict.NON_STRICT, Verdict.INFORMATIONAL, Verdict.FAIL

#: the verdict of each shape at each level; columns in :class:`Shape` order.
TABLE: dict[Level, dict[Shape, Verdict]] = {
    level: dict(zip(Shape, row, strict=True))
    for level, row in {
        Level.MUST: (P, N, F, N, N, F),
        Level.MUST_CLOSE: (P, N, F, P, P, F),
        Level.SHOULD: (P, N, F, N, N, N),
        Level.MAY: (INFO, INFO, F, INFO, INFO, INFO),
        Level.POLICY: (P, N, F, N, N, F),
    }.items()
}

#: why each verdict other than ``pass`` is what it is, for the observed text.
REASONS: dict[tuple[Level, Shape], str] = {
    (Level.MUST, Shape.OTHER_CODE):
        "a close frame with another code than the rule's (RFC6455 7.1.7 SHOULD send an "
        "appropriate status code, 7.4.1)",
    (Level.MUST, Shape.TCP_CLOSE):
        "TCP closed without a close frame (RFC6455 7.1.7 SHOULD send one first)",
    (Level.MUST, Shape.RESET):
        "the connection was reset: any close frame was lost (RFC6455 7.1.7 SHOULD send one "
        "and close cleanly)",
    (Level.MUST_CLOSE, Shape.OTHER_CODE):
        "a close frame with another code than the rule's (RFC6455 5.1 names 1002)",
    (Level.SHOULD, Shape.OTHER_CODE):
        "a close frame with another code than the rule's (RFC6455 7.4.1)",
    (Level.SHOULD, Shape.TCP_CLOSE):
        "TCP closed without a close frame (RFC6455 7.1.7 SHOULD send one first)",
    (Level.SHOULD, Shape.RESET):
        "the connection was reset: any close frame was lost",
    (Level.SHOULD, Shape.TIMEOUT):
        "the connection was not ended, which the rule recommends",
    (Level.POLICY, Shape.OTHER_CODE):
        "a close frame with another code than the profile's policy names (RFC6455 7.4.1)",
    (Level.POLICY, Shape.TCP_CLOSE):
        "TCP closed without a close frame (RFC6455 7.1.7 SHOULD send one first)",
    (Level.POLICY, Shape.RESET):
        "the connection was reset: any close frame was lost",
}


def verdict_for(level: Level, shape: Shape) -> Verdict:
    """The verdict of ending the connection in ``shape`` where the rule asks it at ``level``."""
    return TABLE[level][shape]


def reason_for(level: Level, shape: Shape) -> str:
    """Why ``shape`` gets its verdict at ``level``, in one clause (empty for ``pass``)."""
    verdict = verdict_for(level, shape)
    if verdict is Verdict.PASS:
        return ""
    if verdict is Verdict.INFORMATIONAL:
        return f"{shape.value}: the rule leaves ending to the server (MAY), recorded"
    if verdict is Verdict.FAIL:
        if shape is Shape.INVALID_CODE:
            return "a close code no endpoint may send (RFC6455 7.4.1, 7.4.2)"
        return "the connection was neither ended nor answered before the deadline"
    return REASONS[(level, shape)]


def render_table() -> str:
    """The table as Markdown, for docs/failure-shapes.md."""
    shapes = list(Shape)
    lines = [
        "| requirement level | " + " | ".join(shape.value for shape in shapes) + " |",
        "|---|" + "---|" * len(shapes),
    ]
    for level, row in TABLE.items():
        cells = " | ".join(f"`{row[shape].value}`" for shape in shapes)
        lines.append(f"| {level.value} | {cells} |")
    return "\n".join(lines) + "\n"


DOC_HEAD = """\
# Failure shapes: one behaviour, one verdict

When a case expects the server to end the connection, the server's answer is one
of the shapes below, and its verdict depends only on how strongly the rule asks
for the end. The catalogue (`Connection.expect_failure`, `poll_failure`,
`expect_failure_after_echo`) and the fuzz oracle grade through this one table.
This page is generated from `wsspec.failure_shapes` by
`python -m wsspec.failure_shapes docs/failure-shapes.md`; a test keeps it current.

"""

DOC_TAIL = """
- **expected code**: a close frame with a code the rule names (1002 for a protocol
  error, 1007 for invalid UTF-8, 1009 for a message too big, ...), then a TCP close.
- **another valid code**: a close frame whose code an endpoint may send, but not the
  one the rule names (RFC 6455 7.4.1 gives each condition its code).
- **invalid code**: a close frame with a code no endpoint may send (1005, 1006, 1015,
  a code below 1000, an unassigned code in 1000-2999): RFC 6455 7.4.1 and 7.4.2.
- **TCP close without a close frame**: a FIN without a close frame first.
- **reset**: an RST; any close frame the server sent may have been lost.
- **nothing before the deadline**: the connection is still open, nothing came.

A message or a pong where the connection should have been failed is not a shape of
failure: the server went on processing, and every level but MAY fails it (RFC 6455
7.1.7: an endpoint MUST NOT continue to process data after failing the connection).

Before any of this, a case proves the server was processing on that very connection:
its first write is preceded by a ping the server must answer (RFC 6455 5.5.2). A
server that drops every connection after its 101 therefore fails the case, and is
never graded by the table at all.
"""


def main(argv: list[str] | None = None) -> int:
    """``python -m wsspec.failure_shapes PAGE [--check]``: write the generated page,
    or with ``--check`` exit 1 naming the command when the page on disk is stale."""
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    paths = [arg for arg in args if arg != "--check"]
    if len(paths) != 1:
        print("usage: python -m wsspec.failure_shapes PAGE [--check]", file=sys.stderr)
        return 2
    page = Path(paths[0])
    text = DOC_HEAD + render_table() + DOC_TAIL
    if check:
        if not page.is_file() or page.read_text() != text:
            print(f"{page} is stale: run python -m wsspec.failure_shapes {page}", file=sys.stderr)
            return 1
        return 0
    page.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
