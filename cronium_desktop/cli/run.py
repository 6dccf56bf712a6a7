"""`cronium-desktop run EVENT`: one run under the data folder's rules, whichever process runs it (SPEC §9).

The run goes to the folder's run host (the window, `headless`, or another `run` command) so that
overlap and the concurrency limit are decided in one queue; with no host, this command becomes the
host until its run and every run handed to it have ended (engine/runs/host.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TextIO

from cronium_desktop.engine.states import RunTrigger

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine

HOST_WAIT_SECONDS = 60.0  # another process holds the host role but is not answering yet (starting or closing)
RETRY_SECONDS = 0.05


def _printer(log_stream: TextIO) -> Any:
    def show(stream: str, server: str | None, texts: list[str]) -> None:
        prefix = ("[cronium] " if stream == "system" else "") + (f"[{server}] " if server else "")
        log_stream.write(prefix + f"\n{prefix}".join(texts) + "\n")
        log_stream.flush()

    return show


async def _run_here(engine: Engine, name: str, input_data: Any, show: Any) -> dict[str, Any]:
    """Run the event in this process's queue (we are the host), streaming its log to `show`."""
    from cronium_desktop.cli.common import unlock_secrets_for_runs
    from cronium_desktop.engine.notices import LogLines
    from cronium_desktop.engine.runs.host import summary_fields

    await unlock_secrets_for_runs(engine)
    wanted: set[int] = set()
    early: list[LogLines] = []

    def emit(notice: LogLines) -> None:
        for segment in notice.segments:
            show(segment.stream, segment.server, segment.texts)

    def on_notice(notice: Any) -> None:
        if isinstance(notice, LogLines):
            if not wanted:
                early.append(notice)
            elif notice.execution_id in wanted:
                emit(notice)

    unsubscribe = engine.bus.subscribe(on_notice)
    try:
        execution_id = await engine.runs.start(name, input=input_data, trigger=RunTrigger.CLI)
        wanted.add(execution_id)
        for notice in early:
            if notice.execution_id == execution_id:
                emit(notice)
        summary = summary_fields(await engine.runs.wait(execution_id))
        await engine.runs.idle()  # the run's conditional actions log to it after it ends: show those too
        return summary
    finally:
        unsubscribe()


async def under_folder_rules(engine: Engine, run_here: Callable[[], Awaitable[dict[str, Any]]],
                             hand: Callable[[], Awaitable[dict[str, Any] | None]]) -> dict[str, Any]:
    """`run_here()` while this command hosts the folder's runs (no other process does), else `hand()`
    the work to the host; what either returns. Used by `run` and `run-workflow`."""
    from cronium_desktop.engine.runs.host import RunHost

    deadline = time.monotonic() + HOST_WAIT_SECONDS
    while True:
        # The lock first: if we can take it there is no host, whatever an old runhost.json says.
        host = RunHost(engine.data_dir, engine.runs, engine.bus, engine.workflows)
        if host.try_acquire():
            try:
                await host.serve()
                result = await run_here()
                await host.close_when_idle()
                await engine.runs.idle()  # conditional actions started by these runs finish before we exit
                return result
            finally:
                await host.stop(grace_seconds=0)
        handed = await hand()
        if handed is not None:
            return handed
        if time.monotonic() > deadline:
            raise TimeoutError("another process holds the data folder's runs but does not answer; "
                               f"see {engine.data_dir / 'runhost.json'} for its PID.")
        await asyncio.sleep(RETRY_SECONDS)


async def run_under_folder_rules(engine: Engine, name: str, input_data: Any, show: Any) -> dict[str, Any]:
    """Hand the run to the folder's run host, or host the folder's runs ourselves until done."""
    from cronium_desktop.engine.runs.host import hand_over

    return await under_folder_rules(engine, lambda: _run_here(engine, name, input_data, show),
                                    lambda: hand_over(engine.data_dir, name, input_data, show))


async def cmd_run(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli.common import parse_json_option

    input_data = parse_json_option(args.input, "--input")
    log_stream = sys.stderr if args.json else sys.stdout
    summary = await run_under_folder_rules(engine, args.name, input_data, _printer(log_stream))
    if args.json:
        print(json.dumps({key: summary[key] for key in
                          ("execution_id", "status", "exit_code", "attempts", "duration_ms", "output")}))
    else:
        code = summary["exit_code"]
        detail = f" (exit code {code})" if code not in (None, 0) else ""
        error = f": {summary['error']}" if summary["error"] and summary["status"] != "SUCCESS" else ""
        print(f"[cronium] {summary['status']}{detail}{error}", file=log_stream)
    return 0 if summary["status"] == "SUCCESS" else 1
