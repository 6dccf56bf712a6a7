"""`cronium-desktop logs`: a run's log streamed from the store, one block in memory at a time.

Text and JSON are written segment by segment (lines read together share their time), so a log of a
million lines prints in about the time `cat` takes to read it and in constant memory. `--follow`
keeps printing the newest run's lines as they are stored, until it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from cronium_desktop.engine.clock import from_store, to_local
from cronium_desktop.engine.notices import Segment
from cronium_desktop.engine.states import FINAL_STATES

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine

MARKERS = {"stdout": " ", "stderr": "!", "system": "#"}
FOLLOW_POLL_SECONDS = 0.25
_encode = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


class TextWriter:
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def header(self, run: Any, first: bool) -> None:
        started = to_local(run.started_at).strftime("%Y-%m-%d %H:%M:%S %Z") if run.started_at else "not started"
        self._out.write(f"── run {run.execution_id} · {run.status} · {started}\n")

    def segment(self, _number: int, _attempt: int, segment: Segment) -> None:
        prefix = f"{to_local(segment.ts).strftime('%H:%M:%S')} {MARKERS.get(segment.stream, ' ')} "
        if segment.server:  # a multi-server run: each line says which server it came from, as in the window
            prefix += f"[{segment.server}] "
        self._out.write(prefix + f"\n{prefix}".join(segment.texts) + "\n")

    def footer(self) -> None:
        self._out.flush()

    def end(self, any_run: bool) -> None:
        self._out.flush()


class JsonWriter:
    """The same document `json.dumps` would give, written as it goes."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lines = 0

    def header(self, run: Any, first: bool) -> None:
        measured = json.dumps(run.metrics.json_figures())[1:-1] if getattr(run, "metrics", None) else ""
        self._out.write(("[\n" if first else ",\n") + f'  {{"execution_id": {run.execution_id}, '
                        f'"status": {_encode(run.status)}, ' + (f"{measured}, " if measured else "") + '"log": [')
        self._lines = 0

    def segment(self, _number: int, _attempt: int, segment: Segment) -> None:
        server = f'"server": {_encode(segment.server)}, ' if segment.server else ""
        prefix = f'\n    {{"ts": "{from_store(segment.ts).isoformat()}", "stream": {_encode(segment.stream)}, {server}"text": '
        body = ",".join(f"{prefix}{_encode(text)}}}" for text in segment.texts)
        self._out.write(("," if self._lines else "") + body)
        self._lines += segment.count

    def footer(self) -> None:
        self._out.write("\n  ]}" if self._lines else "]}")

    def end(self, any_run: bool) -> None:
        self._out.write("\n]\n" if any_run else "[]\n")
        self._out.flush()


async def cmd_logs(engine: Engine, args: argparse.Namespace, usage_error: type[Exception]) -> int:
    if args.last < 1:
        raise usage_error("--last must be at least 1")
    runs = list(reversed(await engine.runs.list(event=args.event, limit=args.last)))
    writer: TextWriter | JsonWriter = JsonWriter(sys.stdout) if args.json else TextWriter(sys.stdout)
    if not runs and not args.json:
        print(f"{args.event!r} has not run yet.")
        return 0
    for index, run in enumerate(runs):
        writer.header(run, index == 0)
        last = await asyncio.to_thread(engine.runs.stream_log, run.execution_id, writer.segment)
        if getattr(args, "follow", False) and index == len(runs) - 1:
            while run.status not in FINAL_STATES:
                await asyncio.sleep(FOLLOW_POLL_SECONDS)
                run = await engine.runs.summary(run.execution_id)
                last = await asyncio.to_thread(engine.runs.stream_log, run.execution_id, writer.segment, last)
                sys.stdout.flush()
        writer.footer()
    writer.end(bool(runs))
    return 0
