"""Run throughput: 1,000 trivial local runs at the default concurrency, beside bare spawns.

Prints runs per second through the engine (start → every run in a final state), bare
`bash -c true` spawns per second at the same concurrency in the same process (measured before and
after the engine's runs; their mean is the floor), their ratio, and the store's write transactions
per run, and the CPU each takes per run (the app's, its processes'). Targets: ≥ 0.5 × the bare
rate; ≤ 2 transactions per run.

    ./dev bench throughput [--runs 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event as sa_event  # noqa: E402

from bench.scratch import data_folder  # noqa: E402
from cronium_desktop.engine.engine import Engine  # noqa: E402
from cronium_desktop.engine.settings import DEFAULTS  # noqa: E402


async def bare(runs: int, concurrency: int) -> tuple[float, float]:
    """Spawns per second, and their CPU (the app's and the processes') per spawn."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            process = await asyncio.create_subprocess_exec("bash", "-c", "true")
            await process.wait()

    cpu_before, started = os.times(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(runs)))
    rate, cpu = runs / (time.perf_counter() - started), os.times()
    return rate, sum(cpu[:4]) / runs - sum(cpu_before[:4]) / runs


async def ours(runs: int) -> tuple[float, float, float, float]:
    with data_folder("cronium-bench-throughput-") as folder:
        return await ours_in(folder, runs)


async def ours_in(folder: Path, runs: int) -> tuple[float, float, float, float]:
    engine = Engine(folder)
    await engine.start()
    event_id = await engine.events.create({"name": "Trivial", "type": "BASH", "content": "true", "overlap": "ALLOW"})
    await engine.runs.wait(await engine.runs.start(event_id))  # warm-up
    commits = [0]
    sa_event.listen(engine.ctx.db.engine, "commit", lambda _connection: commits.__setitem__(0, commits[0] + 1))
    cpu_before, started = os.times(), time.perf_counter()
    ids = await asyncio.gather(*(engine.runs.start(event_id) for _ in range(runs)))
    await asyncio.gather(*(engine.runs.wait(execution_id) for execution_id in ids))
    rate, cpu = runs / (time.perf_counter() - started), os.times()
    await engine.stop()
    app = (cpu.user + cpu.system - cpu_before.user - cpu_before.system) / runs
    children = (cpu.children_user + cpu.children_system - cpu_before.children_user - cpu_before.children_system) / runs
    return rate, commits[0] / runs, app, children


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    os.system("uptime")
    # The floor is measured before and after the engine's runs: on a shared machine it moves by a
    # third within minutes, and one side alone would put that drift into the ratio.
    concurrency = int(DEFAULTS["concurrency"])  # a new data folder's, as the engine's in `ours`
    before, cpu_before = await bare(args.runs, concurrency)
    rate, per_run, app, children = await ours(args.runs)
    after, cpu_after = await bare(args.runs, concurrency)
    floor = (before + after) / 2
    print(f"{args.runs} trivial runs, concurrency {concurrency}")
    print(f"  bare spawns            {floor:8.0f} runs/s (before {before:.0f}, after {after:.0f}); "
          f"CPU per spawn {(cpu_before + cpu_after) * 500:.2f} ms")
    print(f"  through the engine     {rate:8.0f} runs/s = {rate / floor:.2f} × bare (target ≥ 0.5)")
    print(f"  write transactions     {per_run:8.2f} per run (target ≤ 2)")
    print(f"  CPU per run            {(app + children) * 1000:8.2f} ms: the app {app * 1000:.2f}, "
          f"its processes {children * 1000:.2f} (the app's threads and the runs share {os.cpu_count()} cores)")


if __name__ == "__main__":
    asyncio.run(main())
