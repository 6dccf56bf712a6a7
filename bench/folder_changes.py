"""What noticing another process's changes costs the scheduler: one look at the store.

A running scheduler looks whenever `PRAGMA data_version` moves (its own log writes move it too, so
under load that is every poll, 5 times a second). Prints the time of one look (data_version plus
the fingerprint of every event, workflow, variable, setting and tool) for a folder of N events with
real scripts, beside the floor of reading the same events' rows with no hashing.
Target: a look of 1,000 events well under 20 ms (≤ 10 % of one core at 5 looks a second).

    ./dev bench folder_changes [--events 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cronium_desktop.engine.folder_changes import fingerprint  # noqa: E402


async def make_folder(data_dir: Path, count: int) -> None:
    from cronium_desktop.engine.engine import Engine

    engine = Engine(data_dir, passphrase="bench")
    await engine.start()
    script = "\n".join(f"echo line {n}" for n in range(40))
    for n in range(count):
        await engine.events.create({"name": f"Event {n}", "type": "BASH", "content": script, "trigger": "SCHEDULE",
                                    "schedule": {"cron": f"{n % 60} * * * *"}, "status": "ACTIVE",
                                    "env": {"MODE": "fast"}, "tags": ["bench"]})
    await engine.stop()


def timed(work, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        asyncio.run(make_folder(data_dir, args.events))
        connection = sqlite3.connect(data_dir / "cronium.db", isolation_level=None)
        floor = timed(lambda: connection.execute("SELECT * FROM events").fetchall(), args.repeat)
        look = timed(lambda: (connection.execute("PRAGMA data_version").fetchone(), fingerprint(connection)),
                     args.repeat)
        quiet = timed(lambda: connection.execute("PRAGMA data_version").fetchone(), args.repeat)
        connection.close()
    print(f"events: {args.events}")
    print(f"floor: read every event row            {floor:8.2f} ms")
    print(f"one look when something changed        {look:8.2f} ms  (target < 20 ms)")
    print(f"one look when nothing changed          {quiet:8.3f} ms")


if __name__ == "__main__":
    main()
