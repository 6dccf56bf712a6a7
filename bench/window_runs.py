"""Runs with the window open: blocks of 1,000 trivial runs through the app (window shown, its Runs,
Dashboard and Events pages built, the Runs page in front), beside the same engine with no window on
the same loop, and bare spawns at the same concurrency on that loop (the floor, measured before and
after).

Prints each block's runs per second through the window, the window's rate against the engine alone,
the loop's live timers after each block and the process's memory: a window that reloads its pages
per run notice, or a loop that keeps cancelled timers, shows as a falling rate, a growing count of
timers and memory that grows with every block. No target of its own (issue 23's targets are the
engine's); reference: the window at ≥ 0.5 × the engine alone, live timers that do not grow.

    ./dev bench window_runs [--blocks 5] [--runs 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.scratch import data_folder  # noqa: E402
from bench.throughput import bare  # noqa: E402
from cronium_desktop.engine.settings import DEFAULTS  # noqa: E402
from cronium_desktop.ui.qt_loop import QtLoop  # noqa: E402

TRIVIAL = {"name": "Trivial", "type": "BASH", "content": "true", "overlap": "ALLOW"}


def memory_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))


async def block(engine: object, event_id: int, runs: int) -> float:
    started = time.perf_counter()
    ids = await asyncio.gather(*(engine.runs.start(event_id) for _ in range(runs)))  # type: ignore[attr-defined]
    await asyncio.gather(*(engine.runs.wait(execution_id) for execution_id in ids))  # type: ignore[attr-defined]
    return runs / (time.perf_counter() - started)


async def engine_alone(runs: int) -> float:
    from cronium_desktop.engine.engine import Engine

    with data_folder("cronium-bench-window-alone-") as folder:
        engine = Engine(folder)
        await engine.start()
        event_id = await engine.events.create(TRIVIAL)
        await engine.runs.wait(await engine.runs.start(event_id))
        rate = await block(engine, event_id, runs)
        await engine.stop()
        return rate


async def main(blocks: int, runs: int) -> None:
    from cronium_desktop.app import Application

    loop = asyncio.get_running_loop()
    concurrency = int(DEFAULTS["concurrency"])
    floor_before, _ = await bare(runs, concurrency)
    alone = await engine_alone(runs)
    with data_folder("cronium-bench-window-") as folder, tempfile.TemporaryDirectory(prefix="cronium-bench-window-home-") as home:
        os.environ["XDG_CONFIG_HOME"], os.environ["HOME"] = f"{home}/config", home  # the window's own settings, removed after
        app = Application(folder)
        app.engine_settings = {"webhook_port": 0}
        await app.start()
        assert app.engine is not None and app.window is not None
        for page in ("Dashboard", "Events", "Runs"):
            app.window.open_page(page)
        event_id = await app.engine.events.create(TRIVIAL)
        await app.engine.runs.wait(await app.engine.runs.start(event_id))
        await asyncio.sleep(1)
        start_memory = memory_mb()
        print(f"{blocks} blocks of {runs} trivial runs, concurrency {concurrency}, the window open on Runs")
        rates = []
        for number in range(1, blocks + 1):
            rate = await block(app.engine, event_id, runs)
            rates.append(rate)
            await asyncio.sleep(1)  # the pages' last reloads
            timers = len(loop._timers) if hasattr(loop, "_timers") else -1
            print(f"  block {number}: {rate:5.0f} runs/s = {rate / alone:.2f} × the engine alone; "
                  f"live loop timers {timers}; memory {memory_mb():.0f} MB", flush=True)
        await app.stop()
    floor_after, _ = await bare(runs, concurrency)
    print(f"  engine alone, same loop   {alone:5.0f} runs/s")
    print(f"  bare spawns, same loop    {(floor_before + floor_after) / 2:5.0f} runs/s (before {floor_before:.0f}, after {floor_after:.0f})")
    print(f"  through the window        {min(rates):.0f}–{max(rates):.0f} runs/s; first block {rates[0]:.0f}, last {rates[-1]:.0f}")
    print(f"  memory                    {start_memory:.0f} → {memory_mb():.0f} MB over {blocks * runs} runs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1000)
    arguments = parser.parse_args()
    application = QApplication(sys.argv)
    application.setOrganizationName("CroniumBench")
    event_loop = QtLoop(application)
    asyncio.set_event_loop(event_loop)
    with event_loop:
        event_loop.run_until_complete(main(arguments.blocks, arguments.runs))
