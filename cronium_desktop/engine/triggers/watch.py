"""File triggers (SPEC §1): folders watched with watchdog, changes filtered and debounced into batches.

watchdog uses the system's notifications (inotify, FSEvents, ReadDirectoryChangesW): an idle folder
costs no CPU (bench/file_trigger.py measures 50 of them). Its observer thread hands each change to
the asyncio loop; there, a trigger collects the changes that match its patterns and kinds, and once
its folder has been quiet for `debounce_seconds` it hands the whole batch on: a burst of changes is
one run. A folder that disappears (deleted, renamed, an unplugged drive) pauses its triggers with a
reason; a check every few seconds, only of the watched folders' existence, resumes them.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import os
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

log = logging.getLogger(__name__)

HEALTH_SECONDS = 5.0
# A folder that never goes quiet still runs its trigger this often (as a multiple of the debounce).
MAX_WAIT_FACTOR = 30
MAX_WAIT_FLOOR_SECONDS = 30.0
KINDS = ("created", "modified", "deleted", "moved")


@dataclass(frozen=True)
class FileChange:
    path: str
    kind: str  # created, modified, deleted, moved
    to: str | None = None  # the new path of a move

    def as_input(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, **({"to": self.to} if self.to else {})}


@dataclass(frozen=True)
class WatchState:
    key: Hashable
    folder: str
    watching: bool
    reason: str = ""  # why it is paused


def _text(path: str | bytes) -> str:
    return os.fsdecode(path)


def matches(path: str, folder: str, patterns: list[str]) -> bool:
    """A pattern with a slash matches the path below the folder; otherwise the file's name."""
    relative = os.path.relpath(path, folder).replace(os.sep, "/")
    name = os.path.basename(path)
    return any(fnmatch.fnmatchcase(relative if "/" in p else name, p) for p in patterns)


@dataclass
class _Trigger:
    key: Hashable
    spec: dict[str, Any]
    changes: dict[str, FileChange] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None
    first_change_at: float | None = None

    def accept(self, change: FileChange) -> bool:
        if change.kind not in self.spec["kinds"]:
            return False
        folder, patterns = self.spec["folder"], self.spec["patterns"]
        if not self.spec["recursive"] and os.path.dirname(change.path) != folder:
            return False
        return matches(change.path, folder, patterns) or bool(change.to and matches(change.to, folder, patterns))

    def add(self, change: FileChange) -> None:
        earlier = self.changes.get(change.path)
        if earlier is not None and earlier.kind == "created" and change.kind == "modified":
            return  # a new file being written is still "created"
        self.changes.pop(change.path, None)  # keep the order of the last change
        self.changes[change.path] = change


class _Root(FileSystemEventHandler):
    """One watched folder (with or without subfolders) and the triggers on it."""

    def __init__(self, folder: str, recursive: bool, deliver: Callable[[_Root, FileSystemEvent], None]) -> None:
        self.folder, self.recursive, self._deliver = folder, recursive, deliver
        self.triggers: dict[Hashable, _Trigger] = {}
        self.watch: ObservedWatch | None = None
        self.reason = ""

    def on_any_event(self, event: FileSystemEvent) -> None:  # the observer's thread
        self._deliver(self, event)


class FolderWatcher:
    """Keeps watchdog watches in line with the wanted file triggers, and calls `on_changes(key, changes)`."""

    def __init__(self, on_changes: Callable[[Hashable, list[FileChange]], None],
                 on_state: Callable[[WatchState], None] | None = None, health_seconds: float = HEALTH_SECONDS) -> None:
        self._on_changes = on_changes
        self._on_state = on_state or (lambda state: None)
        self._health_seconds = health_seconds
        self._loop = asyncio.get_running_loop()
        self._observer: Any = None
        self._roots: dict[tuple[str, bool], _Root] = {}
        self._health: asyncio.TimerHandle | None = None

    # -- what is watched --------------------------------------------------------------------------------

    def set_triggers(self, wanted: dict[Hashable, dict[str, Any]]) -> None:
        """Watch exactly these triggers (key → normalised file trigger); keeps batches of unchanged ones."""
        for root_key, root in list(self._roots.items()):
            for key in list(root.triggers):
                if wanted.get(key) != root.triggers[key].spec or (wanted[key]["folder"], wanted[key]["recursive"]) != root_key:
                    self._drop(root.triggers.pop(key))
            if not root.triggers:
                self._unwatch(root)
                del self._roots[root_key]
        for key, spec in wanted.items():
            root_key = (spec["folder"], spec["recursive"])
            found = self._roots.get(root_key)
            if found is None:
                found = self._roots[root_key] = _Root(spec["folder"], spec["recursive"], self._from_thread)
                self._watch(found)
            if key not in found.triggers:
                found.triggers[key] = _Trigger(key, spec)
        if self._roots and self._health is None:
            self._health = self._loop.call_later(self._health_seconds, self._check_folders)

    def states(self) -> list[WatchState]:
        return [WatchState(key, root.folder, root.watch is not None, root.reason)
                for root in self._roots.values() for key in root.triggers]

    def stop(self) -> None:
        if self._health is not None:
            self._health.cancel()
            self._health = None
        for root in self._roots.values():
            for trigger in root.triggers.values():
                self._drop(trigger)
        self._roots.clear()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    # -- watchdog -----------------------------------------------------------------------------------------

    def _observer_started(self) -> Any:
        if self._observer is None:
            self._observer = Observer()
            self._observer.daemon = True
            self._observer.start()
        return self._observer

    def _watch(self, root: _Root) -> None:
        if not os.path.isdir(root.folder):
            self._pause(root, f"the folder {root.folder} does not exist; the trigger resumes when it is back")
            return
        try:
            root.watch = self._observer_started().schedule(root, root.folder, recursive=root.recursive)
        except OSError as error:
            self._pause(root, f"the folder {root.folder} cannot be watched ({error.strerror or error})")
            return
        if root.reason:
            root.reason = ""
            self._tell(root)

    def _unwatch(self, root: _Root) -> None:
        if root.watch is not None and self._observer is not None:
            try:
                self._observer.unschedule(root.watch)
            except (KeyError, OSError):
                pass  # its emitter already stopped (the folder went away)
        root.watch = None

    def _pause(self, root: _Root, reason: str) -> None:
        self._unwatch(root)
        changed = root.reason != reason
        root.reason = reason
        if changed:
            self._tell(root)

    def _tell(self, root: _Root) -> None:
        for key in root.triggers:
            self._on_state(WatchState(key, root.folder, root.watch is not None, root.reason))

    def _check_folders(self) -> None:
        """Pause triggers whose folder went away; resume those whose folder is back."""
        self._health = None
        for root in list(self._roots.values()):
            present = os.path.isdir(root.folder)
            if root.watch is None and present:
                self._watch(root)
            elif root.watch is not None and not present:
                self._pause(root, f"the folder {root.folder} is gone; the trigger resumes when it is back")
        if self._roots:
            self._health = self._loop.call_later(self._health_seconds, self._check_folders)

    def _from_thread(self, root: _Root, event: FileSystemEvent) -> None:
        try:
            self._loop.call_soon_threadsafe(self._on_event, root, event)
        except RuntimeError:
            pass  # the loop closed while the observer stopped

    # -- changes → batches ----------------------------------------------------------------------------------

    def _on_event(self, root: _Root, event: FileSystemEvent) -> None:
        if root.watch is None or self._roots.get((root.folder, root.recursive)) is not root:
            return
        path = _text(event.src_path)
        if event.event_type not in KINDS:
            return  # opened, closed: the write itself was already "modified"
        if event.is_directory and event.event_type == "modified":
            return  # a folder's entry list changed: the file's own change says which
        if path == root.folder:
            if event.event_type in ("deleted", "moved"):
                self._pause(root, f"the folder {root.folder} is gone; the trigger resumes when it is back")
            return
        to = _text(event.dest_path) if event.event_type == "moved" and event.dest_path else None
        change = FileChange(path, event.event_type, to)
        for trigger in root.triggers.values():
            if trigger.accept(change):
                trigger.add(change)
                self._arm(trigger)

    def _arm(self, trigger: _Trigger) -> None:
        now = self._loop.time()
        if trigger.first_change_at is None:
            trigger.first_change_at = now
        debounce = float(trigger.spec["debounce_seconds"])
        latest = trigger.first_change_at + max(MAX_WAIT_FLOOR_SECONDS, debounce * MAX_WAIT_FACTOR)
        if trigger.timer is not None:
            trigger.timer.cancel()
        trigger.timer = self._loop.call_at(min(now + debounce, latest), self._flush, trigger)

    def _flush(self, trigger: _Trigger) -> None:
        changes, trigger.changes = list(trigger.changes.values()), {}
        trigger.timer, trigger.first_change_at = None, None
        if changes:
            self._on_changes(trigger.key, changes)

    @staticmethod
    def _drop(trigger: _Trigger) -> None:
        if trigger.timer is not None:
            trigger.timer.cancel()
        trigger.timer = None
