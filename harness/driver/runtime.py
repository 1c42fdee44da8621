"""The runtime seam: what the suite asks of an event-loop library, behind one interface.

A :class:`Runtime` is one event-loop library (asyncio, trio). It runs a
coroutine function to completion, with a deadline if asked; opens connections
(a :class:`~wsspec.driver.base.Driver` per connection); sleeps; bounds a call
with a deadline; runs calls at once; and, for a loop parked in a thread
(:class:`~wsspec.driver.background.BackgroundRun`), lets another thread stop
it or wake a loop that waits for it. Everything above the drivers is written
against this interface, so nothing outside this package names an event-loop
library, and a driver is one module (``<name>_driver.py``: the registry in
:mod:`wsspec.driver` finds it by its file name and takes its ``RUNTIME``).
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from wsspec.driver.base import Driver
    from wsspec.wirelog import WireLog

__all__ = ["DeadlineExceeded", "Runtime", "current_runtime", "gather"]

T = TypeVar("T")

#: the runtime whose loop runs in this thread (set by :meth:`Runtime.run`).
_running = threading.local()


class DeadlineExceeded(Exception):
    """A call bounded by a deadline did not end before it, and was cancelled."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"did not finish within {seconds:g} s")
        self.seconds = seconds


class Runtime(abc.ABC):
    """One event-loop library, as the suite uses it.

    :meth:`run` is called outside any loop; every other method inside the
    loop :meth:`run` started (the coroutine methods), or from any thread (the
    functions the ``on_stop`` and ``on_wake`` callbacks receive).
    """

    #: the driver name users give on the command line (``--driver``).
    name: str

    def run(self, async_fn: Callable[[], Awaitable[T]], *, timeout: float | None = None) -> T:
        """Run ``async_fn()`` to completion on this runtime's loop, in the calling
        thread, and return its result (or raise what it raised).

        With ``timeout``, ``async_fn()`` is cancelled after that many seconds and
        :class:`DeadlineExceeded` raised. Inside, :func:`current_runtime` is this one.
        """
        main = async_fn
        if timeout is not None:
            seconds = timeout

            async def bounded() -> T:
                return await self.within(seconds, async_fn)

            main = bounded
        previous = getattr(_running, "runtime", None)
        _running.runtime = self
        try:
            return self._run(main)
        finally:
            _running.runtime = previous

    @abc.abstractmethod
    def _run(self, async_fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``async_fn()`` to completion on a loop of this library in this thread."""

    @abc.abstractmethod
    def connection(self, wirelog: WireLog) -> Driver:
        """A new, unconnected driver on this runtime, recording into ``wirelog``."""

    @abc.abstractmethod
    async def within(self, seconds: float, async_fn: Callable[[], Awaitable[T]]) -> T:
        """``await async_fn()``, cancelled after ``seconds`` with :class:`DeadlineExceeded`."""

    @abc.abstractmethod
    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (0 or less: yield to the loop once)."""

    @abc.abstractmethod
    async def run_all(self, calls: Sequence[Callable[[], Awaitable[None]]]) -> None:
        """Run ``calls`` at once and return once all have ended (they do not raise)."""

    @abc.abstractmethod
    async def stoppable(self, async_fn: Callable[[], Awaitable[None]],
                        on_stop: Callable[[Callable[[], None]], None]) -> None:
        """``await async_fn()``, first handing ``on_stop`` a function that any thread
        may call to cancel it; a call so cancelled returns normally. The function
        raises RuntimeError once this loop has ended."""

    @abc.abstractmethod
    async def wait_wake(self, on_wake: Callable[[Callable[[], None]], None]) -> None:
        """Return once the function handed to ``on_wake`` has been called, from any
        thread; a call after this loop has ended is ignored."""


def current_runtime() -> Runtime:
    """The runtime whose loop runs the caller (RuntimeError outside :meth:`Runtime.run`)."""
    runtime = getattr(_running, "runtime", None)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("no wsspec runtime is running in this thread (see Runtime.run)")
    return runtime


async def gather(*calls: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Run ``calls`` at once on the running runtime and return their results in
    order. Every call runs to its end; the first exception raised, if any, is
    raised again afterwards."""
    results: list[Any] = [None] * len(calls)
    errors: list[Exception] = []

    def keep(index: int, call: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                results[index] = await call()
            except Exception as exc:  # kept for after the others have finished
                errors.append(exc)

        return run

    await current_runtime().run_all([keep(index, call) for index, call in enumerate(calls)])
    if errors:
        raise errors[0]
    return results
