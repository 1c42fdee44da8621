"""The profiles shown with the chat example are valid profiles."""

from __future__ import annotations

import re
import sys

from conftest import REPO
from wsspec.profile import load_profile, parse_profile

CHAT = REPO / "targets" / "examples" / "chat"


def test_chat_profile_loads() -> None:
    profile = load_profile(CHAT / "profile.toml")
    assert profile.auth is not None and profile.auth.schemes == ("query",)
    assert profile.heartbeat is not None and profile.limits is not None


def test_gin_profile_of_the_readme_loads() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - 3.10 only
        import tomli as tomllib

    text = (CHAT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1
    profile = parse_profile(tomllib.loads(blocks[0]), "README gin profile")
    assert profile.paths == ("/ws",)
    assert profile.origin is not None and profile.origin.allowed == ("https://chat.example",)
