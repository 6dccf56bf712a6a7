"""`cronium-desktop tool add NAME --type TYPE --config JSON` (SPEC §9)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from cronium_desktop.engine.errors import CroniumError

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine


async def add_tool(engine: Engine, args: argparse.Namespace) -> int:
    """Store a tool credential; its config is sealed as a secret. 0 on success, 2 on bad input."""
    try:
        config = json.loads(args.config)
    except ValueError as error:
        print(f"error: --config is not valid JSON: {error}", file=sys.stderr)
        return 2
    try:
        await engine.tools.add(args.name, args.type, config)
    except CroniumError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Added {args.type} tool {args.name.strip()!r}.")
    return 0
