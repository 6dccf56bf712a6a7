"""Variables as the list and `var get` show them (secret values masked), read with SQLAlchemy Core so
that `list variables` and `var get` load neither the ORM nor the secrets' cryptography."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from cronium_desktop.engine.errors import NotFound
from cronium_desktop.engine.masking import MASK
from cronium_desktop.engine.store.tables import VARIABLES

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session


@dataclass
class VariableInfo:
    key: str
    value: str  # MASK for secrets unless revealed
    secret: bool
    updated_at: datetime


def _info(row: Any) -> VariableInfo:
    return VariableInfo(row.key, MASK if row.secret else (row.value or ""), bool(row.secret), row.updated_at)


def read_variable(reader: Session | Connection, key: str) -> VariableInfo:
    row = reader.execute(select(VARIABLES).where(VARIABLES.c.key == key)).first()
    if row is None:
        raise NotFound(f"No variable named {key!r}.")
    return _info(row)


def read_variables(reader: Session | Connection) -> list[VariableInfo]:
    return [_info(row) for row in reader.execute(select(VARIABLES).order_by(VARIABLES.c.key))]
