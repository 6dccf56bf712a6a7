"""Application settings kept in the store's `settings` table, with their defaults."""

from __future__ import annotations

from typing import Any

from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.store.models import Setting

DEFAULTS: dict[str, Any] = {
    "concurrency": 8,  # runs at once, all events together
    "interpreters": {},  # {"PYTHON": "/usr/bin/python3.12", ...}; empty = found on PATH
    "health_check_seconds": 60,
    "webhook_port": 8787,
    "theme": "system",  # system, light, dark
    "log_retention_days": 90,
    "notifications": True,  # a desktop notification when a run fails, times out or is partial
}


class Settings:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str) -> Any:
        if key not in DEFAULTS:
            raise KeyError(f"Unknown setting {key!r}.")
        with self._db.read() as session:
            row = session.get(Setting, key)
            return DEFAULTS[key] if row is None else row.value

    def set(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(f"Unknown setting {key!r}.")
        with self._db.write() as session:
            row = session.get(Setting, key)
            if row is None:
                session.add(Setting(key=key, value=value))
            else:
                row.value = value

    def all(self) -> dict[str, Any]:
        with self._db.read() as session:
            stored = {row.key: row.value for row in session.query(Setting)}
        return {key: stored.get(key, default) for key, default in DEFAULTS.items()}
