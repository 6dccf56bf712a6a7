"""`cronium-desktop settings get|set KEY [VALUE]`: the Settings page from the command line (SPEC §9).

A value is checked against the same bounds the Settings page allows before anything is written; a
running window or `headless` picks the change up within a second (engine/folder_changes.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from cronium_desktop.engine.errors import ValidationError

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine

# key → (kind, detail): "int" with (minimum, maximum), "choice" with the allowed values,
# "bool", "text", or "object" (a JSON object; the bundled defaults show its shape).
RULES: dict[str, tuple[str, Any]] = {
    "concurrency": ("int", (1, 256)),
    "health_check_seconds": ("int", (10, 3600)),
    "webhook_port": ("int", (0, 65535)),
    "log_retention_days": ("int", (1, 36500)),
    "log_cap_mb": ("int", (1, 100_000)),
    "theme": ("choice", ("system", "light", "dark")),
    "on_stop": ("choice", ("stop", "let_finish")),
    "notifications": ("bool", None),
    "docker_endpoint": ("text", None),
    "interpreters": ("object", None),
    "container_images": ("object", None),
    "editor": ("object", None),
}
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def parse_value(key: str, text: str, current: Any) -> Any:
    """The stored value `text` stands for, or a ValidationError naming the setting and why."""
    from cronium_desktop.engine.settings import DEFAULTS

    if key not in DEFAULTS:
        raise ValidationError(key, f"is not a setting; settings are {', '.join(sorted(DEFAULTS))}.")
    kind, detail = RULES.get(key, ("object" if isinstance(DEFAULTS[key], dict) else "text", None))
    if kind == "int":
        low, high = detail
        try:
            value = int(text)
        except ValueError:
            raise ValidationError(key, f"must be a whole number from {low} to {high}, not {text!r}.") from None
        if not low <= value <= high:
            raise ValidationError(key, f"must be from {low} to {high}, not {value}.")
        return value
    if kind == "choice":
        if text not in detail:
            raise ValidationError(key, f"must be one of {', '.join(detail)}, not {text!r}.")
        return text
    if kind == "bool":
        if text.lower() not in TRUE_WORDS + FALSE_WORDS:
            raise ValidationError(key, f"must be true or false, not {text!r}.")
        return text.lower() in TRUE_WORDS
    if kind == "text":
        return text
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ValidationError(key, f"must be a JSON object like {json.dumps(current)}: {error}.") from None
    if not isinstance(value, dict):
        raise ValidationError(key, f"must be a JSON object like {json.dumps(current)}, not {text!r}.")
    unknown = sorted(set(value) - set(DEFAULTS[key])) if key in ("editor", "container_images") else []
    if unknown:
        raise ValidationError(f"{key}.{unknown[0]}", f"is not known; the keys are {', '.join(DEFAULTS[key])}.")
    return value


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("settings", parents=[common], help="show or change a setting")
    actions = p.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    q = actions.add_parser("get", parents=[common], help="print a setting (all of them without KEY)")
    q.add_argument("key", metavar="KEY", nargs="?")
    q.add_argument("--json", action="store_true", help="print JSON")
    q = actions.add_parser("set", parents=[common], help="change a setting")
    q.add_argument("key", metavar="KEY")
    q.add_argument("value", metavar="VALUE")
    q.add_argument("--json", action="store_true", help="print the stored value as JSON")


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


async def cmd_settings(engine: Engine, args: argparse.Namespace) -> int:
    import asyncio

    from cronium_desktop.engine.settings import DEFAULTS

    settings = engine.settings
    if args.settings_command == "get":
        if args.key is None:
            values = await asyncio.to_thread(settings.all)
            if args.json:
                print(json.dumps(values, indent=2))
            else:
                for key in sorted(values):
                    print(f"{key} = {_shown(values[key])}")
            return 0
        if args.key not in DEFAULTS:
            raise ValidationError(args.key, f"is not a setting; settings are {', '.join(sorted(DEFAULTS))}.")
        value = await asyncio.to_thread(settings.get, args.key)
        print(json.dumps(value) if args.json else _shown(value))
        return 0
    current = await asyncio.to_thread(settings.get, args.key) if args.key in DEFAULTS else None
    value = parse_value(args.key, args.value, current)
    await asyncio.to_thread(settings.set, args.key, value)
    if args.json:
        print(json.dumps({"key": args.key, "value": value}))
    else:
        print(f"{args.key} = {_shown(value)}", file=sys.stdout)
    return 0
