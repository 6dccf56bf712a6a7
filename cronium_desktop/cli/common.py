"""What every command module of the CLI shares: the usage error (exit 2), the data folder, times
as JSON and as people read them, JSON options and tables."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from cronium_desktop.engine.clock import from_store, to_local

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine


class UsageError(Exception):
    """Bad usage or input: exit code 2."""


class Parser(argparse.ArgumentParser):
    """Says a usage error in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def default_data_dir() -> Path:
    from cronium_desktop.engine import platform

    return platform.current().data_dir()


def resolve_data_dir(value: str | None) -> Path:
    if value:
        return Path(value).expanduser()
    if os.environ.get("CRONIUM_DATA_DIR"):
        return Path(os.environ["CRONIUM_DATA_DIR"]).expanduser()
    return default_data_dir()


def prepare_data_dir(data_dir: Path) -> None:
    """Make the data folder, or say plainly why it cannot be used."""
    if data_dir.exists() and not data_dir.is_dir():
        raise UsageError(f"the data folder {str(data_dir)!r} is a file; give a folder with --data-dir or CRONIUM_DATA_DIR.")
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the data folder {str(data_dir)!r}: {error.strerror or error}. "
                         "Give another with --data-dir or CRONIUM_DATA_DIR.") from error


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else from_store(moment).isoformat()


def shown(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M:%S %Z") -> str | None:
    """A time for people: in this computer's zone, to the second (JSON keeps full ISO 8601 in UTC)."""
    return None if moment is None else to_local(moment).strftime(pattern)


def parse_json_option(text: str | None, option: str) -> Any:
    if text is None:
        return None
    from cronium_desktop.engine.validation import MAX_JSON_DEPTH, json_depth_exceeds

    too_deep = UsageError(f"{option} nests lists or objects more than {MAX_JSON_DEPTH} levels deep; flatten the data.")
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except ValueError as error:
        raise UsageError(f"{option} is not valid JSON: {error}") from error
    if json_depth_exceeds(value):
        raise too_deep
    return value


def print_table(rows: list[list[str]], headers: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


async def maybe_await(value: Any) -> int:
    if asyncio.iscoroutine(value):
        value = await value
    return int(value)


async def unlock_secrets_for_runs(engine: Engine) -> None:
    """Open the secrets now if a run will need them, so a missing or wrong passphrase is an error
    up front: a run reads every secret variable and its event's secret env as it starts."""
    if await asyncio.to_thread(has_secrets, engine, "variable:", "event:"):
        await asyncio.to_thread(engine.secrets.unlock)


def has_secrets(engine: Engine, *prefixes: str) -> bool:
    with engine.ctx.db.read() as session:
        return any(engine.secrets.owners(session, prefix) for prefix in prefixes)
