"""Where a run's output goes: masked, published live, and persisted in blocks.

Output arrives as segments (many lines read at once, see `notices.Segment`) from the local
executor's reader thread, or line by line from the other executors. Segments received within one
loop iteration become one `LogLines` notice; the store gets them as blocks (`engine.logstore`)
every half second or once a block is full, so a crash loses at most that much of the log — and a
local run's spool files still hold it (ARCHITECTURE rule 4).

The per-run cap (setting `log_cap_mb`): the first half of it is stored as it comes; after that
the newest half is kept in memory, and at the end a "… N lines not kept" line goes between them.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.notices import LogLines, Segment
from cronium_desktop.engine.runs import logstore
from cronium_desktop.engine.secrets import Masker

PERSIST_INTERVAL_SECONDS = 0.5
TAIL_LINES = 50
DEFAULT_CAP_BYTES = 100 * 1024 * 1024

# Writes blocks of output: (execution id, attempt, segments, spool offsets) → done.
BlockWriter = Callable[[int, int, list[Segment], tuple[int | None, int | None]], Awaitable[None]]


def _write_with(ctx: EngineContext) -> BlockWriter:
    def write(execution_id: int, attempt: int, segments: list[Segment], offsets: tuple[int | None, int | None]) -> None:
        with ctx.db.write() as session:
            logstore.write_block(session.connection(), execution_id, attempt, segments, offsets)

    async def in_thread(execution_id: int, attempt: int, segments: list[Segment],
                        offsets: tuple[int | None, int | None]) -> None:
        await asyncio.to_thread(write, execution_id, attempt, segments, offsets)

    return in_thread


def split_segment(segment: Segment, size: int, keep_end: bool = False) -> tuple[Segment | None, Segment | None]:
    """Cut a segment at a line boundary near `size` bytes: (first lines, the rest).

    With `keep_end`, the cut comes after the first `size` bytes (so the end is at most what is left)."""
    if segment.count < 2:
        return (None, segment) if keep_end else (segment, None)
    data = segment.data
    cut = data.find(b"\n", size) if keep_end else data.rfind(b"\n", 0, size)
    if cut < 0:
        return (None, segment) if not keep_end else (segment, None)
    first, rest = data[:cut], data[cut + 1:]
    lines = first.count(b"\n") + 1
    return (Segment(segment.stream, segment.ts, first, lines, segment.server),
            Segment(segment.stream, segment.ts, rest, segment.count - lines, segment.server))


@dataclass
class LastBlock:
    """A run's last lines, not yet written (see `LogSink.close`): its segments, their size in bytes,
    how far the spool files had been read, and the block once packed (`logstore.pack`)."""

    segments: list[Segment]
    size: int
    offsets: tuple[int | None, int | None]
    packed: tuple[int, bytes, int] | None = None


class LogSink:
    """Implements the executors' `Sink` (plus `segment`); safe to call from worker threads."""

    def __init__(self, ctx: EngineContext, execution_id: int, attempt: int, masker: Masker,
                 cap_bytes: int = DEFAULT_CAP_BYTES, writer: BlockWriter | None = None) -> None:
        self._ctx = ctx
        self.execution_id = execution_id
        self.attempt = attempt
        self._masker = masker
        self._writer = writer or _write_with(ctx)
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._notice_batch: list[Segment] = []
        self._store_batch: list[Segment] = []
        self._store_bytes = 0
        self._offsets: tuple[int | None, int | None] = (None, None)
        self._persist_handle: asyncio.TimerHandle | None = None
        self._persisting: asyncio.Future[None] | None = None
        self._head_left = cap_bytes // 2  # bytes still stored as they come
        self._tail_cap = cap_bytes - cap_bytes // 2
        self._tail: collections.deque[Segment] = collections.deque()  # kept beyond the head, newest half
        self._tail_bytes = 0
        self._dropped = 0
        self.count = 0
        self.first_output_at: datetime | None = None  # the script's first line (a phase of the run)

    @property
    def masker(self) -> Masker:
        return self._masker

    @property
    def tail(self) -> list[str]:
        """The last lines seen (the message templates' log tail)."""
        texts: list[str] = []
        for segment in reversed(self._tail or self._store_batch):
            texts[:0] = segment.texts[-TAIL_LINES:]
            if len(texts) >= TAIL_LINES:
                break
        return texts[-TAIL_LINES:]

    def line(self, stream: str, text: str, server: str | None = None) -> None:
        self.segment(Segment(stream, utcnow(), self._masker.mask(text).encode("utf-8", "replace"), 1, server))

    def segment(self, segment: Segment, offsets: tuple[int | None, int | None] | None = None) -> None:
        """Lines already masked; `offsets` tell how far the spool files are read once they are in."""
        if threading.get_ident() == self._loop_thread:
            self._add(segment, offsets)
        else:
            self._loop.call_soon_threadsafe(self._add, segment, offsets)

    def _add(self, segment: Segment, offsets: tuple[int | None, int | None] | None) -> None:
        if self.first_output_at is None and segment.stream != "system":
            self.first_output_at = segment.ts
        if not self._notice_batch:
            self._loop.call_soon(self._publish)
        self._notice_batch.append(segment)
        self.count += segment.count
        if offsets is not None:
            self._offsets = offsets
        if 0 < self._head_left < len(segment.data) and segment.stream != "system":
            head, rest = split_segment(segment, self._head_left)
            if head is not None:
                self._keep_head(head)
            self._head_left = 0
            if rest is not None:
                self._keep_tail(rest)
            return
        if self._head_left > 0 or segment.stream == "system":
            self._keep_head(segment)
            return
        self._keep_tail(segment)

    def _keep_head(self, segment: Segment) -> None:
        self._head_left -= len(segment.data)
        self._store_batch.append(segment)
        self._store_bytes += len(segment.data)
        if self._store_bytes >= logstore.BLOCK_BYTES:
            self._start_persist()
        elif self._persist_handle is None:
            self._persist_handle = self._loop.call_later(PERSIST_INTERVAL_SECONDS, self._start_persist)

    def _keep_tail(self, segment: Segment) -> None:
        self._tail.append(segment)
        self._tail_bytes += len(segment.data)
        while self._tail_bytes > self._tail_cap and self._tail:
            oldest = self._tail.popleft()
            self._tail_bytes -= len(oldest.data)
            over = self._tail_bytes + len(oldest.data) - self._tail_cap
            if over < len(oldest.data):  # only part of it is too much: drop its first lines
                dropped, kept = split_segment(oldest, over, keep_end=True)
                if kept is not None:
                    self._tail.appendleft(kept)
                    self._tail_bytes += len(kept.data)
                self._dropped += oldest.count - (kept.count if kept is not None else 0)
                break
            self._dropped += oldest.count

    def _publish(self) -> None:
        batch, self._notice_batch = self._notice_batch, []
        if batch:
            self._ctx.bus.publish(LogLines(self.execution_id, self.attempt, segments=tuple(batch)))

    def _start_persist(self) -> None:
        if self._persist_handle is not None:
            self._persist_handle.cancel()
        self._persist_handle = None
        previous = self._persisting
        batch, self._store_batch, self._store_bytes = self._store_batch, [], 0
        offsets = self._offsets

        async def persist() -> None:
            if previous is not None:
                await previous  # keep blocks in order
            if batch:
                await self._writer(self.execution_id, self.attempt, batch, offsets)

        self._persisting = asyncio.ensure_future(persist())

    async def close(self, keep_last: bool = False) -> LastBlock | None:
        """Publish and persist everything still buffered (the kept tail after its note).

        With `keep_last` the last block is not written but returned, once every block before it
        is in, for the caller to write in the transaction that records the run's end."""
        await asyncio.sleep(0)  # let lines handed over from worker threads arrive
        if self._tail:
            if self._dropped:
                note = f"… {self._dropped:,} lines not kept (this run's output is over the {self._cap_text()} cap)"
                self._store_batch.append(Segment("system", utcnow(), note.encode(), 1))
            for segment in self._tail:  # in blocks of the usual size: readers hold one block at a time
                self._store_batch.append(segment)
                self._store_bytes += len(segment.data)
                if self._store_bytes >= logstore.BLOCK_BYTES:
                    self._start_persist()
            self._tail.clear()
        self._publish()
        if keep_last:
            if self._persist_handle is not None:
                self._persist_handle.cancel()
                self._persist_handle = None
            last = LastBlock(self._store_batch, self._store_bytes, self._offsets)
            self._store_batch, self._store_bytes = [], 0
            if self._persisting is not None:
                await asyncio.shield(self._persisting)
            return last
        self._start_persist()
        assert self._persisting is not None
        await asyncio.shield(self._persisting)
        return None

    def _cap_text(self) -> str:
        return f"{(self._tail_cap * 2) / (1024 * 1024):g} MB"
