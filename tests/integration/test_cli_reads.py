"""Read commands start light: `list`, `var get` and `logs` load no SSH, HTTP, Jinja, Docker or Qt
(measured with `python -X importtime`, as a user would profile a slow command)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

HEAVY = ("paramiko", "aiohttp", "jinja2", "PySide6", "docker", "httpx")


def _modules(cli: Any, *args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "cronium_desktop", *args],
                          env=cli.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("args", [("list", "events"), ("list", "runs"), ("list", "variables"),
                                  ("var", "get", "region"), ("logs", "hello")])
def test_read_commands_read_with_core_alone(cli: Any, args: tuple[str, ...]) -> None:
    """They start in about the time SQLAlchemy takes to import: no SSH, HTTP, templates or Qt, and
    neither the ORM, the mapped models nor the secrets' cryptography (engine/store/tables.py)."""
    assert cli("var", "set", "region", "eu").code == 0
    assert cli("import", "/dev/stdin", stdin='{"format": "cronium-desktop", "version": 1, "events": [{"key": "h", '
               '"name": "hello", "type": "BASH", "content": "echo hi"}]}').code == 0
    assert cli("run", "hello").code == 0

    loaded = _modules(cli, *args)

    assert "sqlalchemy" in loaded  # it did read the store
    top_level = {name.split(".")[0] for name in loaded}
    assert not top_level & set(HEAVY), f"{' '.join(args)} loaded {sorted(top_level & set(HEAVY))}"
    assert not loaded & {"sqlalchemy.orm", "cronium_desktop.engine.store.models", "cryptography"}, sorted(loaded)


def test_list_events_shows_next_runs_planned_around_calendars_and_last_results(cli: Any) -> None:
    assert cli("calendar", "add", "Germany", "--country", "de").code == 0
    document = {"format": "cronium-desktop", "version": 1, "events": [
        {"key": "r", "name": "New year report", "type": "BASH", "content": "true", "status": "ACTIVE",
         "trigger": "SCHEDULE", "timezone": "Europe/Berlin",
         "schedule": {"cron": "0 9 1 1 *", "calendar": "Germany", "on_calendar_day": "NEXT_BUSINESS_DAY"}},
        {"key": "c", "name": "cleanup", "type": "BASH", "content": "exit 3"},
    ]}
    assert cli("import", "/dev/stdin", stdin=json.dumps(document)).code == 0
    assert cli("run", "cleanup").code == 1

    listed = {e["name"]: e for e in json.loads(cli("list", "events", "--json").stdout)}

    next_run = datetime.fromisoformat(listed["New year report"]["next_run"])
    assert next_run == datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # 1 January is a holiday: the next business day
    assert listed["cleanup"]["last_status"] == "FAILURE" and listed["cleanup"]["execution_count"] == 1


def test_commands_that_change_the_store_load_no_http_ssh_templates_docker_or_qt(cli: Any) -> None:
    """Only the process that owns the folder listens for webhooks, and only a run or a tool that
    sends loads aiohttp: `var set`, `settings set` and `event set` start without any of them."""
    assert cli("import", "/dev/stdin", stdin='{"format": "cronium-desktop", "version": 1, "events": [{"key": "h", '
               '"name": "hello", "type": "BASH", "content": "echo hi"}]}').code == 0
    for args in (("var", "set", "region", "eu"), ("settings", "set", "concurrency", "4"),
                 ("event", "set", "hello", "timeout_seconds=30")):
        loaded = {name.split(".")[0] for name in _modules(cli, *args)}
        assert not loaded & {*HEAVY, "aiosmtplib"}, f"{' '.join(args)} loaded {sorted(loaded & {*HEAVY, 'aiosmtplib'})}"
    assert cli("var", "get", "region").stdout.strip() == "eu"
    # Reading a setting is a read command: no executors, no run queue, none of the engine behind them.
    assert "cronium_desktop.engine.engine" not in _modules(cli, "settings", "get", "concurrency")
