"""The client profile and the client options: strict, and one clear line for a bad value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_tool
from wsspec.clientside.profile import (
    ClientProfile,
    HeartbeatPolicy,
    ReconnectPolicy,
    load_client_profile,
    parse_client_profile,
)
from wsspec.clientside.run import read_client_settings
from wsspec.profile import ProfileError
from wsspec.settings import SettingsError
from wsspec.targets.clients.reference import REFERENCE_CLIENT_PROFILE


def test_a_full_profile_loads() -> None:
    profile = parse_client_profile({
        "echo": True, "subprotocols": ["chat.v1"], "origin": "https://app.example",
        "deflate": {"enabled": True},
        "heartbeat": {"ping_interval": 5, "timeout": 12.5},
        "reconnect": {"enabled": True, "initial_delay": 0.5, "max_delay": 30},
    })
    assert profile == ClientProfile(True, ("chat.v1",), "https://app.example", True,
                                    HeartbeatPolicy(5.0, 12.5), ReconnectPolicy(True, 0.5, 30.0))
    assert profile.lacks(["echo", "origin", "reconnect", "heartbeat", "deflate"]) == []
    assert ClientProfile().lacks(["echo", "origin", "subprotocols"]) == ["origin",
                                                                         "subprotocols"]
    assert load_client_profile(REFERENCE_CLIENT_PROFILE).origin == "http://wsspec.test"


@pytest.mark.parametrize(("data", "message"), [
    ({"echos": True}, "echos: unknown key"),
    ({"echo": "yes"}, "echo: expected true or false"),
    ({"subprotocols": "chat"}, "subprotocols: expected a list of strings"),
    ({"subprotocols": ["chat", 1]}, r"subprotocols\[1\]: expected a string"),
    ({"origin": ""}, "origin: expected an origin"),
    ({"heartbeat": {"ping_interval": True}}, "heartbeat.ping_interval: expected a number"),
    ({"heartbeat": {"ping_interval": 5, "timeout": 1}}, "heartbeat.timeout .* is below"),
    ({"reconnect": {"initial_delay": -1}}, "reconnect.initial_delay: expected a positive"),
    ({"reconnect": {"initial_delay": 9, "max_delay": 2}}, "reconnect.max_delay .* is below"),
    ({"reconnect": {"jitter": 1}}, "reconnect.jitter: unknown key"),
    ({"deflate": True}, r"deflate: expected a \[deflate\] table"),
])
def test_a_bad_profile_names_the_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_client_profile(data, "client.toml")


def _settings(**values: str) -> Any:
    return read_client_settings(lambda name: values.get(name.replace("-", "_")))


def test_client_settings(tmp_path: Path) -> None:
    assert _settings() is None
    settings = _settings(client_cmd="node client.js {url}",
                         client_profile=str(REFERENCE_CLIENT_PROFILE))
    assert settings.command == "node client.js {url}"
    assert settings.profile.subprotocols == ("chat.v1", "chat.v2")
    with pytest.raises(SettingsError, match=r"must contain \{url\}"):
        _settings(client_cmd="node client.js")
    with pytest.raises(SettingsError, match="exclude each other"):
        _settings(client_cmd="c {url}", target="ws://127.0.0.1:1/")
    with pytest.raises(SettingsError, match="needs --client-cmd"):
        _settings(client_profile="x.toml")
    (tmp_path / "bad.toml").write_text("echo = 1\n")
    with pytest.raises(SettingsError, match=r"bad\.toml: echo: expected true or false"):
        _settings(client_cmd="c {url}", client_profile=str(tmp_path / "bad.toml"))


@pytest.mark.parametrize(("args", "message"), [
    (["wsspec", "client"], "wsspec client needs --client-cmd"),
    (["wsspec", "client", "--client-cmd", "node client.js"], "must contain {url}"),
    (["--client-cmd=c {url}", "--client-profile=missing.toml"], "missing.toml"),
    (["--client-cmd=c {url}", "--target=ws://127.0.0.1:9/"], "exclude each other"),
])
def test_bad_client_options_get_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    run = run_tool(args, tmp_path)
    assert run.returncode != 0
    lines = [line for line in run.output.splitlines() if "ERROR" in line]
    assert len(lines) == 1 and message in lines[0], run.output[-2000:]
