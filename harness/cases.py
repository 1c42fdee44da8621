"""Case metadata: the ``@case`` decorator and the section names.

Every conformance case is a pytest test decorated with :func:`case`, which
records its stable id, title, the RFC requirement it checks (one sentence and
its section), the Autobahn|Testsuite case it corresponds to, and what the
target must offer. Ids and titles may hold ``{name}`` fields filled from the
test's parameters, so a parametrised family carries one id per member.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from wsspec.profile import CAPABILITIES

if TYPE_CHECKING:
    from wsspec.dsl import ConcurrentObservations, Observation, Target

#: section names are fixed: add new ones, never rename (DESIGN.md).
SECTIONS = (
    "handshake", "framing", "ping", "rsv", "opcodes", "fragmentation", "utf8", "close",
    "limits", "misc", "deflate", "auth", "origin", "subprotocol", "heartbeat", "fuzz",
)


F = TypeVar("F", bound=Callable[..., Any])

Autobahn = str | Callable[..., str | None] | None


@dataclass(frozen=True)
class CaseInfo:
    """Metadata of one case (one member, once the parameters are filled in)."""

    id: str
    section: str
    title: str
    rfc: str
    requirement: str
    autobahn: str | None
    needs: tuple[str, ...]
    slow: bool = False


@dataclass(frozen=True)
class CaseTemplate:
    """Metadata as written on the decorator, before parameters are filled in."""

    id: str
    title: str
    rfc: str
    requirement: str
    autobahn: Autobahn
    needs: tuple[str, ...]
    slow: bool

    @property
    def section(self) -> str:
        return self.id.split(".", 1)[0]

    def resolve(self, params: Mapping[str, Any]) -> CaseInfo:
        """Fill ``{field}`` placeholders from a parametrised test's parameters."""
        values = {k: _show(v) for k, v in params.items()}
        autobahn = self.autobahn
        if callable(autobahn):
            autobahn = autobahn(**params)
        elif autobahn is not None:
            autobahn = autobahn.format(**values)
        return CaseInfo(
            id=self.id.format(**values),
            section=self.section,
            title=self.title.format(**values),
            rfc=self.rfc,
            requirement=self.requirement.format(**values),
            autobahn=autobahn,
            needs=self.needs,
            slow=self.slow,
        )


def _show(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex() if value else "empty"
    return value


def case(
    id: str,
    *,
    title: str,
    rfc: str,
    requirement: str,
    autobahn: Autobahn = None,
    needs: Collection[str] = (),
    slow: bool = False,
) -> Callable[[F], F]:
    """Declare a conformance case.

    ``id`` is ``section.rest`` with a section from :data:`SECTIONS`; ``rfc`` names
    the rule as ``"RFC6455 5.2 MUST"``; ``requirement`` states it as one sentence.
    """
    template = CaseTemplate(id, title, rfc, requirement, autobahn, tuple(needs), slow)
    if template.section not in SECTIONS:
        raise ValueError(f"case {id!r}: section {template.section!r} is not one of {SECTIONS}")
    for need in template.needs:
        if need not in CAPABILITIES:
            raise ValueError(f"case {id!r}: unknown capability {need!r}")

    def decorate(fn: F) -> F:
        fn.wsspec_case = template  # type: ignore[attr-defined]
        marks = [getattr(pytest.mark, template.section)]
        if slow:
            marks.append(pytest.mark.slow)
        for mark in marks:
            fn = mark(fn)
        return fn

    return decorate


def case_template(obj: Any) -> CaseTemplate | None:
    """The template a test function was decorated with, if any."""
    template = getattr(obj, "wsspec_case", None)
    return template if isinstance(template, CaseTemplate) else None


#: every family of timer cases, by test function name (filled as case modules are imported).
TIMER_CASES: dict[str, TimerCases] = {}

_TIMERS_KEY = pytest.StashKey[dict[str, "ConcurrentObservations"]]()


@dataclass(frozen=True, eq=False)
class TimerCases:
    """Cases that watch a timer of the target (a heartbeat, a handshake deadline):
    the calls of the test function ``test_name`` whose parameter ``param`` names
    one of ``observations``.

    Declared at module level next to the cases. When the run's target is up, the
    plugin begins the observations of the selected cases at once, in the
    background (:func:`start_timer_cases`), so a worker runs other cases while
    the timers run; the cases' fixture returns the batch with :meth:`batch`.
    """

    test_name: str
    param: str
    observations: Mapping[str, Observation]

    def __post_init__(self) -> None:
        TIMER_CASES[self.test_name] = self

    def batch(self, request: pytest.FixtureRequest) -> ConcurrentObservations:
        """This run's observations of the family (made, not begun, if the plugin
        did not begin them)."""
        batches = request.session.stash.setdefault(_TIMERS_KEY, {})
        if self.test_name not in batches:
            batches[self.test_name] = self._select(request.session.items)
        return batches[self.test_name]

    def _select(self, items: Iterable[pytest.Item]) -> ConcurrentObservations:
        from wsspec.dsl import ConcurrentObservations

        # A skip inside an observation is its case's result, like a failure.
        return ConcurrentObservations.of_selected(
            items, self.test_name, self.param, self.observations,
            outcomes=(Exception, pytest.skip.Exception))


def start_timer_cases(session: pytest.Session, target: Target,
                      runnable: Callable[[pytest.Item], bool]) -> list[ConcurrentObservations]:
    """Begin, in the background, the observations of every selected timer case
    that ``runnable`` lets run (its profile needs met); returns the batches begun.
    Under xdist every worker begins them, not knowing which worker will run the
    cases: watching a timer costs a connection, not time."""
    items = [item for item in session.items if runnable(item)]
    batches = session.stash.setdefault(_TIMERS_KEY, {})
    started = []
    for timers in TIMER_CASES.values():
        batch = timers._select(items)
        batches[timers.test_name] = batch
        batch.start(target)
        started.append(batch)
    return started
