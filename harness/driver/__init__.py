"""Drivers: the only place the suite touches sockets or names an event-loop library.

A driver is one module of this package, ``<name>_driver.py``: a
:class:`~wsspec.driver.base.Driver` class for one connection, and ``RUNTIME``,
its :class:`~wsspec.driver.runtime.Runtime`. The registry finds the modules by
their file names (so listing the names imports no event-loop library) and
imports one when it is first asked for::

    runtime = get_runtime("trio")

    async def case() -> None:
        driver = runtime.connection(wirelog)
        await driver.connect("127.0.0.1", 9001)
        ...

    runtime.run(case, timeout=60)
"""

from __future__ import annotations

import importlib
import pkgutil

from wsspec.driver.base import (
    READ_CHUNK,
    ConnectFailed,
    Driver,
    DriverError,
    StreamEnd,
    TLSOptions,
)
from wsspec.driver.runtime import DeadlineExceeded, Runtime, current_runtime, gather

__all__ = [
    "DRIVER_NAMES",
    "READ_CHUNK",
    "ConnectFailed",
    "DeadlineExceeded",
    "Driver",
    "DriverError",
    "Runtime",
    "StreamEnd",
    "TLSOptions",
    "current_runtime",
    "gather",
    "get_runtime",
]

_SUFFIX = "_driver"

#: the names ``--driver`` accepts, one per ``<name>_driver.py`` module of this package.
DRIVER_NAMES: tuple[str, ...] = tuple(sorted(
    module.name.removesuffix(_SUFFIX) for module in pkgutil.iter_modules(__path__)
    if module.name.endswith(_SUFFIX)))


def get_runtime(name: str) -> Runtime:
    """The runtime of the driver called ``name`` (its module imported on first use).

    Raises ValueError naming the valid choices for an unknown name.
    """
    if name not in DRIVER_NAMES:
        raise ValueError(f"unknown driver {name!r}: choose one of {', '.join(DRIVER_NAMES)}")
    runtime = importlib.import_module(f"{__name__}.{name}{_SUFFIX}").RUNTIME
    if not isinstance(runtime, Runtime):
        raise TypeError(f"{__name__}.{name}{_SUFFIX}.RUNTIME is not a Runtime")
    return runtime
