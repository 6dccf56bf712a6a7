"""Read commands start light: `list`, `var get` and `logs` load no SSH, HTTP, Jinja, Docker or Qt
(measured with `python -X importtime`, as a user would profile a slow command)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

HEAVY = ("paramiko", "aiohttp", "jinja2", "PySide6", "docker", "httpx")


def _imported(cli: Any, *args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "cronium_desktop", *args],
                          env=cli.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("args", [("list", "events"), ("list", "runs"), ("list", "variables"),
                                  ("var", "get", "region"), ("logs", "hello")])
def test_read_commands_load_no_ssh_http_templates_or_qt(cli: Any, args: tuple[str, ...]) -> None:
    assert cli("var", "set", "region", "eu").code == 0
    assert cli("import", "/dev/stdin", stdin='{"format": "cronium-desktop", "version": 1, "events": [{"key": "h", '
               '"name": "hello", "type": "BASH", "content": "echo hi"}]}').code == 0

    loaded = _imported(cli, *args)

    assert "sqlalchemy" in loaded  # it did read the store
    assert not loaded & set(HEAVY), f"{' '.join(args)} loaded {sorted(loaded & set(HEAVY))}"
