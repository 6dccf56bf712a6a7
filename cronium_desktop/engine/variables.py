"""Variables shared by every run (SPEC §3): plain or secret, last write wins."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import NotFound, ValidationError
from cronium_desktop.engine.notices import VariablesChanged
from cronium_desktop.engine.runtime import VARIABLE_KEY
from cronium_desktop.engine.store.models import Variable
from cronium_desktop.engine.variable_list import VariableInfo, read_variable, read_variables


def variable_owner(key: str) -> str:
    return f"variable:{key}"


def check_key(key: str) -> None:
    if not isinstance(key, str) or not VARIABLE_KEY.match(key):
        raise ValidationError(
            "key", f"{key!r} is not a valid variable name: start with a letter or '_', then letters, digits, '_', '.', '-' (at most 200)."
        )


class VariableService:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    def write(self, session: Session, key: str, value: str, secret: bool | None = None) -> None:
        """Set one variable inside `session`; `secret=None` keeps the variable's current kind."""
        check_key(key)
        row = session.get(Variable, key)
        if row is None:
            row = Variable(key=key, secret=bool(secret))
            session.add(row)
        elif secret is not None:
            row.secret = secret
        if row.secret:
            self._ctx.secrets.put(session, variable_owner(key), value)
            row.value = None
        else:
            self._ctx.secrets.delete(session, variable_owner(key))
            row.value = value

    def read_all(self, session: Session) -> dict[str, tuple[str, bool]]:
        """Every variable in clear with its secret flag (for handing to a run)."""
        result: dict[str, tuple[str, bool]] = {}
        for row in session.scalars(select(Variable)):
            if row.secret:
                result[row.key] = (self._ctx.secrets.get(session, variable_owner(row.key)) or "", True)
            else:
                result[row.key] = (row.value or "", False)
        return result

    @in_thread
    def set(self, key: str, value: str, secret: bool | None = False) -> None:
        """`secret=None` keeps an existing variable's kind (a new one is plain)."""
        if not isinstance(value, str):
            raise ValidationError("value", "must be text.")
        with self._ctx.db.write() as session:
            self.write(session, key, value, secret)
        self._ctx.bus.publish(VariablesChanged((key,)))

    @in_thread
    def get(self, key: str, reveal: bool = False) -> VariableInfo:
        with self._ctx.db.read() as session:
            info = read_variable(session, key)
            if info.secret and reveal:
                info.value = self._ctx.secrets.get(session, variable_owner(key)) or ""
            return info

    @in_thread
    def list(self) -> list[VariableInfo]:
        with self._ctx.db.read() as session:
            return read_variables(session)

    @in_thread
    def delete(self, key: str) -> None:
        with self._ctx.db.write() as session:
            row = session.get(Variable, key)
            if row is None:
                raise NotFound(f"No variable named {key!r}.")
            self._ctx.secrets.delete(session, variable_owner(key))
            session.delete(row)
        self._ctx.bus.publish(VariablesChanged((key,)))
