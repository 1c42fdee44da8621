"""The compatibility matrix is opt-in.

Tests marked ``compat`` build a fresh virtual environment per group of
third-party pytest plugins (pytest-django, pytest-asyncio, anyio, ...), install
wsspec beside them and run a user's test suite and the conformance cases in
it: minutes of work. An ordinary ``python -m pytest`` skips them, with the
reason; they run when ``WSSPEC_COMPAT=1`` is set, as ``tox -e compat`` does.
The quick checks of this folder (a user's own ``client`` fixture, a user's
async hook, the fixture names) are not marked and always run.
"""

from __future__ import annotations

import os

import pytest

SWITCH = "WSSPEC_COMPAT"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(SWITCH, "").strip() not in ("", "0"):
        return
    skip = pytest.mark.skip(
        reason=f"the plugin compatibility matrix is opt-in: set {SWITCH}=1 or run "
        "`tox -e compat`")
    for item in items:
        if item.get_closest_marker("compat") is not None:
            item.add_marker(skip)
