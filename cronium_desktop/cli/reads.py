"""The read commands' engine: `list events|runs|variables`, `logs`, `var get`, `prune` in a light
process.

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
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cronium_desktop.engine.context import EngineContext
    from cronium_desktop.engine.event_list import EventSummary
    from cronium_desktop.engine.history import RunHistory
    from cronium_desktop.engine.notices import NoticeBus
    from cronium_desktop.engine.retention import Retention
    from cronium_desktop.engine.runs.service import RunService
    from cronium_desktop.engine.secrets import SecretStore
    from cronium_desktop.engine.settings import Settings
    from cronium_desktop.engine.store.db import Database
    from cronium_desktop.engine.variables import VariableService

READ_LISTS = ("events", "runs", "variables")


def is_read_command(args: argparse.Namespace) -> bool:
    if args.command == "list":
        return args.what in READ_LISTS
    if args.command == "var":
        return args.var_command == "get"
    return args.command in ("logs", "prune")


class ReadEngine:
    """The services a read command uses, over one data folder (the `Engine` facade's names).

    Each is built when a command first asks for it: `list events` reads with SQLAlchemy Core alone
    (`engine/event_list.py`), so it loads neither the ORM nor the secrets' cryptography.
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
        from cronium_desktop.engine.settings import Settings

        bus = NoticeBus()
        bus.bind_loop(self._loop)
        return EngineContext(data_dir=self.data_dir, db=self.db, bus=bus, settings=Settings(self.db),
                             secrets=SecretStore(self.db, self.data_dir, passphrase=self._passphrase))

    @property
    def bus(self) -> NoticeBus:
        return self.ctx.bus

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def secrets(self) -> SecretStore:
        return self.ctx.secrets

    @functools.cached_property
    def events(self) -> EventList:
        return EventList(self.db)

    @functools.cached_property
    def variables(self) -> VariableService:
        from cronium_desktop.engine.variables import VariableService

        return VariableService(self.ctx)

    @functools.cached_property
    def runs(self) -> RunService:
        from cronium_desktop.engine.events import EventService
        from cronium_desktop.engine.runs.service import RunService

        return RunService(self.ctx, EventService(self.ctx), queue=None)  # type: ignore[arg-type]  # reads only

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


class EventList:
    """`events.list()` of the `Engine` facade, read on a Core connection (no session, no ORM)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(self) -> builtins.list[EventSummary]:
        return await asyncio.to_thread(self._read)

    def _read(self) -> builtins.list[EventSummary]:
        from cronium_desktop.engine.event_list import read_event_list

        with self._db.engine.connect() as connection:
            return read_event_list(connection)
