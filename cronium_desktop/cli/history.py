"""`cronium-desktop prune [--dry-run]`: apply the run-history retention now and say what went."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("prune", parents=[common],
                       help="remove run history older than the kept days or past the runs kept per event")
    p.add_argument("--dry-run", action="store_true", help="only say what would be removed")


async def cmd_prune(engine: Engine, args: argparse.Namespace) -> int:
    report = await asyncio.to_thread(engine.retention.prune, args.dry_run)
    for line in report.lines():
        print(line)
    return 0
