"""Metadata of client cases: the ``@client_case`` decorator.

A client case is a pytest test taking the ``wsspec_client_under_test``
fixture, with the same metadata as a server case (:func:`wsspec.cases.case`):
a stable id, a title, the RFC rule and sentence it checks, the Autobahn case
it corresponds to. Its id starts with ``client.`` and its second part names
its section (``client.framing.rsv.1`` is in ``framing``), so ``-m framing``
selects it and reports group it as they group server cases. What the client
must declare in its profile (:data:`~wsspec.clientside.profile.CLIENT_CAPABILITIES`)
is checked by the fixture, which grades the case ``unsupported`` without it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from wsspec.cases import SECTIONS, Autobahn, CaseTemplate

from .profile import CLIENT_CAPABILITIES

__all__ = ["ClientCaseTemplate", "client_case", "client_needs"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ClientCaseTemplate(CaseTemplate):
    """A client case's template: its section is the second part of its id."""

    client_needs: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return self.id.split(".", 2)[1]


def client_case(
    id: str,
    *,
    title: str,
    rfc: str,
    requirement: str,
    autobahn: Autobahn = None,
    needs: Collection[str] = (),
    slow: bool = False,
) -> Callable[[F], F]:
    """Declare a client case (see the module docstring); ``needs`` are client capabilities."""
    template = ClientCaseTemplate(id, title, rfc, requirement, autobahn, (), slow,
                                  tuple(needs))
    if not id.startswith("client."):
        raise ValueError(f"client case {id!r}: its id must start with 'client.'")
    if template.section not in SECTIONS:
        raise ValueError(f"client case {id!r}: section {template.section!r} is not one of "
                         f"{SECTIONS}")
    for need in template.client_needs:
        if need not in CLIENT_CAPABILITIES:
            raise ValueError(f"client case {id!r}: unknown client capability {need!r}")

    def decorate(fn: F) -> F:
        fn.wsspec_case = template  # type: ignore[attr-defined]
        fn = getattr(pytest.mark, template.section)(fn)
        if slow:
            fn = pytest.mark.slow(fn)
        return fn

    return decorate


def client_needs(obj: Any) -> tuple[str, ...]:
    """The client capabilities a test function's case needs (none for other functions)."""
    template = getattr(obj, "wsspec_case", None)
    return template.client_needs if isinstance(template, ClientCaseTemplate) else ()
