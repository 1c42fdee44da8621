"""The registry of outputs: every file a run writes, each made from the report document alone.

A format is one module of :mod:`wsspec.reporting.formats` that decorates its writer with
:func:`output`. :func:`write_outputs` imports every module of that package and calls the
registered writers in their order (``report.json`` first), so any output can be rebuilt
later from a saved ``report.json``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wsspec.reporting import formats


@dataclass(frozen=True)
class OutputOptions:
    """What the run asks of its outputs beyond the report itself."""

    #: ``--pcap``: ``"all"``, ``"failed"``, or None for no captures.
    pcap: str | None = None


#: a writer: the report, the report folder and the options in, the paths written out.
Writer = Callable[[Mapping[str, Any], Path, OutputOptions], list[Path]]


@dataclass(frozen=True)
class Output:
    """One registered output."""

    name: str
    order: int
    write: Writer


_REGISTRY: dict[str, Output] = {}


def output(name: str, order: int) -> Callable[[Writer], Writer]:
    """Register the decorated writer as the output ``name``; lower ``order`` runs first."""

    def register(write: Writer) -> Writer:
        known = _REGISTRY.get(name)
        if known is not None and (known.write.__module__, known.write.__qualname__) != (
                write.__module__, write.__qualname__):
            raise ValueError(f"two report outputs are named {name!r}")
        _REGISTRY[name] = Output(name, order, write)
        return write

    return register


def registered() -> list[Output]:
    """Every output, in the order they are written (importing each format module once)."""
    for module in pkgutil.iter_modules(formats.__path__):
        importlib.import_module(f"{formats.__name__}.{module.name}")
    return sorted(_REGISTRY.values(), key=lambda o: (o.order, o.name))


def write_outputs(report: Mapping[str, Any], directory: Path,
                  pcap: str | None = None) -> list[Path]:
    """Write every registered output of ``report`` into ``directory``; the paths written."""
    options = OutputOptions(pcap=pcap)
    written: list[Path] = []
    for out in registered():
        written += out.write(report, directory, options)
    return written
