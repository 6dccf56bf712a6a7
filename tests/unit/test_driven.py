"""Statements run on the DBAPI connection (store/driven.py) store and read values exactly as
SQLAlchemy does, so every other reader of the store sees the same rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, create_engine, insert, select, update

from cronium_desktop.engine.store.driven import Driven
from cronium_desktop.engine.store.models import Base, Event, Execution

ROW = {"event_id": None, "event_name": "Backup", "trigger": "MANUAL", "status": "PENDING", "priority": 1,
       "attempt": 1, "max_attempts": 2, "input": None, "output": {"files": 3, "names": ["a", "é"]},
       "condition": True, "created_at": datetime(2026, 12, 3, 14, 5, 6, 7), "started_at": datetime(2026, 12, 3, 14, 5),
       "chain_depth": 0, "skipped_count": 0}


def test_a_driven_statement_writes_and_reads_rows_as_sqlalchemy_does(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    Base.metadata.create_all(engine)
    statement = insert(Execution).values({name: bindparam(name) for name in ROW})
    read = select(Execution.id, Execution.input, Execution.output, Execution.condition, Execution.created_at,
                  Execution.started_at, Execution.finished_at).where(Execution.id == bindparam("b_id"))
    with engine.begin() as connection:
        connection.execute(statement, ROW)
        Driven(statement).run(connection, **ROW)
        stored = connection.exec_driver_sql("SELECT * FROM executions ORDER BY id").all()
        by_sqlalchemy = connection.execute(read, {"b_id": 1}).one()._asdict()
        driven = vars(Driven(read).first(connection, b_id=2))
        missing = Driven(read).first(connection, b_id=99)

    assert stored[0][1:] == stored[1][1:]  # the same text, numbers and NULLs in every column
    assert {**by_sqlalchemy, "id": 2} == driven
    assert driven["output"] == {"files": 3, "names": ["a", "é"]} and driven["input"] is None
    assert driven["condition"] is True and driven["created_at"] == datetime(2026, 12, 3, 14, 5, 6, 7)
    assert missing is None


def test_a_driven_update_sets_the_columns_sqlalchemy_sets_on_update(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(Event).values(name="Tick", type="BASH", updated_at=datetime(2020, 1, 1)))
        Driven(update(Event).where(Event.id == bindparam("b_id")).values(status="PAUSED")).run(connection, b_id=1)
        status, updated = connection.execute(select(Event.status, Event.updated_at)).one()

    assert status == "PAUSED" and updated > datetime(2026, 1, 1)  # updated_at's onupdate applied
