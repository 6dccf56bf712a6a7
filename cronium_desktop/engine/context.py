"""What every engine service is built from: the store, secrets, notice bus, settings, data folder."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from cronium_desktop.engine.notices import NoticeBus
    from cronium_desktop.engine.secrets import SecretStore
    from cronium_desktop.engine.settings import Settings
    from cronium_desktop.engine.store.db import Database

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class EngineContext:
    data_dir: Path
    db: Database
    secrets: SecretStore
    bus: NoticeBus
    settings: Settings


def in_thread(fn: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """Make a blocking (SQLite, paramiko) method awaitable without blocking the event loop.

    The blocking body stays reachable as ``method.__wrapped__`` for code already in a worker thread.
    """

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    return wrapper
