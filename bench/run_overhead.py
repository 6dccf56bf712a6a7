"""Per-run overhead of a trivial local BASH run, beside a bare subprocess in the same process.

Prints the median time from `runs.start()` to the script's first instruction, the median total
per run (start → final state recorded), the median of a bare
`asyncio.create_subprocess_exec("bash", "-c", "true")` and of the same through the run wrapper.
Targets: total ≤ bare + 5 ms; the wrapper adds ≤ 2 ms.

`--variables` prints instead the median total per run with no variables (the floor) and with
10,000 variables set. Target: at most 10 ms more (start-up must not grow with their number).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cronium_desktop.engine.engine import Engine  # noqa: E402

RUNS = 60


async def bare() -> list[float]:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec("bash", "-c", "true")
        await process.wait()
        samples.append(time.perf_counter() - started)
    return samples


async def ours(data_dir: Path) -> tuple[list[float], list[float]]:
    engine = Engine(data_dir)
    await engine.start()
    event_id = await engine.events.create({"name": "Trivial", "type": "BASH", "content": "echo $EPOCHREALTIME"})
    to_start, totals = [], []
    for index in range(RUNS + 5):
        wall, started = time.time(), time.perf_counter()
        execution_id = await engine.runs.start(event_id)
        await engine.runs.wait(execution_id)
        total = time.perf_counter() - started
        records = await engine.runs.log(execution_id)
        [line] = [record for record in records if record.stream == "stdout"]
        for record in records:
            if record.stream != "stdout":
                print(f"note: run {execution_id}: {record.text}")
        if index >= 5:  # warm-up
            to_start.append(float(line.text) - wall)
            totals.append(total)
    await engine.stop()
    return to_start, totals


VARIABLES = 10_000


async def engine_with_variables(data_dir: Path, count: int) -> tuple[Engine, int]:
    engine = Engine(data_dir)
    await engine.start()
    with engine.ctx.db.write() as session:  # as a script that set them would leave them
        for index in range(count):
            engine.variables.write(session, f"var_{index}", f"value {index}")
    return engine, await engine.events.create({"name": "Trivial", "type": "BASH", "content": "true"})


async def variables_main() -> None:
    """Runs alternate between the two data folders, so the machine's load drifts over both alike."""
    with tempfile.TemporaryDirectory() as floor_folder, tempfile.TemporaryDirectory() as many_folder:
        pairs = [await engine_with_variables(Path(floor_folder), 0),
                 await engine_with_variables(Path(many_folder), VARIABLES)]
        samples: list[list[float]] = [[], []]
        for index in range(RUNS + 5):
            for which, (engine, event_id) in enumerate(pairs):
                started = time.perf_counter()
                await engine.runs.wait(await engine.runs.start(event_id))
                if index >= 5:  # warm-up
                    samples[which].append(time.perf_counter() - started)
        for engine, _ in pairs:
            await engine.stop()
    floor, many = samples
    extra = statistics.median(many) - statistics.median(floor)
    print(f"cronium: run total, no variables (floor)    : {ms(floor)}")
    print(f"cronium: run total, {VARIABLES:,} variables       : {ms(many)}")
    verdict = "meets" if extra <= 0.010 else "misses"
    print(f"target ≤ floor + 10 ms → {extra * 1000:+.1f} ms, {verdict} the target")


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms (p90 {sorted(values)[int(len(values) * 0.9)] * 1000:.1f})"


async def wrapped() -> list[float]:
    """The same bare spawn through the run wrapper (its status file included)."""
    from cronium_desktop.engine.executors.spool import WRAPPER

    samples = []
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CRONIUM_WATCHDOG": "3600"}
        for _ in range(RUNS):
            started = time.perf_counter()
            process = await asyncio.create_subprocess_exec("sh", "-c", WRAPPER, "run", folder, "bash", "-c", "true",
                                                           env=env, start_new_session=True)
            await process.wait()
            samples.append(time.perf_counter() - started)
    return samples


async def main() -> None:
    os.system("uptime")
    bare_samples = await bare()
    wrapper_samples = await wrapped()
    with tempfile.TemporaryDirectory() as folder:
        to_start, totals = await ours(Path(folder))
    bare_median = statistics.median(bare_samples)
    target = bare_median + 0.005
    print(f"bare create_subprocess_exec bash -c true : {ms(bare_samples)}")
    print(f"the same through the run wrapper         : {ms(wrapper_samples)}")
    print(f"cronium: run() → script starts             : {ms(to_start)}")
    print(f"cronium: run() → final state recorded      : {ms(totals)}")
    added = statistics.median(wrapper_samples) - bare_median
    print(f"wrapper adds {added * 1000:.1f} ms (target ≤ 2 ms) → {'meets' if added <= 0.002 else 'misses'}")
    verdict = "meets" if statistics.median(totals) <= target else "misses"
    print(f"target total ≤ bare + 5 ms = {target * 1000:.1f} ms → {verdict} the target")


if __name__ == "__main__":
    asyncio.run(variables_main() if "--variables" in sys.argv[1:] else main())
