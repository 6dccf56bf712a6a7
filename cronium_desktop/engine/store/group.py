"""Group commit: the writes of many runs at once go into one transaction on one writer thread.

SQLite has one writer; a transaction per step per run made runs queue behind each other's commits.
Work handed to `GroupWriter.run()` waits in a queue; the writer thread takes everything queued, runs
it in one transaction and commits once. If one piece fails, the group is rolled back and its pieces
run again one transaction each, so a failure stays with the run it belongs to.

A piece whose caller stopped waiting before the writer took it (its task was cancelled, as at
engine stop) is dropped, as a cancelled task's work that had not begun; once taken, it is written and
its caller can no longer cancel it.

A piece may bring `then`: what to do once it is committed (a run's folder removed once its end is
recorded), on the writer's thread before its caller hears back. `flush()` waits for every piece
handed in so far and gives the connection back (the engine's stop, before the store closes).

The writer thread keeps one connection while it has work (a connection from the pool per transaction
cost more than SQLite's own commit) and gives it back when it idles out.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from cronium_desktop.engine.handover import Asked, Backlog, Outcomes
from cronium_desktop.engine.store.db import Database

T = TypeVar("T")
Piece = tuple[Callable[[Session], Any], Callable[[], object] | None]  # the work, then: what to do once it is committed
log = logging.getLogger(__name__)
MAX_GROUP = 500  # pieces per transaction: bounds how long one commit holds the store

_writers: weakref.WeakKeyDictionary[Database, GroupWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def writer(db: Database) -> GroupWriter:
    """The group writer of `db` (one per store, started on first use)."""
    with _writers_lock:
        found = _writers.get(db)
        if found is None:
            found = _writers[db] = GroupWriter(db)
        return found


class GroupWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._backlog: Backlog[Piece] = Backlog("cronium-writer", self._work)
        self._connection: Connection | None = None  # the writer thread's, while it runs

    def run(self, piece: Callable[[Session], T], then: Callable[[], object] | None = None) -> asyncio.Future[T]:
        """A future of `piece`'s result once its group is committed (awaited on the running loop; its
        outcome is handed back with the group's, `handover`)."""
        return self._backlog.ask((piece, then))

    async def flush(self) -> None:
        """Until every piece handed in before is written (pieces are written in the order they came,
        on the one thread), then the connection is given back."""
        await self.run(_nothing, then=self._let_go)

    def _work(self) -> None:
        try:
            self._serve()
        finally:  # an error that ended the thread (its backlog stays marked served: no other writer thread starts)
            self._let_go()

    def _let_go(self) -> None:
        """Give the writer thread's connection back (on that thread)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _serve(self) -> None:
        outcomes = Outcomes()
        # The connection is given back as the thread leaves, before a writer thread started after it runs.
        while (group := self._backlog.take(MAX_GROUP, leaving=self._let_go)) is not None:
            # Taken: from here a caller's cancel no longer applies (its write is made, its outcome dropped).
            if not group:
                continue
            try:
                results = self._transaction(group)
            except Exception:
                for taken in group:
                    try:
                        [result] = self._transaction([taken])
                    except Exception as error:  # noqa: BLE001 - handed to the caller
                        outcomes.add(taken, error, None)
                    else:
                        self._done(taken, result, outcomes)
            else:
                for taken, result in zip(group, results, strict=True):
                    self._done(taken, result, outcomes)
            outcomes.hand_back()

    def _transaction(self, group: list[Asked[Piece]]) -> list[Any]:
        if self._connection is None:
            self._connection = self._db.engine.connect()
        with self._db.write(self._connection) as session:
            return [piece(session) for (piece, _), _, _ in group]

    @staticmethod
    def _done(taken: Asked[Piece], result: Any, outcomes: Outcomes) -> None:
        (_, then), _, _ = taken
        if then is not None:  # before the caller hears back: a run reported finished has left nothing behind
            try:
                then()
            except Exception:  # noqa: BLE001 - the write stands: a leftover is logged, not a failed write
                log.exception("after a committed write")
        outcomes.add(taken, None, result)


def _nothing(session: Session) -> None:
    return None

