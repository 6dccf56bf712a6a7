"""Application settings kept in the store's `settings` table, with their defaults."""

from __future__ import annotations

import copy
import time
from typing import Any

from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.store.models import Setting

DEFAULTS: dict[str, Any] = {
    "concurrency": 8,  # runs at once, all events together
    "interpreters": {},  # {"PYTHON": "/usr/bin/python3.12", ...}; empty = found on PATH
    "health_check_seconds": 60,
    "webhook_port": 8787,
    "theme": "system",  # system, light, dark
    # Run history (engine/retention.py): kept this many days (0 = any age), and at most this many
    # runs per event and per workflow (0 = no cap).
    "log_retention_days": 90,
    "max_runs_per_event": 10_000,
    "log_cap_mb": 100,  # what one run's log keeps: the first and the last half of it
    "on_stop": "stop",  # what a stopping app does with local runs going on: "stop" them or "let_finish"
    # Container runs: the image per event type when an event names none, and the Docker endpoint
    # ("" = DOCKER_HOST, else the platform's default socket).
    "container_images": {"BASH": "bash:5", "PYTHON": "python:3.12-slim", "NODEJS": "node:22-slim"},
    "docker_endpoint": "",
    # The script editor: font family and size (empty/0 = the system's fixed font), zoom steps, palette.
    "editor": {"font": "", "size": 0, "zoom": 0, "high_contrast": False},
    "notifications": True,  # a desktop notification when a run fails, times out or is partial
    "workflow_nesting_limit": 5,  # how deep workflows may run workflows (WORKFLOW nodes)
    # Late and slow run alerts, the default of every event (engine/alerts.py): 0 turns a rule off;
    # "tool" names a tool credential that also gets each alert.
    "alerts": {"late_seconds": 300, "slow_factor": 0, "slow_seconds": 0, "tool": ""},
    "version_retention": 0,  # versions kept per event/workflow by `versions prune`; 0 keeps all
}


CACHE_SECONDS = 1.0


class Settings:
    """Settings read through a short cache: every run reads a few of them, they change on edit.

    `set` in this process drops its entry at once; a change made by another process (the CLI
    while the window runs) shows within `CACHE_SECONDS`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        if key not in DEFAULTS:
            raise KeyError(f"Unknown setting {key!r}.")
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return copy.deepcopy(cached[1])
        with self._db.read() as session:
            row = session.get(Setting, key)
            value = DEFAULTS[key] if row is None else row.value
        self._cache[key] = (time.monotonic(), value)
        return copy.deepcopy(value)

    def set(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(f"Unknown setting {key!r}.")
        with self._db.write() as session:
            row = session.get(Setting, key)
            if row is None:
                session.add(Setting(key=key, value=value))
            else:
                row.value = value
        self._cache.pop(key, None)

    def forget(self) -> None:
        """Drop every cached value: another process changed settings."""
        self._cache.clear()

    def all(self) -> dict[str, Any]:
        with self._db.read() as session:
            stored = {row.key: row.value for row in session.query(Setting)}
        return {key: stored.get(key, default) for key, default in DEFAULTS.items()}
