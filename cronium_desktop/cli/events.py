"""`cronium-desktop event …`: what the Events page does, from the command line (SPEC §9).

show / edit / activate / pause / delete / clone NAME, `set NAME KEY=VALUE…` for the simple fields
and `env NAME KEY [--secret]` (the value read from standard input, so secret env values can be
filled in after an import without the window). Every change goes through the same checks as the
event editor and is one transaction: a bad value names the field and changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronium_desktop.engine.errors import ValidationError

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine

# Fields `event set` takes, by how the text after `=` is read.
INT_FIELDS = ("max_executions", "retries")
NUMBER_FIELDS = ("timeout_seconds", "retry_backoff_seconds")
BOOL_FIELDS = ("reset_counter_on_activate",)
TEXT_FIELDS = ("name", "description", "type", "content", "status", "trigger", "timezone", "start_time",
               "end_time", "run_location", "overlap", "misfire", "priority")
LIST_FIELDS = ("tags", "servers")  # comma-separated, or a JSON list
SIMPLE_FIELDS = (*TEXT_FIELDS, *INT_FIELDS, *NUMBER_FIELDS, *BOOL_FIELDS, *LIST_FIELDS, "schedule")
EMPTY_WORDS = ("", "none", "null")


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("event", parents=[common], help="show, edit, activate, pause, delete or clone an event")
    actions = p.add_subparsers(dest="event_command", metavar="ACTION", required=True)
    for action, help_text in (
        ("show", "print the event (the form `edit` opens)"),
        ("edit", "edit the event's JSON in $EDITOR; applied when you save and quit"),
        ("activate", "activate the event (scheduled events start firing)"),
        ("pause", "pause the event (it stops firing)"),
        ("delete", "delete the event and its secret values"),
        ("clone", "copy the event as a DRAFT named 'NAME (copy)'"),
    ):
        q = actions.add_parser(action, parents=[common], help=help_text)
        q.add_argument("name", metavar="NAME", help="the event's name")
        q.add_argument("--json", action="store_true", help="print JSON")
    q = actions.add_parser("set", parents=[common], help="change simple fields: KEY=VALUE ...")
    q.add_argument("name", metavar="NAME", help="the event's name")
    q.add_argument("assignments", metavar="KEY=VALUE", nargs="+",
                   help=f"fields: {', '.join(SIMPLE_FIELDS)}; schedule takes a cron expression, "
                        "'every N UNIT', JSON or none")
    q.add_argument("--json", action="store_true", help="print the event as JSON afterwards")
    q = actions.add_parser("env", parents=[common], help="set one env value of the event, read from standard input")
    q.add_argument("name", metavar="NAME", help="the event's name")
    q.add_argument("key", metavar="KEY", help="the environment variable's name")
    q.add_argument("--secret", action="store_true", help="store it encrypted; shown as •••••• in logs")
    q.add_argument("--json", action="store_true", help="print JSON")


# -- reading values ----------------------------------------------------------------------------------


def _schedule(text: str) -> Any:
    if text.strip().lower() in EMPTY_WORDS:
        return None
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValidationError("schedule", f"is not valid JSON: {error}.") from None
    words = text.split()
    if len(words) == 3 and words[0].lower() == "every":
        try:
            return {"every": int(words[1]), "unit": words[2].upper()}
        except ValueError:
            raise ValidationError("schedule", f"'every N UNIT' needs a whole number N, not {words[1]!r}.") from None
    return {"cron": text}


def read_assignment(item: str) -> tuple[str, Any]:
    """`KEY=VALUE` → (field, value in the event's form); a ValidationError naming the field."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep:
        raise ValidationError(key or item, f"give KEY=VALUE, not {item!r}.")
    if key not in SIMPLE_FIELDS:
        raise ValidationError(key, f"is not a field `event set` changes; it changes {', '.join(SIMPLE_FIELDS)} "
                                   "(use `event edit` or `event env` for the others).")
    if key in INT_FIELDS or key in NUMBER_FIELDS:
        try:
            return key, int(text) if key in INT_FIELDS else float(text)
        except ValueError:
            kind = "a whole number" if key in INT_FIELDS else "a number"
            raise ValidationError(key, f"must be {kind}, not {text!r}.") from None
    if key in BOOL_FIELDS:
        if text.lower() not in ("true", "false", "yes", "no"):
            raise ValidationError(key, f"must be true or false, not {text!r}.")
        return key, text.lower() in ("true", "yes")
    if key in LIST_FIELDS:
        if text.lstrip().startswith("["):
            try:
                return key, json.loads(text)
            except ValueError as error:
                raise ValidationError(key, f"is not a valid JSON list: {error}.") from None
        return key, [part.strip() for part in text.split(",") if part.strip()]
    if key == "schedule":
        return key, _schedule(text)
    if key in ("timezone", "start_time", "end_time") and text.strip().lower() in EMPTY_WORDS:
        return key, None
    return key, text


# -- the commands --------------------------------------------------------------------------------------


def editable(event: dict[str, Any]) -> dict[str, Any]:
    """The event as `show --json` prints it and `edit` opens it: every field but the id."""
    return {key: value for key, value in event.items() if key != "id"}


async def _update(engine: Engine, event: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply `changes` over the event's current form, with the editor's checks; the event afterwards."""
    await engine.events.update(event["id"], {**editable(event), **changes})
    return dict(await engine.events.get(event["id"]))


def _print_event(event: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(editable(event), indent=2, ensure_ascii=False))
        return
    for key, value in editable(event).items():
        if key == "env":
            value = {name: ("••••••" if name in event["secret_env"] else text) for name, text in value.items()}
        if key == "content":
            print("content:")
            for line in str(value).splitlines():
                print(f"  {line}")
            continue
        print(f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}")


def _edit_in_editor(form: dict[str, Any]) -> Any:
    """Open `form` as JSON in $VISUAL/$EDITOR; what was saved, read strictly (duplicate keys refused)."""
    from cronium_desktop.engine.files import FileService

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or ("notepad" if sys.platform == "win32" else "vi")
    with tempfile.TemporaryDirectory(prefix="cronium-edit-") as folder:
        path = Path(folder) / "event.json"
        path.write_text(json.dumps(form, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        try:
            status = subprocess.call([*shlex.split(editor), str(path)])
        except OSError as error:
            raise ValidationError("EDITOR", f"cannot start {editor!r}: {error.strerror or error}.") from None
        if status != 0:
            raise ValidationError("EDITOR", f"{editor!r} exited with status {status}; nothing was changed.")
        return FileService.read(path)


async def cmd_event(engine: Engine, args: argparse.Namespace) -> int:
    action = args.event_command
    event = dict(await engine.events.get(args.name))
    name = event["name"]
    if action == "show":
        _print_event(event, args.json)
    elif action in ("activate", "pause"):
        status = "ACTIVE" if action == "activate" else "PAUSED"
        await engine.events.set_status(event["id"], status)
        _say(args.json, {"name": name, "status": status}, f"Event {name!r} is {status}.")
    elif action == "delete":
        await engine.events.delete(event["id"])
        _say(args.json, {"name": name, "deleted": True}, f"Deleted event {name!r}.")
    elif action == "clone":
        clone = await engine.events.get(await engine.events.clone(event["id"]))
        _say(args.json, {"name": clone["name"], "status": clone["status"]},
             f"Cloned {name!r} as {clone['name']!r} ({clone['status']}).")
    elif action == "set":
        changes = dict(read_assignment(item) for item in args.assignments)
        after = await _update(engine, event, changes)
        if args.json:
            _print_event(after, True)
        else:
            print(f"Changed {', '.join(changes)} of event {after['name']!r}.")
    elif action == "env":
        return await _set_env(engine, event, args)
    else:
        return await _edit(engine, event, args)
    return 0


def _say(as_json: bool, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data) if as_json else text)


async def _set_env(engine: Engine, event: dict[str, Any], args: argparse.Namespace) -> int:
    value = sys.stdin.read()
    value = value[:-1] if value.endswith("\n") else value
    value = value[:-1] if value.endswith("\r") else value
    secret = args.secret or args.key in event["secret_env"]  # a secret stays secret when set again
    if secret and not value:
        raise ValidationError(f"env.{args.key}", "the value read from standard input is empty; "
                                                 "a secret value cannot be empty.")
    env = dict(event["env"])
    env[args.key] = value
    secret_env = list(event["secret_env"]) + ([args.key] if secret and args.key not in event["secret_env"] else [])
    if secret:
        await asyncio.to_thread(engine.secrets.unlock)  # a missing passphrase is an error before any write
    await _update(engine, event, {"env": env, "secret_env": secret_env})
    kind = "secret " if secret else ""
    _say(args.json, {"name": event["name"], "env": args.key, "secret": secret},
         f"Set the {kind}env value {args.key} of event {event['name']!r}.")
    return 0


async def _edit(engine: Engine, event: dict[str, Any], args: argparse.Namespace) -> int:
    from cronium_desktop.engine.event_fields import FACADE_KEYS

    form = editable(event)
    edited = await asyncio.to_thread(_edit_in_editor, form)
    if not isinstance(edited, dict):
        raise ValidationError("event", "must stay one JSON object.")
    unknown = sorted(set(edited) - (FACADE_KEYS - {"id"}))
    if unknown:
        raise ValidationError(unknown[0], "is not a field of an event; nothing was changed.")
    if edited == form:
        _say(args.json, {"name": event["name"], "changed": False}, "No changes.")
        return 0
    after = await _update(engine, event, edited)
    if args.json:
        _print_event(after, True)
    else:
        changed = [key for key in edited if edited[key] != form.get(key)]
        print(f"Changed {', '.join(changed)} of event {after['name']!r}.")
    return 0
