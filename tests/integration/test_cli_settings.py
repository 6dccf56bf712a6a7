"""`cronium-desktop settings get|set` through the real CLI on a real data folder (SPEC §9)."""

from __future__ import annotations

import pytest

from tests.conftest import Cli

pytestmark = pytest.mark.timeout(600)  # many real CLI processes each; slow on a busy machine


def test_settings_set_then_get_returns_the_new_value(cli: Cli) -> None:
    assert cli("settings", "get", "concurrency").stdout.strip() == "8"
    result = cli("settings", "set", "concurrency", "3", "--json")
    assert result.code == 0 and result.json() == {"key": "concurrency", "value": 3}
    assert cli("settings", "get", "concurrency", "--json").json() == 3
    assert cli("settings", "set", "notifications", "off").code == 0
    assert cli("settings", "set", "interpreters", '{"PYTHON": "/usr/bin/python3"}').code == 0
    everything = cli("settings", "get", "--json").json()
    assert isinstance(everything, dict)
    assert (everything["concurrency"], everything["notifications"], everything["interpreters"]) == (
        3, False, {"PYTHON": "/usr/bin/python3"})


BAD = [
    (("set", "concurrency", "0"), "concurrency"), (("set", "concurrency", "many"), "concurrency"),
    (("set", "theme", "purple"), "theme"), (("set", "colour", "red"), "colour"),
    (("set", "interpreters", "[1]"), "interpreters"), (("set", "editor", '{"fnt": "x"}'), "editor.fnt"),
    (("get", "colour"), "colour"),
]


def test_settings_refuses_bad_keys_and_values_and_changes_nothing(cli: Cli) -> None:
    before = cli("settings", "get", "--json").json()
    for args, field in BAD:
        result = cli("settings", *args)
        assert result.code == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {field}"), result.stderr
    assert cli("settings", "get", "--json").json() == before
