"""Tool credentials: add, edit, delete and use them (SPEC §9).

A tool row holds only its name and type. Its whole config — webhook URL, SMTP password and the
rest — is one secret, `tool:{id}:config`, so nothing about it sits in the store in clear.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import NotFound, ValidationError
from cronium_desktop.engine.notices import ToolsChanged
from cronium_desktop.engine.store.models import Event, Tool
from cronium_desktop.engine.tools.base import Action, Log, ToolError, ToolKind, validate_params
from cronium_desktop.engine.tools.registry import TOOL_KINDS, find_action, tool_kind
from cronium_desktop.engine.validation import clean_name

MAX_NAME_LENGTH = 200


def config_owner(tool_id: int) -> str:
    return f"tool:{tool_id}:config"


@dataclass(frozen=True)
class ToolInfo:
    id: int
    name: str
    type: str
    created_at: datetime  # naive UTC, like every stored time


@dataclass(frozen=True)
class LoadedTool:
    """A tool with its decrypted config: only for the moment it is used."""

    info: ToolInfo
    kind: ToolKind
    config: dict[str, Any]

    @property
    def secret_values(self) -> list[str]:
        return self.kind.secret_values(self.config)


def _info(tool: Tool) -> ToolInfo:
    return ToolInfo(tool.id, tool.name, tool.type, tool.created_at)


def _check_name(name: Any) -> str:
    return clean_name(name, "name", MAX_NAME_LENGTH)


class ToolService:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    # -- what exists ------------------------------------------------------------------------------------

    @staticmethod
    def kinds() -> dict[str, ToolKind]:
        return dict(TOOL_KINDS)

    @staticmethod
    def actions(tool_type: str) -> list[dict[str, Any]]:
        """The actions a tool type offers, each with its parameters, for the event editor's form."""
        return [action.describe() for action in tool_kind(tool_type).actions.values()]

    @staticmethod
    def _find(session: Session, id_or_name: int | str) -> Tool:
        if isinstance(id_or_name, int):
            tool = session.get(Tool, id_or_name)
        else:
            tool = session.scalar(select(Tool).where(func.lower(Tool.name) == str(id_or_name).strip().lower()))
        if tool is None:
            raise NotFound(
                f"No tool credential named {id_or_name!r}; add it in Tools first."
                if isinstance(id_or_name, str)
                else f"No tool credential with id {id_or_name}; it may have been deleted."
            )
        return tool

    @in_thread
    def list(self) -> list[ToolInfo]:
        with self._ctx.db.read() as session:
            return [_info(tool) for tool in session.scalars(select(Tool).order_by(func.lower(Tool.name)))]

    @in_thread
    def get(self, id_or_name: int | str) -> ToolInfo:
        with self._ctx.db.read() as session:
            return _info(self._find(session, id_or_name))

    @in_thread
    def get_config(self, id_or_name: int | str) -> dict[str, Any]:
        """The decrypted config, for the Tools view's edit dialog."""
        return self._load(id_or_name).config

    # -- changes ----------------------------------------------------------------------------------------

    def _check_name_free(self, session: Session, name: str, own_id: int | None) -> None:
        clash = session.scalar(select(Tool).where(func.lower(Tool.name) == name.lower()))
        if clash is not None and clash.id != own_id:
            raise ValidationError("name", f"a tool credential named {clash.name!r} already exists; choose another name.")

    @in_thread
    def add(self, name: str, tool_type: str, config: Any) -> int:
        """Validate and store a new tool credential; its config goes only into the secrets store."""
        name = _check_name(name)
        kind = tool_kind(tool_type)
        clean = kind.validate_config(config)
        with self._ctx.db.write() as session:
            self._check_name_free(session, name, None)
            tool = Tool(name=name, type=kind.id)
            session.add(tool)
            session.flush()
            self._ctx.secrets.put(session, config_owner(tool.id), json.dumps(clean))
            tool_id = tool.id
        self._ctx.bus.publish(ToolsChanged((tool_id,)))
        return tool_id

    @in_thread
    def update(self, id_or_name: int | str, *, name: str | None = None, config: Any = None) -> None:
        """Rename and/or replace the config. Events that name the tool follow a rename."""
        with self._ctx.db.write() as session:
            tool = self._find(session, id_or_name)
            if config is not None:
                clean = tool_kind(tool.type).validate_config(config)
                self._ctx.secrets.put(session, config_owner(tool.id), json.dumps(clean))
            if name is not None:
                name = _check_name(name)
                self._check_name_free(session, name, tool.id)
                if name != tool.name:
                    self._rename_in_events(session, tool.name, name)
                    tool.name = name
            tool_id = tool.id
        self._ctx.bus.publish(ToolsChanged((tool_id,)))

    @staticmethod
    def _rename_in_events(session: Session, old: str, new: str) -> None:
        # TOOL_ACTION events refer to their tool by name (SPEC §8), so a rename must follow them.
        for event in session.scalars(select(Event).where(Event.tool_action.is_not(None))):
            action = event.tool_action or {}
            if str(action.get("tool", "")).lower() == old.lower():
                event.tool_action = {**action, "tool": new}

    @in_thread
    def delete(self, id_or_name: int | str) -> None:
        """Delete a tool and its secret config. SEND_MESSAGE actions that used it keep no tool."""
        with self._ctx.db.write() as session:
            tool = self._find(session, id_or_name)
            tool_id = tool.id
            self._ctx.secrets.delete(session, config_owner(tool_id))
            session.delete(tool)
        self._ctx.bus.publish(ToolsChanged((tool_id,)))

    # -- use ----------------------------------------------------------------------------------------------

    def _load(self, id_or_name: int | str) -> LoadedTool:
        with self._ctx.db.read() as session:
            tool = self._find(session, id_or_name)
            stored = self._ctx.secrets.get(session, config_owner(tool.id))
            info = _info(tool)
        if stored is None:
            raise ToolError(
                f"Tool {info.name!r} has no stored settings (tool credentials are not carried by exported "
                "files). Enter them in Tools."
            )
        return LoadedTool(info, tool_kind(info.type), json.loads(stored))

    @in_thread
    def load(self, id_or_name: int | str) -> LoadedTool:
        """The tool with its decrypted config, for an executor about to use it."""
        return self._load(id_or_name)

    @in_thread
    def validate_action(
        self, tool_name: str, action_id: str, params: Any, field: str = "tool_action"
    ) -> dict[str, Any]:
        """Check a tool action before an event is saved: the tool exists, offers the action, params fit."""
        with self._ctx.db.read() as session:
            try:
                tool = self._find(session, tool_name)
            except NotFound as error:
                raise ValidationError(f"{field}.tool", str(error)) from error
            tool_type = tool.type
        action = find_action(tool_type, action_id, f"{field}.action")
        return validate_params(action, params, f"{field}.params")

    async def run_action(
        self, id_or_name: int | str, action_id: str, params: Any, log: Log | None = None
    ) -> Any:
        """Run one action of a tool with validated parameters; return its output or raise ToolError."""
        loaded = await self.load(id_or_name)
        return await self.run_loaded(loaded, action_id, params, log)

    @staticmethod
    async def run_loaded(loaded: LoadedTool, action_id: str, params: Any, log: Log | None = None) -> Any:
        action: Action = find_action(loaded.info.type, action_id)
        clean = validate_params(action, params)
        return await action.run(loaded.config, clean, log or (lambda _line: None))

    async def send_message(
        self, id_or_name: int | str, subject: str, body: str, log: Log | None = None
    ) -> Any:
        """Every tool type offers `send_message`: the delivery behind SEND_MESSAGE actions.

        A rendered subject may hold line breaks (a log line, an error); it is folded into one line.
        """
        params: dict[str, Any] = {"body": body}
        subject = " ".join(subject.split())
        if subject:
            params["subject"] = subject
        return await self.run_action(id_or_name, "send_message", params, log)

    async def test_config(self, tool_type: str, config: Any, name: str = "test") -> Any:
        """Send one test message with a config not yet saved (the Tools form's Test button).

        Raises ValidationError naming the config field, or ToolError when delivery fails.
        """
        kind = tool_kind(tool_type)
        clean = kind.validate_config(config)
        info = ToolInfo(0, name or "test", kind.id, datetime.now())
        params = {"subject": "Cronium Desktop test", "body": f"A test message from the tool credential {name!r}."}
        return await self.run_loaded(LoadedTool(info, kind, clean), "send_message", params)

    async def send_conditional_message(
        self, tool_id: int, subject_template: str, body_template: str, scope: Mapping[str, Any]
    ) -> None:
        """Render a SEND_MESSAGE action's templates and deliver them (the conditional actions' hook)."""
        from cronium_desktop.engine.messages import send_conditional_message

        await send_conditional_message(self, tool_id, subject_template, body_template, dict(scope))
