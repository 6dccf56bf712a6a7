"""Retention: run history is kept N days and at most M runs per event, then pruned in small batches.

A year of a busy desk is hundreds of thousands of runs; without this the store grows for ever.
What goes: finished runs older than `log_retention_days` (0 keeps them by age), and an event's
finished runs beyond its newest `max_runs_per_event` (0 = no cap). Runs still PENDING or RUNNING
are never touched. The runs of a workflow go together: they go with their workflow run (when it is
old enough, or beyond the newest `max_runs_per_event` of its workflow), never one by one. A run's
log blocks, attempts and server results follow it through the store's foreign keys.

Deletion runs in batches of `BATCH_RUNS`, one short write transaction each, so the window and the
runs going on never wait long for the store; space is given back to the file system with SQLite's
incremental vacuum. Everything here is blocking: call it from a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.versions import prune_versions

log = logging.getLogger(__name__)

BATCH_RUNS = 500  # runs per delete transaction: a few tens of milliseconds of the store's one writer
PLAN_LIMIT = 50_000  # candidate ids gathered per pass, so memory stays small on a huge store
VACUUM_PAGES = 2_000  # pages given back per incremental-vacuum step
BACKGROUND_FIRST_SECONDS = 60.0  # let the window and the first runs start before pruning
BACKGROUND_EVERY_SECONDS = 3600.0
BACKGROUND_PAUSE_SECONDS = 0.05  # between batches: other writers get the store in between
_FINAL = "('SUCCESS','FAILURE','TIMEOUT','CANCELLED','PARTIAL','SKIPPED')"


@dataclass
class PruneReport:
    """What a prune removed (or, for a dry run, would remove)."""

    dry_run: bool = False
    runs: int = 0
    workflow_runs: int = 0
    log_lines: int = 0
    log_blocks: int = 0
    server_results: int = 0
    versions: int = 0  # old definition versions past `version_retention`
    bytes_before: int = 0
    bytes_after: int = 0
    policy: tuple[int, int] = (0, 0)
    seconds: float = 0.0
    _seen: set[int] = field(default_factory=set, repr=False)

    def add(self, other: PruneReport) -> None:
        for name in ("runs", "workflow_runs", "log_lines", "log_blocks", "server_results"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def lines(self) -> list[str]:
        days, cap = self.policy
        kept = (f"{days} days" if days else "any age") + (f", at most {cap} runs per event" if cap else "")
        verb = "Would remove" if self.dry_run else "Removed"
        lines = [f"{verb} {self.runs} run(s) and {self.workflow_runs} workflow run(s) "
                 f"({self.log_lines} log line(s) in {self.log_blocks} block(s), {self.server_results} server result(s)); "
                 f"history kept: {kept}."]
        if self.versions:
            lines.append(f"{verb} {self.versions} old definition version(s) of events and workflows.")
        if not self.dry_run:
            lines.append(f"Store: {_mb(self.bytes_before)} before, {_mb(self.bytes_after)} after.")
        return lines


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


class Retention:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    def policy(self) -> tuple[int, int]:
        """(days kept, runs kept per event); 0 means no limit of that kind."""
        settings = self._ctx.settings
        return max(0, int(settings.get("log_retention_days") or 0)), max(0, int(settings.get("max_runs_per_event") or 0))

    # -- what goes ---------------------------------------------------------------------------------------

    @staticmethod
    def _old_runs(conn: Connection, cutoff: datetime | None, cap: int) -> list[int]:
        """Ids of finished runs outside any workflow that are too old or past their event's cap."""
        ids: list[int] = []
        if cutoff is not None:
            ids += conn.execute(text(
                "SELECT id FROM executions WHERE created_at < :cutoff AND workflow_execution_id IS NULL "
                f"AND status IN {_FINAL} ORDER BY created_at LIMIT :limit"), {"cutoff": _stored(cutoff), "limit": PLAN_LIMIT}).scalars().all()
        if cap and len(ids) < PLAN_LIMIT:
            # Events over their cap first (the (event_id, id) index counts them), then only their oldest runs.
            over = conn.execute(text(
                "SELECT event_id, COUNT(*) FROM executions WHERE event_id IS NOT NULL AND workflow_execution_id IS NULL "
                "GROUP BY event_id HAVING COUNT(*) > :cap"), {"cap": cap}).all()
            taken = set(ids)
            for event_id, _count in over:
                rows = conn.execute(text(
                    "SELECT id FROM executions WHERE event_id = :event AND workflow_execution_id IS NULL "
                    f"AND status IN {_FINAL} AND id < (SELECT id FROM executions WHERE event_id = :event "
                    "AND workflow_execution_id IS NULL ORDER BY id DESC LIMIT 1 OFFSET :last) ORDER BY id DESC"),
                    {"event": event_id, "last": cap - 1}).scalars().all()
                ids += [run_id for run_id in rows if run_id not in taken]
                if len(ids) >= PLAN_LIMIT:
                    break
        return ids[:PLAN_LIMIT]

    @staticmethod
    def _old_workflow_runs(conn: Connection, cutoff: datetime | None, cap: int) -> list[int]:
        """Ids of finished workflow runs that are too old or past their workflow's cap (none of whose
        node runs is still going)."""
        going = ("NOT EXISTS (SELECT 1 FROM executions e WHERE e.workflow_execution_id = w.id "
                 "AND e.status IN ('PENDING','RUNNING'))")
        final = "w.status IN ('SUCCESS','FAILURE','PARTIAL','CANCELLED','TIMEOUT','SKIPPED')"
        ids: list[int] = []
        if cutoff is not None:
            ids += conn.execute(text(
                f"SELECT w.id FROM workflow_executions w WHERE w.created_at < :cutoff AND {final} AND {going} "
                "ORDER BY w.created_at LIMIT :limit"), {"cutoff": _stored(cutoff), "limit": PLAN_LIMIT}).scalars().all()
        if cap:
            taken = set(ids)
            ids += [run_id for run_id in conn.execute(text(
                f"SELECT id FROM (SELECT w.id, {final} AND {going} AS done, ROW_NUMBER() OVER "
                "(PARTITION BY w.workflow_id ORDER BY w.id DESC) AS newest FROM workflow_executions w "
                "WHERE w.workflow_id IS NOT NULL) WHERE newest > :cap AND done LIMIT :limit"),
                {"cap": cap, "limit": PLAN_LIMIT}).scalars().all() if run_id not in taken]
        return ids[:PLAN_LIMIT]

    # -- removing ----------------------------------------------------------------------------------------

    @staticmethod
    def _count(conn: Connection, runs: list[int], workflow_runs: list[int]) -> PruneReport:
        """What removing these runs and workflow runs (with their node runs) takes away."""
        report = PruneReport(runs=len(runs), workflow_runs=len(workflow_runs))
        targets: list[int] = list(runs)
        for chunk in _chunks(workflow_runs, 500):
            marks = ",".join(str(int(i)) for i in chunk)
            nodes = conn.execute(text(f"SELECT id FROM executions WHERE workflow_execution_id IN ({marks})")).scalars().all()
            report.runs += len(nodes)
            targets += nodes
        for chunk in _chunks(targets, 500):
            marks = ",".join(str(int(i)) for i in chunk)
            blocks, lines = conn.execute(text(
                f"SELECT COUNT(*), COALESCE(SUM(line_count), 0) FROM log_blocks WHERE execution_id IN ({marks})")).one()
            report.log_blocks += int(blocks)
            report.log_lines += int(lines)
            report.server_results += int(conn.execute(text(
                f"SELECT COUNT(*) FROM server_results WHERE execution_id IN ({marks})")).scalar_one())
        return report

    def _delete_batch(self, runs: list[int], workflow_runs: list[int]) -> PruneReport:
        """One short write transaction; the status is checked again inside it, so a run that is
        going on is never removed whatever happened since the plan."""
        with self._ctx.db.write() as session:
            conn = session.connection()
            if runs:
                marks = ",".join(str(int(i)) for i in runs)
                runs = list(conn.execute(text(
                    f"SELECT id FROM executions WHERE id IN ({marks}) AND status IN {_FINAL}")).scalars().all())
            report = self._count(conn, runs, workflow_runs)
            if runs:
                conn.execute(text(f"DELETE FROM executions WHERE id IN ({','.join(str(int(i)) for i in runs)})"))
            if workflow_runs:
                # The node runs first, each with its log (foreign keys), then the workflow runs.
                marks = ",".join(str(int(i)) for i in workflow_runs)
                conn.execute(text(f"DELETE FROM executions WHERE workflow_execution_id IN ({marks})"))
                conn.execute(text(f"DELETE FROM workflow_executions WHERE id IN ({marks})"))
        return report

    def prune(self, dry_run: bool = False, pause: Callable[[], None] | None = None,
              now: datetime | None = None) -> PruneReport:
        """Remove what the policy no longer keeps, batch by batch, then give the space back.

        `pause()` runs between batches (the background pruner sleeps there)."""
        started = time.monotonic()
        days, cap = self.policy()
        cutoff = (now or utcnow()) - timedelta(days=days) if days else None
        total = PruneReport(dry_run=dry_run, policy=(days, cap), bytes_before=self.store_bytes())
        total.versions = prune_versions(self._ctx.db, int(self._ctx.settings.get("version_retention") or 0), dry_run)
        if cutoff is None and not cap:
            total.bytes_after, total.seconds = total.bytes_before, time.monotonic() - started
            return total
        while True:
            with self._ctx.db.read() as session:
                conn = session.connection()
                runs = [i for i in self._old_runs(conn, cutoff, cap) if i not in total._seen]
                workflow_runs = [i for i in self._old_workflow_runs(conn, cutoff, cap) if -i not in total._seen]
                if dry_run:
                    total.add(self._count(conn, runs, workflow_runs))
                    break
            if not runs and not workflow_runs:
                break
            for chunk in _chunks(runs, BATCH_RUNS):
                total.add(self._delete_batch(chunk, []))
                total._seen.update(chunk)  # a run that could not go (it started again) is not planned twice
                if pause is not None:
                    pause()
            for chunk in _chunks(workflow_runs, max(1, BATCH_RUNS // 10)):
                total.add(self._delete_batch([], chunk))
                total._seen.update(-i for i in chunk)
                if pause is not None:
                    pause()
        if not dry_run:  # also the free pages of an earlier prune that was stopped before this step
            self.give_back_space(pause)
        total.bytes_after = self.store_bytes()
        total.seconds = time.monotonic() - started
        return total

    # -- space ----------------------------------------------------------------------------------------

    def store_bytes(self) -> int:
        """The store's size on disk: the database file and its write-ahead log."""
        path = self._ctx.db.path
        return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())

    def give_back_space(self, pause: Callable[[], None] | None = None) -> None:
        """Free pages go back to the file system: step by step with incremental vacuum; a store made
        before incremental vacuum was on is converted once (a full VACUUM) by an on-demand prune."""
        with self._ctx.db.write() as session:
            conn = session.connection()
            mode = conn.exec_driver_sql("PRAGMA auto_vacuum").scalar_one()
            free = conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        if not free:
            return
        if mode != 2:
            if pause is None and free * 10 > pages:  # on demand (`prune`): converting rewrites the file once
                self.convert_to_incremental()
            return
        while True:
            with self._ctx.db.write() as session:
                conn = session.connection()
                free = conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
                if not free:
                    break
                # sqlite3 steps a pragma once per fetch: read it through, or only one page goes.
                cursor = conn.connection.driver_connection.execute(f"PRAGMA incremental_vacuum({VACUUM_PAGES})")  # type: ignore[union-attr]
                cursor.fetchall()
            if pause is not None:
                pause()
        self._checkpoint()

    def convert_to_incremental(self) -> None:
        raw = self._ctx.db.engine.raw_connection()
        try:
            with self._ctx.db.write():
                cursor = raw.cursor()
                cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
                cursor.execute("VACUUM")
                cursor.close()
        finally:
            raw.close()
        self._checkpoint()

    def _checkpoint(self) -> None:
        # In WAL mode the file shrinks when the log is written back; TRUNCATE also empties the log file.
        raw = self._ctx.db.engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def _stored(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # as the store's DateTime columns hold it


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class PruneStopped(Exception):
    """The app is stopping: the background prune ends after the batch it was in."""


async def keep_pruned(retention: Retention, report: Callable[[PruneReport], Any] | None = None) -> None:
    """The background pruner of the process that owns the data folder: soon after start, then hourly.

    Cancelled (the app stops), it stops at the next batch: a worker thread cannot be cancelled,
    and the app would otherwise wait for a whole prune before it exits."""
    stopping = threading.Event()

    def pause() -> None:
        if stopping.wait(BACKGROUND_PAUSE_SECONDS):
            raise PruneStopped

    try:
        await asyncio.sleep(BACKGROUND_FIRST_SECONDS)
        while True:
            try:
                result = await asyncio.to_thread(retention.prune, False, pause)
                if result.runs or result.workflow_runs:
                    log.info(" ".join(result.lines()))
                    if report is not None:
                        report(result)
            except PruneStopped:
                return
            except Exception:  # noqa: BLE001 - retention must never stop the app; it tries again later
                log.exception("Pruning the run history failed; it is tried again in an hour.")
            await asyncio.sleep(BACKGROUND_EVERY_SECONDS)
    finally:
        stopping.set()
