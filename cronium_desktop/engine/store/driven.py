"""Statements compiled once by SQLAlchemy and run on the DBAPI connection itself.

On a run's hot path SQLAlchemy's execution context (parameter processing, cursor and result
wrapping) costs several times what SQLite takes to run the statement. A `Driven` statement keeps
SQLAlchemy's SQL and its types' own conversions (times, JSON, booleans: stored and read back exactly
as SQLAlchemy does) and leaves out the rest. It runs in the caller's transaction: `connection` is the
SQLAlchemy connection of a session or of `engine.connect()`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects import sqlite

_DIALECT = sqlite.dialect()
Convert = Callable[[Any], Any] | None


class Driven:
    def __init__(self, statement: Executable) -> None:
        compiled = statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
        self.sql: str = compiled.string
        # The values written into the statement itself (`.values(status="RUNNING")`); callers give the rest.
        self._given = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        # Python-side defaults of the columns left out (`default=`, and `onupdate=` such as updated_at).
        self._defaults = [(column.key, column.default) for column in compiled.insert_prefetch]
        self._defaults += [(column.key, column.onupdate) for column in compiled.update_prefetch]
        self._binds: list[tuple[str, Convert]] = [
            (name, compiled.binds[name].type.dialect_impl(_DIALECT).bind_processor(_DIALECT))
            for name in compiled.positiontup or ()]
        selected = getattr(statement, "selected_columns", None) or getattr(statement, "exported_columns", None)  # RETURNING
        self._columns: list[tuple[str, Convert]] = [
            (column.key, column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, None))
            for column in (selected or ())]

    def _parameters(self, params: dict[str, Any]) -> list[Any]:
        values = {**self._given, **params}
        for name, default in self._defaults:
            if name not in params:
                values[name] = default.arg(None) if default.is_callable else default.arg
        return [values[name] if convert is None else convert(values[name]) for name, convert in self._binds]

    def run(self, connection: Any, **params: Any) -> None:
        connection.connection.driver_connection.execute(self.sql, self._parameters(params))

    def first(self, connection: Any, **params: Any) -> SimpleNamespace | None:
        """The first row, its values by column key, or None."""
        rows = connection.connection.driver_connection.execute(self.sql, self._parameters(params)).fetchall()
        if not rows:
            return None
        row = rows[0]  # all fetched: a statement with RETURNING is only done once its rows are read
        return SimpleNamespace(**{key: value if convert is None or value is None else convert(value)
                                  for (key, convert), value in zip(self._columns, row, strict=True)})
