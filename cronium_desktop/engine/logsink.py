"""Where a run's log lines go: masked, published live, and persisted in batches."""

from __future__ import annotations

import asyncio
import collections
import threading
from datetime import UTC, datetime

from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.notices import LogLineNotice, LogLines
from cronium_desktop.engine.secrets import Masker

_INSERT = "INSERT INTO log_lines (execution_id, attempt, server, ts, stream, text) VALUES (?, ?, ?, ?, ?, ?)"
PERSIST_INTERVAL_SECONDS = 0.5
TAIL_LINES = 50
WRITE_CHUNK_ROWS = 1000  # about 10 ms of the driver's executemany, holding the GIL throughout


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class LogSink:
    """Implements the executors' `Sink`; safe to call from worker threads.

    Lines produced within one loop iteration become one `LogLines` notice; the store gets them in
    batches every half second, so a crash loses at most that much log (ARCHITECTURE rule 4).
    """

    def __init__(self, ctx: EngineContext, execution_id: int, attempt: int, masker: Masker) -> None:
        self._ctx = ctx
        self.execution_id = execution_id
        self.attempt = attempt
        self._masker = masker
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._notice_batch: list[LogLineNotice] = []
        self._store_batch: list[tuple[object, ...]] = []
        self._persist_handle: asyncio.TimerHandle | None = None
        self._persisting: asyncio.Task[None] | None = None
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.count = 0

    def line(self, stream: str, text: str, server: str | None = None) -> None:
        record = LogLineNotice(utcnow(), stream, self._masker.mask(text), server)
        if threading.get_ident() == self._loop_thread:
            self._add(record)
        else:
            self._loop.call_soon_threadsafe(self._add, record)

    def _add(self, record: LogLineNotice) -> None:
        if not self._notice_batch:
            self._loop.call_soon(self._publish)
        self._notice_batch.append(record)
        self._store_batch.append(
            (self.execution_id, self.attempt, record.server, record.ts, record.stream, record.text)
        )
        self.tail.append(record.text)
        self.count += 1
        if self._persist_handle is None:
            self._persist_handle = self._loop.call_later(PERSIST_INTERVAL_SECONDS, self._start_persist)

    def _publish(self) -> None:
        batch, self._notice_batch = self._notice_batch, []
        if batch:
            self._ctx.bus.publish(LogLines(self.execution_id, self.attempt, tuple(batch)))

    def _start_persist(self) -> None:
        self._persist_handle = None
        previous = self._persisting
        batch, self._store_batch = self._store_batch, []

        async def persist() -> None:
            if previous is not None:
                await previous  # keep batches in order
            if batch:
                await asyncio.to_thread(self._write, batch)

        self._persisting = self._loop.create_task(persist())

    def _write(self, batch: list[tuple[object, ...]]) -> None:
        # The driver's executemany: a log can be millions of rows, and the ORM's per-row work would
        # hold the GIL long enough to stall the event loop. Even so, one executemany runs in C from
        # start to end, where a thread is never asked to hand the GIL over: 40,000 rows kept the
        # loop waiting 400 ms. Between chunks the thread runs Python again and gives way.
        # isoformat is the store's DateTime text ("YYYY-MM-DD HH:MM:SS.ffffff") at a quarter of strftime's cost.
        rows = [(e, a, s, ts.isoformat(" ", "microseconds"), st, t) for e, a, s, ts, st, t in batch]  # type: ignore[attr-defined]
        with self._ctx.db.write() as session:
            connection = session.connection()
            for start in range(0, len(rows), WRITE_CHUNK_ROWS):
                connection.exec_driver_sql(_INSERT, rows[start:start + WRITE_CHUNK_ROWS])

    async def close(self) -> None:
        """Publish and persist everything still buffered."""
        await asyncio.sleep(0)  # let lines handed over from worker threads arrive
        self._publish()
        if self._persist_handle is not None:
            self._persist_handle.cancel()
        self._start_persist()
        assert self._persisting is not None
        await asyncio.shield(self._persisting)
