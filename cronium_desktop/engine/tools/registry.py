"""The tool types Cronium Desktop knows, and lookup of their actions."""

from __future__ import annotations

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.tools import discord, email, slack, teams, webhook
from cronium_desktop.engine.tools.base import Action, ToolKind

TOOL_KINDS: dict[str, ToolKind] = {kind.id: kind for kind in (slack.KIND, discord.KIND, teams.KIND, webhook.KIND, email.KIND)}
TOOL_TYPES: tuple[str, ...] = tuple(TOOL_KINDS)


def tool_kind(tool_type: str, field: str = "type") -> ToolKind:
    kind = TOOL_KINDS.get(str(tool_type).lower())
    if kind is None:
        raise ValidationError(field, f"must be one of {', '.join(TOOL_TYPES)}, not {tool_type!r}.")
    return kind


def find_action(tool_type: str, action_id: str, field: str = "action") -> Action:
    kind = tool_kind(tool_type)
    action = kind.actions.get(action_id)
    if action is None:
        raise ValidationError(
            field, f"{kind.title} tools have no action {action_id!r}; they offer: {', '.join(kind.actions)}."
        )
    return action
