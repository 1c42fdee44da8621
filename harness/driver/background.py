"""An async function run on an event loop of its own, in a thread, awaited from another loop.

A case that watches a timer of the target (a heartbeat, a handshake deadline)
mostly waits. Started in a :class:`BackgroundRun` when the run begins, it waits
while the other cases run; the case that grades it then only awaits the end
with :meth:`BackgroundRun.wait`, from its own loop. Nothing polls: the thread
wakes the waiting loop when it ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable

from wsspec.driver.runtime import Runtime, current_runtime

__all__ = ["BackgroundRun"]


class BackgroundRun:
    """``async_fn()`` run to its end on a fresh loop of ``runtime`` in a daemon thread.

    :meth:`start` begins it; :meth:`wait` (from inside any runtime's loop)
    returns once it has ended; :meth:`cancel` asks it to stop and waits a bounded
    time for the thread. The result of ``async_fn`` is not kept: it reports
    through its own objects. An exception it raises is kept in :attr:`error`.
    """

    def __init__(self, runtime: Runtime, async_fn: Callable[[], Awaitable[None]]) -> None:
        self._runtime = runtime
        self._async_fn = async_fn
        self._thread = threading.Thread(target=self._main, name="wsspec-background",
                                        daemon=True)
        self._lock = threading.Lock()
        self._ended = False
        self._cancelled = False
        self._callbacks: list[Callable[[], None]] = []
        self._stop: Callable[[], None] | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        try:
            self._runtime.run(self._stoppable)
        except BaseException as exc:
            self.error = exc
        finally:
            with self._lock:
                self._ended = True
                callbacks, self._callbacks = self._callbacks, []
                self._stop = None
            for callback in callbacks:
                callback()

    async def _stoppable(self) -> None:
        with self._lock:
            if self._cancelled:
                return
        await self._runtime.stoppable(self._async_fn, self._keep_stop)

    def _keep_stop(self, stop: Callable[[], None]) -> None:
        with self._lock:
            self._stop = stop
            cancelled = self._cancelled
        if cancelled:  # cancel() came between the check above and now
            stop()

    def _when_ended(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if not self._ended:
                self._callbacks.append(callback)
                return
        callback()

    async def wait(self) -> None:
        """Return once the run has ended; called inside any runtime's loop
        (cancel the caller to stop waiting: the run goes on)."""
        if self._ended:
            return
        await current_runtime().wait_wake(self._when_ended)

    def cancel(self, grace: float = 2.0) -> None:
        """Stop the run (from any thread but its own) and wait up to ``grace`` s for it."""
        with self._lock:
            self._cancelled = True
            stop = self._stop
        if stop is not None:
            # It ended meanwhile: its loop is gone.
            with contextlib.suppress(RuntimeError):
                stop()
        if self._thread.is_alive():
            self._thread.join(grace)
