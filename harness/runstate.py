"""Where a run's state lives on pytest's objects, and where the cases live.

The plugin stashes each case's metadata (:data:`INFO_KEY`) and record
(:data:`RECORD_KEY`) on the case's item, and the run's settings
(:data:`SETTINGS_KEY`) and early stop (:data:`EARLY_STOP_KEY`) on the config.
The fuzz case, the case catalogue and the command read them through this
module, which sits below the plugin: none of them imports the plugin.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from wsspec.cases import CaseInfo
    from wsspec.earlystop import EarlyStop
    from wsspec.settings import Settings
    from wsspec.verdicts import CaseRecord

__all__ = ["CONFORMANCE_DIR", "CONFORMANCE_PACKAGE", "EARLY_STOP_KEY", "INFO_KEY", "RECORD_KEY",
           "SETTINGS_KEY"]

CONFORMANCE_PACKAGE = "wsspec.conformance"


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"the package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


#: the folder of ``wsspec.conformance``, wherever packaging put it (``conformance/`` in a
#: checkout, ``wsspec/conformance/`` in an installed wheel); found without importing it.
CONFORMANCE_DIR = _package_dir(CONFORMANCE_PACKAGE)

INFO_KEY: pytest.StashKey[CaseInfo] = pytest.StashKey()
RECORD_KEY: pytest.StashKey[CaseRecord] = pytest.StashKey()
SETTINGS_KEY: pytest.StashKey[Settings] = pytest.StashKey()
#: the run's early stop (:mod:`wsspec.earlystop`), in every process that runs cases
EARLY_STOP_KEY: pytest.StashKey[EarlyStop] = pytest.StashKey()
