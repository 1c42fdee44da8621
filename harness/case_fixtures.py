"""The fixtures only the cases see.

The plugin parses this module's fixtures onto each case module's collector
(``_CaseModule`` in :mod:`wsspec.plugin`), not onto the session: they are
visible to the cases alone, and there they win over a fixture of the same
name from another plugin (pytest-django's ``client``, say) or from a user's
``conftest.py`` outside the cases' folder. A user's own tests never see them.
The cases keep their short parameter names; the plugin's session-wide
fixtures carry the ``wsspec_`` prefix instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from wsspec.runstate import RECORD_KEY

if TYPE_CHECKING:
    from wsspec.dsl import Client, Target

__all__ = ["client"]


@pytest.fixture
def client(request: pytest.FixtureRequest, wsspec_target: Target) -> Client:
    """A conversation client for one case; its connections close after the case."""
    from wsspec.dsl import Client
    from wsspec.verdicts import CaseRecord

    record = request.node.stash.get(RECORD_KEY, None)
    if record is None:
        record = CaseRecord(request.node.nodeid, "misc", request.node.name, "", "", None)
        request.node.stash[RECORD_KEY] = record
    return Client(wsspec_target, record)
