"""Cases that watch a timer of the target, observed at once and graded one by one.

The observations run on the case's runtime, or in the background on a loop of
their own (:class:`~wsspec.driver.background.BackgroundRun`); which pytest
cases are selected, and which exceptions report a result, the catalogue
(:mod:`wsspec.cases`) decides.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from wsspec.driver import gather, get_runtime
from wsspec.driver.background import BackgroundRun
from wsspec.dsl.client import Client, Target
from wsspec.verdicts import CaseRecord, HarnessError

__all__ = ["ConcurrentObservations", "Observation"]

#: what a case body does, given its client.
Observation = Callable[[Client], Awaitable[None]]


class ConcurrentObservations:
    """Cases that watch a timer of the target, run at once and graded one by one.

    A case that checks a heartbeat or a handshake deadline lasts as long as
    the timer it watches; run one after the other, such cases cost the sum of
    their timers. Here the first :meth:`take` runs every observation not yet
    run, at once, each with a client and a record of its own; each
    :meth:`take` then hands one result to its case: the wire log, what was
    expected and observed, the downgrades, and the exception the observation
    raised, raised again. A group of timer cases costs about its longest timer.

    ``outcomes`` are the exceptions an observation may end with as its case's
    result (a failure, a skip), kept for its :meth:`take`; any other ends the
    batch.
    """

    def __init__(self, observations: Mapping[str, Observation], *,
                 outcomes: tuple[type[BaseException], ...] = (Exception,)) -> None:
        self._waiting = dict(observations)
        self._outcomes = outcomes
        self._done: dict[str, tuple[CaseRecord, BaseException | None]] = {}
        self._background: BackgroundRun | None = None
        self._in_background: set[str] = set()

    @classmethod
    def of_selected(cls, items: Iterable[Any], test_name: str, param: str,
                    table: Mapping[str, Observation], *,
                    outcomes: tuple[type[BaseException], ...] = (Exception,),
                    ) -> ConcurrentObservations:
        """The observations of ``table`` whose cases are among ``items`` (a run's
        pytest items): calls of the test function ``test_name`` whose parameter
        ``param`` holds the key."""
        keys = {item.callspec.params.get(param) for item in items
                if getattr(item, "originalname", None) == test_name
                and hasattr(item, "callspec")}
        return cls({key: observe for key, observe in table.items() if key in keys},
                   outcomes=outcomes)

    async def take(self, key: str, client: Client) -> None:
        """Grade ``client``'s case by the observation ``key`` (run now if need be)."""
        if key not in self._done and key in self._in_background:
            assert self._background is not None
            await self._background.wait()
            if key not in self._done:
                raise HarnessError(f"the observation {key!r}, started when the run began, "
                                   f"ended without a result: {self._background.error!r}")
        if key not in self._done:
            if key not in self._waiting:
                raise HarnessError(f"no observation {key!r} was planned for this run")
            await self._run_waiting(client.target)
        record, error = self._done.pop(key)
        into = client.record
        dropped = record.wirelog.dropped
        into.wirelog.event("observed at once with other timer cases; the times below count "
                           "from the start of the observation"
                           + (f" ({dropped} entries not kept)" if dropped else ""))
        into.wirelog.entries.extend(record.wirelog.entries)
        if record.expected or record.observed:
            into.observe(record.expected, record.observed)
        into.verdict = into.verdict.worse(record.verdict)
        into.notes.extend(record.notes)
        if error is not None:
            raise error

    def start(self, target: Target) -> None:
        """Begin every observation not yet run, now, at once, on an event loop
        of their own in a thread: the run's other cases go on meanwhile, and a
        :meth:`take` only waits for what is left of the timers."""
        if not self._waiting:
            return
        waiting = dict(self._waiting)
        self._in_background.update(waiting)
        self._background = BackgroundRun(get_runtime(target.driver),
                                         functools.partial(self._run_waiting, target))
        self._background.start()

    def stop(self) -> None:
        """Stop observations begun by :meth:`start` (at the end of the run:
        those whose cases ran elsewhere, on another xdist worker)."""
        if self._background is not None:
            self._background.cancel()

    async def _run_waiting(self, target: Target) -> None:
        waiting, self._waiting = self._waiting, {}

        async def observe(key: str, observation: Observation) -> None:
            record = CaseRecord(key, "", key, "", "", None)
            client = Client(target, record)
            error: BaseException | None = None
            try:
                await observation(client)
            except self._outcomes as exc:
                error = exc
            finally:
                await client.aclose()
            self._done[key] = (record, error)

        await gather(*(functools.partial(observe, key, observation)
                       for key, observation in waiting.items()))
