"""Output at pipe speed: big outputs as local BASH runs, beside the same command piped to `cat`.

For `seq N` and `head -c M /dev/urandom | base64` (a binary-ish stream), printed in one run:
- the floor: the command piped to `cat` into /dev/null;
- run → final state through the engine;
- `cronium-desktop logs` of the run back to /dev/null, its wall time and peak RSS;
- how much the store grew per MB of output.
Targets: seq 1,000,000 ≤ 1.5 s; the stream ≤ 3 × its floor; logs of 1 M lines ≤ 1.5 s and
≤ 150 MB RSS; store growth ≤ 1.2 × the output's size.

    ./dev bench output [--lines 1000000] [--mb 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import data_folder  # noqa: E402
from cronium_desktop.engine.engine import Engine  # noqa: E402


def floor(command: str) -> tuple[float, int]:
    """Seconds for `command | cat > /dev/null`, and the output's size in bytes."""
    started = time.perf_counter()
    subprocess.run(["sh", "-c", f"{command} | cat > /dev/null"], check=True)
    elapsed = time.perf_counter() - started
    size = int(subprocess.run(["sh", "-c", f"{command} | wc -c"], check=True, capture_output=True, text=True).stdout)
    return elapsed, size


def store_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def logs_back(folder: Path, event: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of `cronium-desktop logs EVENT > /dev/null`."""
    env = {**os.environ, "CRONIUM_DATA_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "logs", event], stdout=sink, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"logs {event} exited with {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024


async def run_once(folder: Path, name: str, command: str) -> float:
    engine = Engine(folder)
    await engine.start()
    event_id = await engine.events.create({"name": name, "type": "BASH", "content": command, "timeout_seconds": 3600})
    started = time.perf_counter()
    summary = await engine.runs.wait(await engine.runs.start(event_id))
    elapsed = time.perf_counter() - started
    await engine.stop()
    if summary.status != "SUCCESS":
        raise SystemExit(f"{name}: {summary.status} {summary.error}")
    return elapsed


def measure(name: str, command: str, target_seconds: float | None) -> None:
    floor_seconds, size = floor(command)
    with data_folder("cronium-bench-output-") as folder:
        engine = Engine(folder)  # an empty store's own size is not output
        asyncio.run(_prepare(engine))
        before = store_bytes(folder)
        run_seconds = asyncio.run(run_once(folder, name, command))
        grown = store_bytes(folder) - before
        logs_seconds, rss = logs_back(folder, name)
    limit = target_seconds if target_seconds is not None else 3 * floor_seconds
    print(f"{name}: {command}  ({size / 1e6:.1f} MB of output)")
    print(f"  floor (| cat)            {floor_seconds:8.3f} s")
    print(f"  run → final state        {run_seconds:8.3f} s   target ≤ {limit:.2f} s → {'meets' if run_seconds <= limit else 'misses'}")
    print(f"  logs → /dev/null         {logs_seconds:8.3f} s   peak RSS {rss:.0f} MB")
    print(f"  store growth             {grown / 1e6:8.1f} MB = {grown / size:.2f} × the output (target ≤ 1.2)")


async def _prepare(engine: Engine) -> None:
    await engine.start()
    await engine.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--mb", type=int, default=100)
    args = parser.parse_args()
    os.system("uptime")
    measure("Seq", f"seq {args.lines}", 1.5 * args.lines / 1_000_000)
    measure("Base64", f"head -c {args.mb}M /dev/urandom | base64", None)


if __name__ == "__main__":
    main()
