"""Third-party servers are opt-in.

Tests marked ``thirdparty`` start real servers (websockets, aiohttp, tornado,
wsproto, Node's ``ws``, Gin + gorilla/websocket) and run the whole suite
against each: minutes of work, and Node and Go toolchains where present. An
ordinary ``python -m pytest`` skips them, with the reason; they run when the
environment variable ``WSSPEC_THIRDPARTY`` is set to ``1``, as ``tox -e
thirdparty`` does. An environment variable rather than a command-line option:
an option declared here would be known only when this folder is named on the
command line, and ``-m`` stays free for the user's own selection.
"""

from __future__ import annotations

import os

import pytest

SWITCH = "WSSPEC_THIRDPARTY"


def enabled() -> bool:
    """Whether the third-party tests were asked for."""
    return os.environ.get(SWITCH, "").strip() not in ("", "0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if enabled():
        return
    skip = pytest.mark.skip(
        reason=f"third-party servers are opt-in: set {SWITCH}=1 or run `tox -e thirdparty`")
    for item in items:
        if item.get_closest_marker("thirdparty") is not None:
            item.add_marker(skip)
