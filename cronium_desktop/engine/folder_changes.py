"""Changes other processes make to the data folder reach the running scheduler (SPEC §9).

The CLI writes the store directly while the window or `headless` runs. SQLite's `PRAGMA
data_version` tells, cheaply and on a connection of our own, that some other connection has
committed since the last look; only then is a fingerprint of what the scheduler and the views
depend on (event and workflow definitions, variables, settings, tools) compared with the
last one, and what differs is published as the same notices an edit in this process publishes:
the scheduler re-syncs those jobs, the run queue re-reads its limit, the window refreshes.

Counters the engine itself bumps on every run (execution_count, last_fire_at, updated_at) are left
out of the fingerprint, so a busy scheduler does not re-sync its jobs on each fire. Commits of this
process's own connections also change `data_version`; their notices were already published, and
publishing them again only re-applies the same state.
"""

from __future__ import annotations

import asyncio
import logging
import operator
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cronium_desktop.engine.notices import (
    EventsChanged,
    Notice,
    NoticeBus,
    SettingsChanged,
    ToolsChanged,
    VariablesChanged,
    WorkflowsChanged,
)

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25  # a change reaches the scheduler within about this, well inside the contract's second


@dataclass(frozen=True)
class Watched:
    """One table: the column naming what a row belongs to, and columns that change on every run."""

    table: str
    owner: str
    kind: str  # events, workflows, variables, settings, tools
    ignored: frozenset[str] = frozenset()


WATCHED = (
    Watched("events", "id", "events", frozenset({"execution_count", "last_fire_at", "updated_at"})),
    Watched("event_servers", "event_id", "events"),
    Watched("conditional_actions", "event_id", "events"),
    Watched("workflows", "id", "workflows", frozenset({"last_fire_at", "updated_at"})),
    Watched("workflow_nodes", "workflow_id", "workflows"),
    Watched("workflow_edges", "workflow_id", "workflows"),
    Watched("variables", "key", "variables"),
    Watched("settings", "key", "settings"),
    Watched("tools", "id", "tools", frozenset({"updated_at"})),
)

Fingerprint = dict[str, dict[Any, int]]  # kind → owner → digest of its rows
_MASK = (1 << 64) - 1


def fingerprint(connection: sqlite3.Connection) -> Fingerprint:
    """What the scheduler and the views depend on, one digest per event, workflow, key...

    Python's own tuple hash is the digest: it runs in C (the look stays a small multiple of merely
    reading the rows, see bench/folder_changes.py) and fingerprints are only compared within this
    process. A row's digest is added to its owner's, so the order rows come in does not matter.
    """
    digests: Fingerprint = {}
    for watched in WATCHED:
        try:
            cursor = connection.execute(f"SELECT * FROM {watched.table}")  # noqa: S608 - names from WATCHED
        except sqlite3.OperationalError:  # a table another version of the app does not have
            continue
        names = [column[0] for column in cursor.description]
        kept = operator.itemgetter(*[index for index, name in enumerate(names) if name not in watched.ignored])
        owner_at = names.index(watched.owner)
        kind = digests.setdefault(watched.kind, {})
        salt = hash(watched.table)
        for row in cursor:
            owner = row[owner_at]
            kind[owner] = (kind.get(owner, 0) + hash((salt, kept(row)))) & _MASK
    return digests


def changed_owners(before: Fingerprint, after: Fingerprint) -> dict[str, set[Any]]:
    """For each kind, the owners added, removed or altered between two fingerprints."""
    result: dict[str, set[Any]] = {}
    for kind in set(before) | set(after):
        old, new = before.get(kind, {}), after.get(kind, {})
        differing = {owner for owner in set(old) | set(new) if old.get(owner) != new.get(owner)}
        if differing:
            result[kind] = differing
    return result


def notices_for(changes: dict[str, set[Any]]) -> list[Notice]:
    notices: list[Notice] = []
    if "events" in changes:
        notices.append(EventsChanged(tuple(sorted(changes["events"]))))
    if "workflows" in changes:
        notices.append(WorkflowsChanged(tuple(sorted(changes["workflows"]))))
    if "variables" in changes:
        notices.append(VariablesChanged(tuple(sorted(changes["variables"]))))
    if "settings" in changes:
        notices.append(SettingsChanged(tuple(sorted(changes["settings"]))))
    if "tools" in changes:
        notices.append(ToolsChanged(tuple(sorted(changes["tools"]))))
    return notices


class FolderChangeWatcher:
    """Polls `PRAGMA data_version` and publishes what other processes changed.

    `on_settings` runs before the settings notice is published (drop cached settings, re-read the
    concurrency limit), so whoever reacts to the notice sees the new values.
    """

    def __init__(self, db_path: Path, bus: NoticeBus, on_settings: Callable[[], None] | None = None,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self._db_path = db_path
        self._bus = bus
        self._on_settings = on_settings
        self._poll_seconds = poll_seconds
        self._connection: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._version: int | None = None
        self._fingerprint: Fingerprint = {}
        # The connection is used in worker threads; a look cancelled with the watch goes on in its
        # thread, so closing it takes this lock too (closing under a running statement crashes).
        self._connection_lock = threading.Lock()

    async def start(self) -> None:
        self._connection = await asyncio.to_thread(self._open)
        self._version, self._fingerprint = await asyncio.to_thread(self._look)
        self._task = asyncio.get_running_loop().create_task(self._watch())

    def _open(self) -> sqlite3.Connection:
        # Autocommit: a connection holding a read transaction would not see data_version move.
        connection = sqlite3.connect(self._db_path, timeout=15, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=15000")
        return connection

    def _version_now(self) -> int:
        assert self._connection is not None
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def _look(self) -> tuple[int, Fingerprint]:
        assert self._connection is not None
        return self._version_now(), fingerprint(self._connection)

    def _poll(self) -> dict[str, set[Any]] | None:
        """What changed since the last look, or None when no other connection committed (or the
        watcher was stopped meanwhile)."""
        with self._connection_lock:
            if self._connection is None or self._version_now() == self._version:
                return None
            self._version, after = self._look()
        changes = changed_owners(self._fingerprint, after)
        self._fingerprint = after
        return changes

    def _close(self) -> None:
        with self._connection_lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                changes = await asyncio.to_thread(self._poll)
            except sqlite3.Error as error:  # busy or being restored: look again next time
                log.warning("could not look for changes in the store: %s", error)
                continue
            if not changes:
                continue
            if "settings" in changes and self._on_settings is not None:
                self._on_settings()
            for notice in notices_for(changes):
                self._bus.publish(notice)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await asyncio.to_thread(self._close)  # after a look still going in its thread
