"""`import-cron`, `import-systemd`, `import-launchd`, `import-schtasks` (SPEC §9): existing schedules → events.

Every command shows what each job becomes (or why it does not), then creates the events in one
transaction; `--dry-run` stops after showing. The sources themselves are never changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine

HELP = {
    "import-cron": "import a crontab (default: your own, from 'crontab -l'; '-' reads standard input)",
    "import-systemd": "import systemd timers (default: your user timers in ~/.config/systemd/user)",
    "import-launchd": "import launchd agent or daemon .plist files",
    "import-schtasks": "import Windows Task Scheduler tasks saved with 'schtasks /query /xml'",
}


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    for command, help_text in HELP.items():
        p = sub.add_parser(command, parents=[common], help=help_text)
        if command == "import-cron":
            p.add_argument("files", metavar="FILE", nargs="?", help="a crontab file, or - for standard input")
        elif command == "import-systemd":
            p.add_argument("files", metavar="UNIT.timer", nargs="*", help="timer unit files")
        else:
            p.add_argument("files", metavar="FILE", nargs="+", help="files to import")
        p.add_argument("--dry-run", action="store_true", help="show what would be created and change nothing")
        p.add_argument("--skip-invalid", action="store_true",
                       help="import the rest when some lines cannot be converted (they are listed)")
        p.add_argument("--tag", action="append", default=[], metavar="T", help="add this tag to every event (repeatable)")


def read_sources(command: str, files: Any) -> Any:
    """The parsed jobs of the command's files (or its default source)."""
    from cronium_desktop.engine.imports import sources

    kind = command.removeprefix("import-")
    if kind == "cron" and files == "-":
        return sources.parse_cron_text(sys.stdin.read(), "standard input")
    if kind == "cron":
        files = [files] if files else []
    return sources.read_sources(kind, [Path(f) for f in files])


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z")


async def import_schedules(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli.common import print_table

    parsed = read_sources(args.command, args.files)
    plan = await engine.imports.plan(parsed, args.tag)
    rows = [[item.job.source, item.name, item.schedule_words, _when(item.next_runs[0]) if item.next_runs else "never",
             item.creates] for item in plan.events]
    print_table(rows, ["SOURCE", "NAME", "SCHEDULE", "NEXT RUN", "CREATES"])
    for item in plan.events:
        for note in item.notes:
            print(f"Note: {item.name!r} ({item.job.source}): {note}.")
    for left in plan.not_carried_over:
        print(f"Not carried over: {left.source}: {left.text.strip()} — {left.reason}")
    for bad in plan.invalid:
        print(f"{'Skipped' if args.skip_invalid else 'Cannot convert'}: {bad.source}: {bad.text.strip()} — {bad.reason}")
    if args.dry_run:
        if plan.invalid and not args.skip_invalid:
            print("error: some lines cannot be converted; nothing would be imported without --skip-invalid.",
                  file=sys.stderr)
            return 2
        print("Dry run: nothing was changed.")
        return 0
    outcome = await engine.imports.apply(plan, skip_invalid=args.skip_invalid)
    for name in outcome.created:
        print(f"Created event {name!r}.")
    if outcome.already:
        print(f"Already imported, left as they are: {', '.join(repr(n) for n in outcome.already)}.")
    if not outcome.created:
        print("Nothing new to import.")
    for line in plan.advice:
        print(line)
    return 0
