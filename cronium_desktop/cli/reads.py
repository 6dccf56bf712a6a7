"""The read commands' engine: `list events|runs|variables`, `logs`, `var get`, `settings get`, `prune`
in a light process.

These commands only read the store (prune deletes from it), so they need neither the executors nor
the run queue: building the full `Engine` imported SSH, HTTP, Docker and Jinja and took most of a
command's second. This builds the few services they use over the same store, with the same
answers. `cli/main.py` sends a command here when `is_read_command` says so.
"""

from __future__ import annotations

import argparse
import asyncio
import builtins
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from cronium_desktop.engine.context import EngineContext
    from cronium_desktop.engine.event_list import EventSummary
    from cronium_desktop.engine.history import RunHistory
    from cronium_desktop.engine.notices import Segment
    from cronium_desktop.engine.retention import Retention
    from cronium_desktop.engine.run_list import RunSummary
    from cronium_desktop.engine.settings import Settings
    from cronium_desktop.engine.store.db import Database
    from cronium_desktop.engine.variable_list import VariableInfo
    from cronium_desktop.engine.variables import VariableService

READ_LISTS = ("events", "runs", "variables")
T = TypeVar("T")


def is_read_command(args: argparse.Namespace) -> bool:
    if args.command == "list":
        return args.what in READ_LISTS
    if args.command == "var":
        return args.var_command == "get"
    if args.command == "settings":
        return args.settings_command == "get"
    return args.command in ("logs", "prune")


class ReadEngine:
    """The services a read command uses, over one data folder (the `Engine` facade's names).

    Each is built when a command first asks for it. `list`, `logs` and `var get` read with SQLAlchemy
    Core alone (`engine/event_list.py`, `run_list.py`, `variable_list.py`, `runs/logstore.py`), so they
    load neither the ORM nor the secrets' cryptography; `prune` and a secret's `var get --reveal` build
    the services they need.
    """

    def __init__(self, data_dir: Path, passphrase: str | None = None) -> None:
        from cronium_desktop.engine.store.db import Database

        data_dir = Path(data_dir).expanduser()
        self.db = Database(data_dir)
        self.db.migrate()
        self.data_dir = data_dir
        self._passphrase = passphrase
        self.folder_notice = (f"Made the data folder {data_dir} private to you (0700, files 0600): "
                              "other users could read it.") if self.db.tightened else None

    @functools.cached_property
    def ctx(self) -> EngineContext:
        from cronium_desktop.engine.context import EngineContext
        from cronium_desktop.engine.notices import NoticeBus
        from cronium_desktop.engine.secrets import SecretStore

        bus = NoticeBus()
        bus.bind_loop(self._loop)
        return EngineContext(data_dir=self.data_dir, db=self.db, bus=bus, settings=self.settings,
                             secrets=SecretStore(self.db, self.data_dir, passphrase=self._passphrase))

    @functools.cached_property
    def settings(self) -> Settings:
        from cronium_desktop.engine.settings import Settings

        return Settings(self.db)

    @functools.cached_property
    def events(self) -> EventReads:
        return EventReads(self.db)

    @functools.cached_property
    def runs(self) -> RunReads:
        return RunReads(self.db)

    @functools.cached_property
    def variables(self) -> VariableReads:
        return VariableReads(self.db, self._variable_service)

    def _variable_service(self) -> VariableService:
        from cronium_desktop.engine.variables import VariableService

        return VariableService(self.ctx)

    @functools.cached_property
    def history(self) -> RunHistory:
        from cronium_desktop.engine.history import RunHistory

        return RunHistory(self.ctx)

    @functools.cached_property
    def retention(self) -> Retention:
        from cronium_desktop.engine.retention import Retention

        return Retention(self.ctx)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()  # the bus's, if a command builds one

    async def stop(self, grace_seconds: float = 0) -> None:
        self.db.close()


class CoreReads:
    """Facade methods answered by Core read functions (`engine/*_list.py`), each on its own
    connection in a worker thread: no session, no ORM."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _read(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._db.engine.connect() as connection:
            return read(connection, *args, **kwargs)

    async def _in_thread(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(self._read, read, *args, **kwargs)


class EventReads(CoreReads):
    async def list(self) -> builtins.list[EventSummary]:
        from cronium_desktop.engine.event_list import read_event_list

        return await self._in_thread(read_event_list)


class RunReads(CoreReads):
    async def list(self, event: int | str | None = None, limit: int = 200) -> builtins.list[RunSummary]:
        from cronium_desktop.engine.run_list import read_runs

        return await self._in_thread(read_runs, event=event, limit=limit)

    async def summary(self, execution_id: int) -> RunSummary:
        from cronium_desktop.engine.run_list import read_summary

        return await self._in_thread(read_summary, execution_id)

    def stream_log(self, execution_id: int, write: Callable[[int, int, Segment], object], after_line: int = 0) -> int:
        from cronium_desktop.engine.runs.logstore import stream

        return self._read(stream, execution_id, write, after_line)


class VariableReads(CoreReads):
    def __init__(self, db: Database, service: Callable[[], VariableService]) -> None:
        super().__init__(db)
        self._service = service

    async def get(self, key: str, reveal: bool = False) -> VariableInfo:
        from cronium_desktop.engine.variable_list import read_variable

        info = await self._in_thread(read_variable, key)
        if info.secret and reveal:  # a secret in clear: the keychain and the secrets' cryptography
            return await self._service().get(key, reveal=True)
        return info

    async def list(self) -> builtins.list[VariableInfo]:
        from cronium_desktop.engine.variable_list import read_variables

        return await self._in_thread(read_variables)
