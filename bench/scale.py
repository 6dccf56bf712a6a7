"""A year of history: every view and command on a folder of 2,000 events, 300,000 runs and
3,000,000 log lines (`--big`: ten times that), each figure beside its floor measured in this run.

The folder is built once (kept in /tmp/cronium-scale-<size>; `--rebuild` builds it again): the
events come in through `import` (timed: that is the import row), the runs and their log blocks are
inserted directly, spread over the past year (realistic rows: an attempt each, a block of ten lines
each, one run in fifty failed, a few multi-server results).

    ./dev bench scale [--big] [--rebuild] [--skip-cli] [--skip-window]

Floors: `python -c "import sqlalchemy"` for CLI commands; a bare QApplication + empty window for the
window's start. Targets: CLI ≤ 1.5 × floor; window shown ≤ 1.5 s; a page refresh ≤ 150 ms; a run's
log opened ≤ 100 ms; import of 2,000 events ≤ 2 s; window RSS ≤ 200 MB; after `prune` with 90 days
kept the folder shrinks in proportion, and stays bounded as runs keep coming.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the page timings make a QApplication in this process
sys.path.insert(0, str(ROOT))
from bench.startup import BARE, time_to_shown, time_to_window  # noqa: E402

EVENTS, RUNS, LINES_PER_RUN = 2_000, 300_000, 10
ROUNDS = 3
ENV = {**os.environ, "CRONIUM_PASSPHRASE": "bench", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
       "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)  # users have bytecode caches
rows_out: list[tuple[str, float, str, bool | None]] = []


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def report(what: str, seconds: float, target_text: str, met: bool | None) -> None:
    rows_out.append((what, seconds, target_text, met))
    verdict = "" if met is None else ("MET" if met else "MISSED")
    print(f"  {what:<44} {seconds * 1000:9.0f} ms   {target_text:<26} {verdict}", flush=True)


def events_file(path: Path, count: int) -> None:
    events = []
    for i in range(count):
        # 200 of 2,000 on a schedule, as a busy desk has (daily at 15:xx UTC: a next fire more than
        # 24.8 days away overflows qasync's timer, see the report)
        scheduled = i % 10 == 0
        events.append({
            "key": f"e{i}", "name": f"Event {i:05d}", "type": ("BASH", "PYTHON", "NODEJS")[i % 3],
            "content": f"echo 'job {i}'\n" * 5, "trigger": "SCHEDULE" if scheduled else "MANUAL",
            "schedule": {"cron": f"{i % 60} 15 * * *"} if scheduled else None, "timezone": None,
            "status": "ACTIVE" if scheduled else "DRAFT", "run_location": "LOCAL", "servers": [],
            "timeout_seconds": 600, "retries": i % 3, "env": {"MODE": "fast", "N": str(i)}, "tags": ["bench", f"t{i % 7}"],
            "conditional_actions": [{"on": "ON_FAILURE", "action": "RUN_EVENT", "event": f"e{(i + 1) % count}"}] if i % 20 == 0 else [],
        })
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": events}))


def cli(data_dir: Path, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cronium_desktop", "--data-dir", str(data_dir), *args],
                          env=ENV, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"cronium-desktop {' '.join(args)} failed: {done.stderr[-2000:]}")
    return elapsed


def median(fn: Callable[[], float], rounds: int = ROUNDS) -> float:
    fn()  # warm-up: files cached, bytecode written
    return statistics.median(fn() for _ in range(rounds))


def python_floor() -> float:
    return median(lambda: _timed([sys.executable, "-c", "import sqlalchemy"]))


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=ENV, check=True, cwd=ROOT)
    return time.perf_counter() - started


def fill_runs(data_dir: Path, runs: int, start: datetime, end: datetime, first_event: int = 1,
              events: int = EVENTS) -> None:
    """Insert `runs` finished runs spread between `start` and `end`, each with an attempt and a block."""
    from cronium_desktop.engine.notices import Segment
    from cronium_desktop.engine.runs import logstore

    rng = random.Random(runs)
    db = sqlite3.connect(data_dir / "cronium.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    span = (end - start).total_seconds()
    batch = 10_000
    first_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM executions").fetchone()[0]) + 1
    for offset in range(0, runs, batch):
        executions, attempts, blocks, servers = [], [], [], []
        for n in range(offset, min(runs, offset + batch)):
            run_id = first_id + n
            created = start + timedelta(seconds=span * n / runs)
            event = first_event + rng.randrange(events)
            status = "FAILURE" if rng.random() < 0.02 else "SUCCESS"
            duration = rng.randrange(50, 30_000)
            finished = created + timedelta(milliseconds=duration)
            stamp, done = created.isoformat(" "), finished.isoformat(" ")
            executions.append((run_id, event, f"Event {event - first_event:05d}", "SCHEDULE", status, 1, 1, 1, 0,
                               1 if status == "FAILURE" else 0, stamp, stamp, done, duration, 0, 0))
            attempts.append((run_id, 1, status, executions[-1][9], stamp, done))
            texts = "\n".join(f"{created:%H:%M:%S} step {k} of job {event}: processed {rng.randrange(10**6)} rows"
                              for k in range(LINES_PER_RUN)).encode()
            codec, data, lines = logstore.pack([Segment("stdout", created, texts, LINES_PER_RUN)])
            blocks.append((run_id, 1, 1, lines, codec, data))
            if n % 100 == 0:
                servers += [(run_id, 1, f"web{k}", status, 0) for k in range(3)]
        db.executemany(
            "INSERT INTO executions (id, event_id, event_name, trigger, status, priority, attempt, max_attempts, condition, "
            "exit_code, created_at, started_at, finished_at, duration_ms, chain_depth, skipped_count) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", executions)
        db.executemany("INSERT INTO attempts (execution_id, number, status, exit_code, started_at, finished_at) "
                       "VALUES (?,?,?,?,?,?)", attempts)
        db.executemany("INSERT INTO log_blocks (execution_id, attempt, first_line, line_count, codec, data) "
                       "VALUES (?,?,?,?,?,?)", blocks)
        db.executemany("INSERT INTO server_results (execution_id, attempt, server_name, status, exit_code) "
                       "VALUES (?,?,?,?,?)", servers)
        db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def folder_bytes(path: Path) -> int:
    """The store as it stands (database and write-ahead log); rolling backups are apart."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and "backups" not in f.parts)


def build(folder: Path, scale: int, rebuild: bool) -> Path:
    data_dir = folder / "data"
    if data_dir.exists() and not rebuild and (folder / "built").exists():
        print(f"(using the folder built before: {folder}; --rebuild builds it again)")
        return data_dir
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    events_file(folder / "events.cronium.json", EVENTS)
    cli(data_dir, "list", "events")  # a new store, migrated
    cli(data_dir, "import", str(folder / "events.cronium.json"))
    started = time.perf_counter()
    end = now_utc()
    fill_runs(data_dir, RUNS * scale, end - timedelta(days=365), end - timedelta(minutes=1))
    cli(data_dir, "var", "set", "region", "eu-west")
    print(f"(built {RUNS * scale:,} runs, {RUNS * scale * LINES_PER_RUN:,} log lines in {time.perf_counter() - started:.0f} s)")
    (folder / "built").write_text("ok")
    return data_dir


# -- the window's pages, in one process -----------------------------------------------------------------

def measure_pages(data_dir: Path) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from cronium_desktop.ui.collector import GuiCollector

    GuiCollector(app)  # the app's collector: cycles collected on the GUI thread (heap.py)

    from cronium_desktop.ui.qt_loop import QtLoop

    loop = QtLoop(app)
    asyncio.set_event_loop(loop)
    with loop:  # closed after: its worker QThreads are stopped before the process exits
        loop.run_until_complete(_pages(data_dir))


async def _timed_async(make: Callable[[], Awaitable[Any]], rounds: int = 5) -> float:
    await make()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await make()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _pages(data_dir: Path) -> None:
    from cronium_desktop.engine.engine import Engine
    from cronium_desktop.ui.bridge import EngineBridge
    from cronium_desktop.ui.dashboard.page import DashboardPage
    from cronium_desktop.ui.events.page import EventsPage
    from cronium_desktop.ui.runs.page import RunsPage

    engine = Engine(data_dir, passphrase="bench")
    await engine.start()
    bridge = EngineBridge(engine.bus)
    try:
        floor = await _timed_async(lambda: engine.history.count())
        print(f"  {'floor: one COUNT(*) of the runs':<44} {floor * 1000:9.0f} ms")
        dashboard, events, runs = DashboardPage(engine, bridge), EventsPage(engine, bridge), RunsPage(engine, bridge)
        await runs._events()
        for name, page in (("Dashboard refresh", dashboard), ("Events page refresh", events), ("Runs page refresh", runs)):
            seconds = await _timed_async(page._refresh)
            report(name, seconds, "target ≤ 150 ms", seconds <= 0.150)
        runs.event_filter.setCurrentIndex(1500)
        seconds = await _timed_async(runs._refresh)
        report("Runs filtered by event", seconds, "target ≤ 150 ms", seconds <= 0.150)
        runs.event_filter.setCurrentIndex(0)
        runs.state_filter.setCurrentIndex(runs.state_filter.findData("FAILURE"))
        seconds = await _timed_async(runs._refresh)
        report("Runs filtered by status (FAILURE)", seconds, "target ≤ 150 ms", seconds <= 0.150)
        runs.state_filter.setCurrentIndex(0)
        await runs._refresh()
        seconds = await _timed_async(runs.load_more)
        report("Runs: next page on scrolling", seconds, "target ≤ 150 ms", seconds <= 0.150)
        some_run = (await engine.history.page(limit=1000))[-1].execution_id

        async def open_log() -> None:
            runs.current = some_run
            runs._last_log_id = 0
            runs.log.clear()
            await runs._load_run(some_run)

        seconds = await _timed_async(open_log)
        report("opening one run's log", seconds, "target ≤ 100 ms", seconds <= 0.100)
    finally:
        await engine.stop(grace_seconds=0)


def window_start(data_dir: Path, folder: Path) -> None:
    probe = folder / "shown"
    env = {**ENV, "CRONIUM_STARTUP_PROBE": str(probe), "XDG_CONFIG_HOME": str(folder / "config")}
    bare = median(lambda: time_to_shown([sys.executable, "-c", BARE], env, probe))
    print(f"  {'floor: bare QApplication + empty window':<44} {bare * 1000:9.0f} ms")
    command = [sys.executable, "-m", "cronium_desktop", "--data-dir", str(data_dir)]
    shown = median(lambda: time_to_window(command, env, probe)[0])
    report("window start to shown", shown, "target ≤ 1500 ms", shown <= 1.5)
    ready = median(lambda: time_to_window(command, env, probe)[1])
    print(f"  {'window start to ready (engine, first page)':<44} {ready * 1000:9.0f} ms", flush=True)
    rss = window_rss(data_dir, env, probe)
    print(f"  {'window RSS (after the Dashboard loaded)':<44} {rss / 1e6:9.0f} MB   target ≤ 200 MB "
          f"{'MET' if rss <= 200e6 else 'MISSED'}", flush=True)
    rows_out.append(("window RSS", rss, "target ≤ 200 MB", rss <= 200e6))  # counted in the tally


def window_rss(data_dir: Path, env: dict[str, str], probe: Path) -> int:
    import signal

    probe.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "--data-dir", str(data_dir)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while not (probe.exists() and "ready" in probe.read_text()):
            time.sleep(0.01)
        time.sleep(3)  # the first page's figures loaded
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def import_row(folder: Path) -> None:
    file = folder / "events.cronium.json"
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "data"
        cli(fresh, "list", "events")
        floor = python_floor()
        started = time.perf_counter()
        cli(fresh, "import", str(file))
        seconds = time.perf_counter() - started
    report(f"import of {EVENTS:,} events (CLI, whole command)", seconds, "target ≤ 2000 ms", seconds <= 2.0)
    print(f"    (floor for CLI commands: import sqlalchemy {floor * 1000:.0f} ms)")


def cli_rows(data_dir: Path, empty: Path) -> None:
    floor = python_floor()
    label = 'floor: python -c "import sqlalchemy"'
    print(f"  {label:<44} {floor * 1000:9.0f} ms")
    limit = 1.5 * floor
    for label, folder in (("", data_dir), (" (empty folder)", empty)):
        for args in (("list", "events"), ("list", "runs"), ("logs", "Event 00042"), ("var", "get", "region")):
            if folder is empty and args[0] in ("logs", "var"):
                continue
            seconds = median(lambda args=args, folder=folder: cli(folder, *args))
            report(f"cronium-desktop {' '.join(args)}{label}", seconds, f"target ≤ {limit * 1000:.0f} ms", seconds <= limit)


def retention_rows(data_dir: Path, folder: Path) -> None:
    copy = folder / "prune-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data_dir, copy)
    before = folder_bytes(copy)
    started = time.perf_counter()
    cli(copy, "prune")
    seconds = time.perf_counter() - started
    after = folder_bytes(copy)
    kept = 90 / 365
    print(f"  {'prune, 90 days kept (whole command)':<44} {seconds * 1000:9.0f} ms   folder {before / 1e6:.0f} MB → "
          f"{after / 1e6:.0f} MB ({after / before:.0%}; runs kept ≈ {kept:.0%}) "
          f"{'MET' if after <= before * (kept + 0.1) else 'MISSED'}", flush=True)
    # Time goes on: each round adds 30 days of runs after the newest, then prunes at that moment.
    from cronium_desktop.engine.engine import Engine

    newest = now_utc()
    sizes = []
    for _ in range(3):
        fill_runs(copy, RUNS * 30 // 365, newest, newest + timedelta(days=30))
        newest += timedelta(days=30)
        engine = Engine(copy, passphrase="bench")
        engine.retention.prune(now=newest)
        asyncio.run(engine.stop(grace_seconds=0))
        sizes.append(folder_bytes(copy))
    grows = max(sizes) > after * 1.15
    print(f"  {'folder after 3 × (30 days more, then prune)':<44} {' → '.join(f'{s / 1e6:.0f} MB' for s in sizes)}   "
          f"bounded {'MISSED' if grows else 'MET'}", flush=True)
    shutil.rmtree(copy, ignore_errors=True)


def main() -> int:
    big = "--big" in sys.argv
    scale = 10 if big else 1
    folder = Path(tempfile.gettempdir()) / f"cronium-scale-{'big' if big else 'year'}"
    data_dir = build(folder, scale, "--rebuild" in sys.argv)
    print(f"folder: {EVENTS:,} events, {RUNS * scale:,} runs, {RUNS * scale * LINES_PER_RUN:,} log lines, "
          f"{folder_bytes(data_dir) / 1e6:.0f} MB")
    empty = folder / "empty"
    cli(empty, "list", "events")
    if "--skip-cli" not in sys.argv:
        print("CLI (median of 3 after a warm-up):")
        cli_rows(data_dir, empty)
        import_row(folder)
    if "--skip-window" not in sys.argv:
        print("window:")
        window_start(data_dir, folder)
        measure_pages(data_dir)
    print("retention:")
    retention_rows(data_dir, folder)
    missed = [row[0] for row in rows_out if row[3] is False]
    print(f"{len(rows_out) - len(missed)} of {len(rows_out)} targets met" + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
