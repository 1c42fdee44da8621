"""Drivers: the only place the suite touches sockets.

Pick one by name with :func:`make_driver` inside the event loop that
:func:`run_with` starts for the same name::

    async def case() -> None:
        driver = make_driver("trio", wirelog)
        await driver.connect("127.0.0.1", 9001)
        ...

    run_with("trio", case)
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from wsspec.driver.asyncio_driver import AsyncioDriver
from wsspec.driver.base import (
    READ_CHUNK,
    ConnectFailed,
    Driver,
    DriverError,
    StreamEnd,
    TLSOptions,
)
from wsspec.wirelog import WireLog

if TYPE_CHECKING:
    from wsspec.driver.trio_driver import TrioDriver

__all__ = [
    "DRIVERS",
    "READ_CHUNK",
    "AsyncioDriver",
    "ConnectFailed",
    "Driver",
    "DriverError",
    "StreamEnd",
    "TLSOptions",
    "TrioDriver",
    "make_driver",
    "run_with",
    "running_trio",
]

T = TypeVar("T")


def _trio_driver(wirelog: WireLog) -> Driver:
    # trio is imported by the runs that use it only: it costs every process a start-up.
    from wsspec.driver.trio_driver import TrioDriver

    return TrioDriver(wirelog)


#: driver factories by the name users give on the command line.
DRIVERS: dict[str, Callable[[WireLog], Driver]] = {
    "asyncio": AsyncioDriver,
    "trio": _trio_driver,
}


def __getattr__(name: str) -> Any:
    if name == "TrioDriver":
        from wsspec.driver.trio_driver import TrioDriver

        return TrioDriver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def running_trio() -> bool:
    """Whether the caller runs inside a trio event loop (asyncio otherwise)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


def _check_name(name: str) -> None:
    if name not in DRIVERS:
        choices = ", ".join(sorted(DRIVERS))
        raise ValueError(f"unknown driver {name!r}: choose one of {choices}")


def make_driver(name: str, wirelog: WireLog) -> Driver:
    """A new, unconnected driver called ``name``, recording into ``wirelog``.

    Call it inside the event loop :func:`run_with` started for the same name.
    Raises ValueError naming the valid choices for an unknown name.
    """
    _check_name(name)
    return DRIVERS[name](wirelog)


def run_with(driver_name: str, async_fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``async_fn()`` to completion on a fresh event loop for ``driver_name``
    (``asyncio.run`` or ``trio.run``) and return its result.

    Raises ValueError for an unknown name, before starting any loop.
    """
    _check_name(driver_name)

    async def main() -> T:
        return await async_fn()

    if driver_name == "trio":
        import trio

        return trio.run(main)
    return asyncio.run(main())
