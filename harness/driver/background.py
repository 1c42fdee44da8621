"""An async function run on an event loop of its own, in a thread, awaited from another loop.

A case that watches a timer of the target (a heartbeat, a handshake deadline)
mostly waits. Started in a :class:`BackgroundRun` when the run begins, it waits
while the other cases run; the case that grades it then only awaits the end
with :meth:`BackgroundRun.wait`, from its own asyncio or trio loop. Nothing
polls: the thread wakes the waiting loop when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable

from wsspec.driver import running_trio

__all__ = ["BackgroundRun"]


class BackgroundRun:
    """``async_fn()`` run to its end on a fresh ``driver`` loop in a daemon thread.

    :meth:`start` begins it; :meth:`wait` (from inside any asyncio or trio loop)
    returns once it has ended; :meth:`cancel` asks it to stop and waits a bounded
    time for the thread. The result of ``async_fn`` is not kept: it reports
    through its own objects. An exception it raises is kept in :attr:`error`.
    """

    def __init__(self, driver: str, async_fn: Callable[[], Awaitable[None]]) -> None:
        self._driver = driver
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
            if self._driver == "trio":
                import trio

                trio.run(self._trio_main)
            else:
                asyncio.run(self._asyncio_main())
        except BaseException as exc:
            self.error = exc
        finally:
            with self._lock:
                self._ended = True
                callbacks, self._callbacks = self._callbacks, []
                self._stop = None
            for callback in callbacks:
                callback()

    async def _asyncio_main(self) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        with self._lock:
            if self._cancelled:
                return

            def stop() -> None:
                loop.call_soon_threadsafe(task.cancel)

            self._stop = stop
        try:
            await self._async_fn()
        except asyncio.CancelledError:
            if not self._cancelled:
                raise

    async def _trio_main(self) -> None:
        import trio

        token = trio.lowlevel.current_trio_token()
        with trio.CancelScope() as scope:
            with self._lock:
                if self._cancelled:
                    return
                self._stop = lambda: token.run_sync_soon(scope.cancel)
            await self._async_fn()

    def _when_ended(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if not self._ended:
                self._callbacks.append(callback)
                return
        callback()

    async def wait(self) -> None:
        """Return once the run has ended; called inside an asyncio or trio loop
        (cancel the caller to stop waiting: the run goes on)."""
        if self._ended:
            return
        if running_trio():
            import trio

            token = trio.lowlevel.current_trio_token()
            event = trio.Event()

            def wake_trio() -> None:
                with contextlib.suppress(trio.RunFinishedError):
                    token.run_sync_soon(event.set)

            self._when_ended(wake_trio)
            await event.wait()
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def settle() -> None:
            if not future.done():
                future.set_result(None)

        def wake_asyncio() -> None:
            # RuntimeError: that loop is closed, nobody waits any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle)

        self._when_ended(wake_asyncio)
        await future

    def cancel(self, grace: float = 2.0) -> None:
        """Stop the run (from any thread but its own) and wait up to ``grace`` s for it."""
        with self._lock:
            self._cancelled = True
            stop = self._stop
        if stop is not None:
            # It ended meanwhile (trio.RunFinishedError is a RuntimeError too).
            with contextlib.suppress(RuntimeError):
                stop()
        if self._thread.is_alive():
            self._thread.join(grace)

