"""The Core read paths' table clauses name real columns of the store, with the models' types."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, Boolean, DateTime

from cronium_desktop.engine.store import tables
from cronium_desktop.engine.store.models import Base

CLAUSES = [tables.EVENTS, tables.EXECUTIONS, tables.RUN_METRICS, tables.CALENDARS, tables.VARIABLES]


@pytest.mark.parametrize("clause", CLAUSES, ids=lambda clause: clause.name)
def test_each_column_a_light_read_names_is_a_column_of_the_store_with_its_type(clause: object) -> None:
    mapped = Base.metadata.tables[clause.name]  # type: ignore[attr-defined]
    for column in clause.columns:  # type: ignore[attr-defined]
        assert column.name in mapped.columns, f"{clause.name}.{column.name} is not a column of the store"
        stored = mapped.columns[column.name].type
        for converted in (JSON, DateTime, Boolean):  # what is converted on the way out must be converted alike
            assert isinstance(column.type, converted) == isinstance(stored, converted), (
                f"{clause.name}.{column.name}: {column.type!r} here, {stored!r} in the store")
