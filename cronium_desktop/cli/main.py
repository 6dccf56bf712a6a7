"""The `cronium-desktop` command line (SPEC §9): the commands and `main` (the parser is `parser.py`).

Each command opens the data folder, does one thing through the engine facade and exits:
0 on success, 1 when a run or check did not succeed, 2 on bad usage or input. Errors are one
`error:` line on stderr; `--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cronium_desktop import heap
from cronium_desktop.cli.common import (
    UsageError,
    has_secrets,
    iso,
    maybe_await,
    parse_json_option,
    prepare_data_dir,
    print_table,
    resolve_data_dir,
    shown,
    unlock_secrets_for_runs,
)
from cronium_desktop.cli.parser import build_parser

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine

# -- commands ----------------------------------------------------------------------------------------

Command = Callable[["Engine", argparse.Namespace], Awaitable[int]]


async def cmd_import(engine: Engine, args: argparse.Namespace) -> int:
    report = await engine.files.import_file(Path(args.file), replace=args.replace)
    for line in report.lines() or ["Nothing to import: the file holds no events and no workflow."]:
        print(line)
    return 0


async def cmd_export(engine: Engine, args: argparse.Namespace) -> int:
    output = Path(args.output)
    if args.workflow:
        document = await engine.files.export_workflow(args.workflow, output)
        graphs = [document["workflow"], *document.get("workflows", [])]
        asked = {node["event"] for graph in graphs for node in graph["nodes"] if "event" in node}
        extra = [e["name"] for e in document["events"] if e["key"] not in asked]
    else:
        document = await engine.files.export_events(args.event, output)
        asked = {name.strip().lower() for name in args.event}
        extra = [e["name"] for e in document["events"] if e["name"].lower() not in asked]
    print(f"Exported {len(document['events'])} event(s){' and a workflow' if 'workflow' in document else ''} to {output}.")
    if extra:
        print(f"Included {', '.join(repr(name) for name in extra)}: run by a conditional action of an exported event.")
    tools = [tool["name"] for tool in document.get("tools", [])]
    if tools:
        print(f"Named the tool credential(s) {', '.join(repr(name) for name in tools)} without their settings "
              "(secrets are never exported).")
    return 0


async def cmd_run(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import run as cli_run  # the folder's run host decides overlap and the limit

    return await cli_run.cmd_run(engine, args)


async def cmd_list(engine: Engine, args: argparse.Namespace) -> int:
    if args.what == "events":
        events = await engine.events.list()
        if args.json:
            print(json.dumps([
                {"name": e.name, "type": e.type, "status": e.status, "trigger": e.trigger, "next_run": iso(e.next_run),
                 "last_status": e.last_status, "execution_count": e.execution_count}
                for e in events
            ], indent=2))
        else:
            print_table([[e.name, e.type, e.status, e.trigger, shown(e.next_run) or "-", e.last_status or "-",
                          str(e.execution_count)] for e in events],
                        ["NAME", "TYPE", "STATUS", "TRIGGER", "NEXT RUN", "LAST", "RUNS"])
    elif args.what == "runs":
        runs = await engine.runs.list(limit=200)
        if args.json:
            print(json.dumps([
                {"execution_id": r.execution_id, "event": r.event, "status": r.status, "attempt": r.attempt,
                 "trigger": r.trigger, "started_at": iso(r.started_at), "finished_at": iso(r.finished_at),
                 "exit_code": r.exit_code, "error": r.error, "workflow_execution_id": r.workflow_execution_id,
                 **({"skipped_count": r.skipped_count, "skipped_until": iso(r.skipped_until)} if r.status == "SKIPPED" else {}),
                 **(r.metrics.json_figures() if r.metrics else {})}
                for r in runs
            ], indent=2))
        else:
            print_table([[str(r.execution_id), r.event, r.status_text, str(r.attempt), r.trigger, shown(r.started_at) or "-",
                          "-" if r.exit_code is None else str(r.exit_code)] for r in runs],
                        ["ID", "EVENT", "STATUS", "ATTEMPT", "TRIGGER", "STARTED", "EXIT"])
    elif args.what == "variables":
        variables = await engine.variables.list()
        if args.json:
            print(json.dumps([{"key": v.key, "value": v.value, "secret": v.secret} for v in variables], indent=2))
        else:
            print_table([[v.key, v.value, "secret" if v.secret else ""] for v in variables], ["KEY", "VALUE", ""])
    elif args.what == "servers":
        from cronium_desktop.cli import servers as cli_servers

        return await maybe_await(cli_servers.list_servers(engine, args))
    else:
        from cronium_desktop.cli import workflows as cli_workflows

        return await maybe_await(cli_workflows.list_workflows(engine, args))
    return 0


async def cmd_logs(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import logs as cli_logs

    return await cli_logs.cmd_logs(engine, args, UsageError)


async def cmd_var(engine: Engine, args: argparse.Namespace) -> int:
    if args.var_command == "set":
        # Setting a secret again without --secret must not turn it into plain text: None keeps its kind.
        await engine.variables.set(args.key, args.value, secret=True if args.secret else None)
        if not args.secret and (await engine.variables.get(args.key)).secret:
            print(f"note: {args.key!r} is a secret variable; its new value is stored encrypted too.", file=sys.stderr)
        return 0
    info = await engine.variables.get(args.key, reveal=args.reveal)
    print(info.value)
    return 0


async def cmd_server(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import servers as cli_servers

    handler = cli_servers.add_server if args.server_command == "add" else cli_servers.check_server
    return await maybe_await(handler(engine, args))


async def cmd_tool(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import tools as cli_tools

    imported = await _tool_without_settings(engine, args.name)
    if imported is None:
        return await maybe_await(cli_tools.add_tool(engine, args))
    # An imported file names its tool credentials without their settings: `tool add` fills them in.
    if imported.type != args.type:
        raise UsageError(f"the tool credential {imported.name!r} is a {imported.type} tool, not {args.type}; "
                         f"use --type {imported.type}.")
    await engine.tools.update(imported.id, config=parse_json_option(args.config, "--config"))
    print(f"Stored the settings of {imported.type} tool {imported.name!r}.")
    return 0


async def _tool_without_settings(engine: Engine, name: str) -> Any:
    """The tool credential named `name` if it exists with no settings stored (imported), else None."""
    from cronium_desktop.engine.errors import NotFound
    from cronium_desktop.engine.tools.service import config_owner

    try:
        info = await engine.tools.get(name)
    except NotFound:
        return None
    return None if await asyncio.to_thread(has_secrets, engine, config_owner(info.id)) else info


async def cmd_run_workflow(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import workflows as cli_workflows

    parse_json_option(args.input, "--input")
    await unlock_secrets_for_runs(engine)
    return await maybe_await(cli_workflows.run_workflow(engine, args))


async def cmd_runs(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import runs as cli_runs

    return await cli_runs.cmd_runs(engine, args, iso, shown)


async def cmd_calendar(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import calendars as cli_calendars

    return await cli_calendars.cmd_calendar(engine, args, UsageError)


async def cmd_import_schedules(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import imports as cli_imports

    return await cli_imports.import_schedules(engine, args)


async def cmd_event(engine: Engine, args: argparse.Namespace) -> int:
    if args.event_command == "webhook":
        from cronium_desktop.cli import event_webhooks as cli_event_webhooks

        return await cli_event_webhooks.cmd_event_webhook(engine, args)
    from cronium_desktop.cli import events as cli_events

    return await cli_events.cmd_event(engine, args)


async def cmd_settings(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import settings as cli_settings

    return await cli_settings.cmd_settings(engine, args)


async def cmd_prune(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import history as cli_history

    return await cli_history.cmd_prune(engine, args)


async def cmd_workflow(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import workflow_runs as cli_workflow_runs

    return await cli_workflow_runs.cmd_workflow(engine, args)


async def cmd_secrets(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import secrets as cli_secrets

    return await cli_secrets.cmd_secrets(engine, args)


COMMANDS: dict[str, Command] = {
    "event": cmd_event,
    "settings": cmd_settings,
    "prune": cmd_prune,
    "import-cron": cmd_import_schedules,
    "import-systemd": cmd_import_schedules,
    "import-launchd": cmd_import_schedules,
    "import-schtasks": cmd_import_schedules,
    "import": cmd_import,
    "export": cmd_export,
    "run": cmd_run,
    "run-workflow": cmd_run_workflow,
    "list": cmd_list,
    "logs": cmd_logs,
    "var": cmd_var,
    "server": cmd_server,
    "tool": cmd_tool,
    "runs": cmd_runs,
    "calendar": cmd_calendar,
    "workflow": cmd_workflow,
    "secrets": cmd_secrets,
}


def cmd_backup(data_dir: Path, args: argparse.Namespace) -> int:
    from cronium_desktop.engine.store.backups import copy_store, rolling_backup
    from cronium_desktop.engine.store.db import DB_FILENAME, StoreDamaged, store_problem

    store = data_dir / DB_FILENAME
    if not store.exists():
        raise UsageError(f"there is no store in {str(data_dir)!r} to back up.")
    problem = store_problem(store)
    if problem:
        raise StoreDamaged(store, problem)
    if args.file:
        target = Path(args.file).expanduser()
        if target.exists():
            raise UsageError(f"{str(target)!r} already exists; give a new file name.")
        copy_store(store, target)
    else:
        target = rolling_backup(store, "manual")
    print(f"Backed up the store to {target}.")
    return 0


def cmd_restore(data_dir: Path, args: argparse.Namespace) -> int:
    from cronium_desktop.engine.lock import FolderLock, FolderLocked
    from cronium_desktop.engine.store.backups import restore
    from cronium_desktop.engine.store.db import DB_FILENAME, store_problem

    source = Path(args.file).expanduser()
    lock = FolderLock(data_dir)
    try:
        lock.acquire()  # held while the store is swapped: no scheduler can start on it meanwhile
    except FolderLocked as error:
        raise UsageError(f"{error}; stop it (quit the window or the headless scheduler), then restore.") from None
    try:
        store = data_dir / DB_FILENAME
        kept = restore(store, source, store_readable=store_problem(store) is None)
    finally:
        lock.release()
    print(f"Restored the store from {source}." + (f" The store it replaced was kept as {kept}." if kept else ""))
    return 0


async def run_command(data_dir: Path, args: argparse.Namespace) -> int:
    from cronium_desktop.cli.reads import ReadEngine, is_read_command

    if is_read_command(args):  # no executors, no queue: a light process (cli/reads.py)
        # The read commands use only services a ReadEngine has, under the names Engine gives them.
        engine: Engine = cast("Engine", ReadEngine(data_dir))
    else:
        from cronium_desktop.engine.engine import Engine

        engine = Engine(data_dir)
    if engine.folder_notice:
        print(f"note: {engine.folder_notice}", file=sys.stderr)
    await engine.start()
    heap.settle()
    try:
        return await COMMANDS[args.command](engine, args)
    finally:
        await engine.stop(grace_seconds=0)


def _damaged_store(data_dir: Path, error: Exception) -> Exception:
    """A store damaged past its first pages fails deep inside a query: say that, not the SQL."""
    import sqlite3

    original = getattr(error, "orig", error)
    if isinstance(original, sqlite3.DatabaseError) and any(
        words in str(original) for words in ("malformed", "not a database", "disk I/O error")
    ):
        from cronium_desktop.engine.store.db import DB_FILENAME, StoreDamaged

        return StoreDamaged(data_dir / DB_FILENAME, f"it is damaged (SQLite: {original})")
    return error


def main(argv: list[str] | None = None) -> int:
    if os.environ.get("CRONIUM_DESKTOP_RENDER_TEMPLATE"):  # a bundled app started as a template renderer
        from cronium_desktop.engine.template_process import serve_one

        serve_one()
        return 0
    heap.pause()  # until the command's process has started (heap.py)
    try:
        return _main(argv)
    finally:
        heap.resume()


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    try:
        prepare_data_dir(data_dir)
        if args.command in (None, "gui"):
            from cronium_desktop.app import run_gui

            return run_gui(data_dir, tray=args.tray)
        if args.command == "headless":
            from cronium_desktop.headless import run_headless

            return run_headless(data_dir)
        if args.command in ("backup", "restore"):
            return (cmd_backup if args.command == "backup" else cmd_restore)(data_dir, args)
        return asyncio.run(run_command(data_dir, args))
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly like other command-line tools, and keep
        # Python from complaining again when it flushes stdout on exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:
        from cronium_desktop.engine.errors import CroniumError
        from cronium_desktop.engine.secrets import SecretsError

        if args.debug:
            traceback.print_exc()
        error = _damaged_store(data_dir, error)
        message = str(error) or type(error).__name__
        print(f"error: {message}", file=sys.stderr)
        return 2 if isinstance(error, UsageError | CroniumError | SecretsError | ValueError) else 1
