"""`cronium-desktop headless`: the scheduler with no window, until SIGINT or SIGTERM (SPEC §9)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from cronium_desktop import heap

STOP_GRACE_SECONDS = 10.0


async def _serve(data_dir: Path, passphrase: str | None) -> int:
    from cronium_desktop.engine.engine import Engine
    from cronium_desktop.engine.lock import FolderLocked
    from cronium_desktop.engine.notices import Message, Notice, RunFinished

    engine = Engine(data_dir, passphrase=passphrase)
    if engine.folder_notice:
        print(engine.folder_notice, flush=True)
    try:
        await engine.start(scheduler=True)
        heap.settle(collect=True)
    except FolderLocked as error:
        engine.ctx.db.close()
        print(f"error: {error}", file=sys.stderr)
        return 2

    def report(notice: Notice) -> None:
        if isinstance(notice, RunFinished):
            print(f"run {notice.execution_id} of {notice.event_name!r}: {notice.status}", flush=True)
        elif isinstance(notice, Message):
            print(notice.text, flush=True)

    engine.bus.subscribe(report)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"Cronium scheduler running on {data_dir}; stop with Ctrl+C or SIGTERM.", flush=True)
    await stop.wait()
    print("Stopping: waiting up to 10 s for running runs.", flush=True)
    await engine.stop(grace_seconds=STOP_GRACE_SECONDS)
    return 0


def run_headless(data_dir: Path, passphrase: str | None = None) -> int:
    """Run the scheduler on `data_dir` until SIGINT/SIGTERM; 0 after a clean stop, 2 if another runs.

    Without `passphrase`, secrets are unlocked from the keychain or ``CRONIUM_PASSPHRASE``.
    """
    return asyncio.run(_serve(data_dir, passphrase))
