"""The clauses a case may cite, and the requirement words each one uses.

A case's ``rfc`` names the rule it checks, in one of two forms:

* ``"RFC6455 5.2 MUST"``: a document, a section (an item of its list may
  follow in brackets, ``4.2.1 (5)``), and a requirement word
  (RFC 2119: MUST, MUST NOT, SHOULD, SHOULD NOT, RECOMMENDED, MAY) that the
  section uses, or ``informational`` where the section leaves the behaviour
  open and the case records it;
* ``"profile [limits]"``: a policy the target profile declares (its table or
  key), where the rule is the target's own promise and not the RFC's.

:data:`CLAUSES` lists the sections of RFC 6455, RFC 7692 and RFC 9110 that
cases cite, each with the requirement words its text uses, so a citation of a
rule a section does not state (a SHOULD where the section says MAY) is caught
by :func:`citation_problem`. RFC 6455 5.5.3 writes "must" in lower case for
the pong's payload; the rule is meant, and cited, as a MUST.
"""

from __future__ import annotations

import re

__all__ = ["CLAUSES", "LEVELS", "PROFILE_KEYS", "citation_problem"]

MUST, MUST_NOT, SHOULD, SHOULD_NOT, MAY = "MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"
RECOMMENDED = "RECOMMENDED"

#: the requirement words, and ``informational`` for a behaviour a section leaves open.
LEVELS = (MUST, MUST_NOT, SHOULD, SHOULD_NOT, RECOMMENDED, MAY, "informational")

#: (document, section) -> the requirement words the section uses.
CLAUSES: dict[tuple[str, str], frozenset[str]] = {
    (doc, section): frozenset(words) for doc, section, words in [
        ("RFC6455", "4.1", (MUST, MUST_NOT, SHOULD, MAY)),
        ("RFC6455", "4.2.1", (MUST,)),
        ("RFC6455", "4.2.2", (MUST, MUST_NOT, MAY)),
        ("RFC6455", "5.1", (MUST, MUST_NOT, MAY)),
        ("RFC6455", "5.2", (MUST,)),
        ("RFC6455", "5.3", (MUST,)),
        ("RFC6455", "5.4", (MUST, MUST_NOT, MAY)),
        ("RFC6455", "5.5", (MUST, MUST_NOT, MAY)),
        ("RFC6455", "5.5.1", (MUST, MUST_NOT, SHOULD, MAY)),
        ("RFC6455", "5.5.2", (MUST, SHOULD, MAY)),
        ("RFC6455", "5.5.3", (MUST, MAY)),
        ("RFC6455", "5.6", (MUST,)),
        ("RFC6455", "6.1", (MUST,)),
        ("RFC6455", "6.2", (MUST,)),
        ("RFC6455", "7.1.1", (SHOULD, MAY)),
        ("RFC6455", "7.1.7", (MUST, MUST_NOT, SHOULD, SHOULD_NOT)),
        ("RFC6455", "7.2.3", (SHOULD,)),
        ("RFC6455", "7.4", (MAY,)),
        ("RFC6455", "7.4.1", (MUST_NOT,)),
        ("RFC6455", "8.1", (MUST,)),
        ("RFC6455", "9.1", (MUST, MAY)),
        ("RFC6455", "10.2", (SHOULD,)),
        ("RFC6455", "10.3", (MUST,)),
        ("RFC6455", "10.4", (MUST,)),
        ("RFC6455", "10.7", (MUST, SHOULD, MAY)),
        ("RFC6455", "11.3.1", (MUST_NOT,)),
        ("RFC6455", "11.3.3", (MUST_NOT,)),
        ("RFC6455", "11.3.4", (MUST_NOT,)),
        ("RFC6455", "11.3.5", (MUST_NOT,)),
        ("RFC7692", "5", (MUST, MUST_NOT)),
        ("RFC7692", "6", (MUST, MUST_NOT)),
        ("RFC7692", "6.2", (MUST,)),
        ("RFC7692", "7", (MUST, MAY)),
        ("RFC7692", "7.1", (MUST, MAY)),
        ("RFC7692", "7.1.1.1", (MUST, MUST_NOT, RECOMMENDED, MAY)),
        ("RFC7692", "7.1.2.1", (MUST, MUST_NOT, MAY)),
        ("RFC7692", "7.1.2.2", (MUST, MUST_NOT, MAY)),
        ("RFC7692", "7.2.1", (MUST,)),
        ("RFC7692", "7.2.2", (MUST,)),
        ("RFC9110", "5.4", (MUST,)),
        ("RFC9110", "9.3.1", (SHOULD, SHOULD_NOT)),
        ("RFC9110", "11.6.1", (MUST,)),
    ]
}

#: the target profile's tables and keys a policy citation may name.
PROFILE_KEYS = ("auth", "origin", "heartbeat", "limits", "deflate", "subprotocols", "echo",
                "paths")

_RFC = re.compile(r"(RFC\d+) (\d+(?:\.\d+)*)(?: \([0-9a-z]+\))? (MUST NOT|SHOULD NOT|[A-Za-z]+)")
_PROFILE = re.compile(r"profile \[?([a-z_]+)\]?")


def citation_problem(rfc: str) -> str | None:
    """What is wrong with the citation ``rfc`` (see the module docstring), or None."""
    policy = _PROFILE.fullmatch(rfc)
    if policy:
        key = policy.group(1)
        return None if key in PROFILE_KEYS else f"the profile has no {key!r} to cite"
    match = _RFC.fullmatch(rfc)
    if not match:
        return f"{rfc!r} is neither 'RFCnnnn SECTION LEVEL' nor 'profile [key]'"
    doc, section, level = match.groups()
    if level not in LEVELS:
        return f"{level!r} is not a requirement level ({', '.join(LEVELS)})"
    words = CLAUSES.get((doc, section))
    if words is None:
        return f"{doc} {section} is not a clause the catalogue knows (wsspec.rfc_clauses)"
    if level != "informational" and level not in words:
        return f"{doc} {section} says {' / '.join(sorted(words))}, not {level}"
    return None
