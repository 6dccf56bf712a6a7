"""The read commands' engine: `list events|runs|variables`, `logs`, `var get`, `prune` in a light
process.

These commands only read the store (prune deletes from it), so they need neither the executors nor
the run queue: building the full `Engine` imported SSH, HTTP, Docker and Jinja and took most of a
command's second. This builds the few services they use over the same store, with the same
answers. `cli/main.py` sends a command here when `is_read_command` says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

READ_LISTS = ("events", "runs", "variables")


def is_read_command(args: argparse.Namespace) -> bool:
    if args.command == "list":
        return args.what in READ_LISTS
    if args.command == "var":
        return args.var_command == "get"
    return args.command in ("logs", "prune")


class ReadEngine:
    """The services a read command uses, over one data folder (the `Engine` facade's names)."""

    def __init__(self, data_dir: Path, passphrase: str | None = None) -> None:
        from cronium_desktop.engine.context import EngineContext
        from cronium_desktop.engine.events import EventService
        from cronium_desktop.engine.history import RunHistory
        from cronium_desktop.engine.notices import NoticeBus
        from cronium_desktop.engine.retention import Retention
        from cronium_desktop.engine.runs.service import RunService
        from cronium_desktop.engine.secrets import SecretStore
        from cronium_desktop.engine.settings import Settings
        from cronium_desktop.engine.store.db import Database
        from cronium_desktop.engine.variables import VariableService

        data_dir = Path(data_dir).expanduser()
        db = Database(data_dir)
        db.migrate()
        self.data_dir = data_dir
        self.folder_notice = (f"Made the data folder {data_dir} private to you (0700, files 0600): "
                              "other users could read it.") if db.tightened else None
        self.ctx = EngineContext(data_dir=data_dir, db=db, secrets=SecretStore(db, data_dir, passphrase=passphrase),
                                 bus=NoticeBus(), settings=Settings(db))
        self.bus, self.settings, self.secrets = self.ctx.bus, self.ctx.settings, self.ctx.secrets
        self.events = EventService(self.ctx)
        self.variables = VariableService(self.ctx)
        self.runs = RunService(self.ctx, self.events, queue=None)  # type: ignore[arg-type]  # reads only
        self.history = RunHistory(self.ctx)
        self.retention = Retention(self.ctx)

    async def start(self) -> None:
        import asyncio

        self.bus.bind_loop(asyncio.get_running_loop())

    async def stop(self, grace_seconds: float = 0) -> None:
        self.ctx.db.close()
