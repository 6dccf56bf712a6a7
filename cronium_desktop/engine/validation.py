"""Field rules for events (SPEC §1) and their file form (SPEC §8), with no I/O.

`normalize_event()` takes the event dict used by the facade, the editor and `.cronium.json` files and
returns its normal form, or raises `ValidationError` naming the first bad field. Checks that need the
store (unique names, servers and events that must exist) live in `events.py`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime
from typing import Any

from cronium_desktop.engine.clock import to_store
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.event_fields import DEFAULTS, FACADE_KEYS
from cronium_desktop.engine.executors.container_config import normalize_container
from cronium_desktop.engine.runtime import VARIABLE_KEY
from cronium_desktop.engine.scheduling.schedules import validate_schedule, zone
from cronium_desktop.engine.states import (
    ACTION_TRIGGERS,
    EVENT_STATUSES,
    EVENT_TRIGGERS,
    EVENT_TYPES,
    MISFIRES,
    OVERLAPS,
    PRIORITIES,
    RUN_LOCATIONS,
    SCRIPT_TYPES,
)
from cronium_desktop.engine.triggers.spec import normalize_triggers

# The field words are named once, in states.py; these are the names the editor and the checks use.
STATUSES = EVENT_STATUSES
TRIGGERS = EVENT_TRIGGERS

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_TIMEOUT_SECONDS = 7 * 86400
MAX_EXECUTIONS = 1_000_000_000
# Control characters (newlines, tabs, NUL...) in a name break lists, logs and the command line.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# JSON from files, options and webhooks deeper than this is refused: real data is a few levels deep,
# and storing or sending a value nested thousands deep exhausts Python's recursion limit.
MAX_JSON_DEPTH = 100

# Run metrics: the bounds of a local run's optional limits (event_fields.py describes the fields).
LIMIT_KEYS = {"limit_memory_mb": (16, 1024 * 1024), "limit_cpu_seconds": (1, 7 * 24 * 3600)}


def clean_name(value: Any, field: str, max_length: int = 200) -> str:
    """A name as stored: stripped and NFC-normalised, or ValidationError naming `field`.

    Invisible format characters (zero-width spaces, direction overrides: Unicode category Cf) would
    let two names look identical in every list, and a lone surrogate cannot be stored at all.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "is required.")
    for character in value:
        category = unicodedata.category(character)
        if category == "Cs":
            raise ValidationError(field, f"holds an invalid character (a lone surrogate, U+{ord(character):04X}).")
        if category == "Cf":
            raise ValidationError(
                field, f"holds the invisible character U+{ord(character):04X} ({unicodedata.name(character, 'format character')});"
                " names may not hold invisible or text-direction characters.")
    name = unicodedata.normalize("NFC", value.strip())
    if CONTROL_CHARACTERS.search(name):
        raise ValidationError(field, "must be one line of text: no newlines, tabs or other control characters.")
    if len(name) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters (it has {len(name)}).")
    return name


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if `value` nests lists/objects deeper than `limit` (checked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _enum(data: dict[str, Any], field: str, allowed: tuple[str, ...]) -> str:
    value = data[field]
    if value not in allowed:
        raise ValidationError(field, f"must be one of {', '.join(allowed)}, not {value!r}.")
    return str(value)


def _int(data: dict[str, Any], field: str, low: int, high: int | None = None) -> int:
    value = data[field]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"must be a whole number, not {value!r}.")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError(field, f"must be {bounds}, not {value}.")
    return value


def _number(data: dict[str, Any], field: str, low: float, high: float, *, exclusive_low: bool = False) -> float:
    value = data[field]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, f"must be a number of seconds, not {value!r}.")
    if isinstance(value, float) and math.isnan(value):
        raise ValidationError(field, "must be a number of seconds, not NaN.")
    if (value <= low if exclusive_low else value < low) or value > high:
        word = "more than" if exclusive_low else "at least"
        raise ValidationError(field, f"must be {word} {low:g} and at most {high:g} seconds, not {value}.")
    return float(value)


def parse_time(value: Any, field: str, timezone_name: str | None) -> datetime | None:
    """ISO 8601 → naive UTC. A time without offset is read in the event's timezone."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as error:
            raise ValidationError(field, f"{value!r} is not an ISO 8601 date and time.") from error
    else:
        raise ValidationError(field, f"must be an ISO 8601 string, not {value!r}.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(timezone_name))
    return to_store(moment)


def _string_list(data: dict[str, Any], field: str, max_length: int) -> list[str]:
    value = data[field]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(field, "must be a list of strings.")
    for item in value:
        if not item.strip() or len(item) > max_length:
            raise ValidationError(field, f"{item!r} must be 1–{max_length} characters.")
    return [item.strip() for item in value]


def normalize_http(http: Any, field: str = "http") -> dict[str, Any]:
    # The HTTP executor owns the request rules; it is loaded only for events that need it.
    from cronium_desktop.engine.executors.http import validate_http

    return validate_http(http, field)


def normalize_tool_action(action: Any, field: str = "tool_action") -> dict[str, Any]:
    if not isinstance(action, dict):
        raise ValidationError(field, 'must be {"tool": NAME, "action": ACTION_ID, "params": {...}}.')
    unknown = set(action) - {"tool", "action", "params"}
    if unknown:
        raise ValidationError(f"{field}.{sorted(unknown)[0]}", "unknown key.")
    for key in ("tool", "action"):
        if not isinstance(action.get(key), str) or not action[key].strip():
            raise ValidationError(f"{field}.{key}", "is required.")
    params = action.get("params") or {}
    if not isinstance(params, dict):
        raise ValidationError(f"{field}.params", "must be an object of parameter values.")
    return {"tool": action["tool"], "action": action["action"], "params": params}


def normalize_conditional_action(item: Any, field: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValidationError(field, "must be an object.")
    on = item.get("on")
    if on not in ACTION_TRIGGERS:
        raise ValidationError(f"{field}.on", f"must be one of {', '.join(ACTION_TRIGGERS)}, not {on!r}.")
    kind = item.get("action")
    if kind == "RUN_EVENT":
        allowed = {"on", "action", "event"}
        if not isinstance(item.get("event"), str) or not item["event"].strip():
            raise ValidationError(f"{field}.event", "names the event to run and is required.")
    elif kind == "SEND_MESSAGE":
        allowed = {"on", "action", "tool", "subject", "body"}
        if not isinstance(item.get("tool"), str) or not item["tool"].strip():
            raise ValidationError(f"{field}.tool", "names the tool credential to send with and is required.")
        for key in ("subject", "body"):
            if not isinstance(item.get(key, ""), str):
                raise ValidationError(f"{field}.{key}", "must be a template string.")
    elif kind == "SET_VARIABLE":
        allowed = {"on", "action", "key", "value"}
        variable_key = item.get("key")
        if not isinstance(variable_key, str) or not VARIABLE_KEY.match(variable_key):
            raise ValidationError(
                f"{field}.key", f"{variable_key!r} is not a variable name: start with a letter or '_', then letters, digits, "
                "'_', '.', '-' (at most 200)."
            )
        if not isinstance(item.get("value"), str):
            raise ValidationError(f"{field}.value", "is required: a template string for the variable's new value.")
    else:
        raise ValidationError(f"{field}.action", f"must be RUN_EVENT, SEND_MESSAGE or SET_VARIABLE, not {kind!r}.")
    unknown = set(item) - allowed
    if unknown:
        raise ValidationError(f"{field}.{sorted(unknown)[0]}", f"unknown key for a {kind} action.")
    return {key: item.get(key, "") for key in sorted(allowed)}


def normalize_event(data: Any, *, allowed_keys: frozenset[str] = FACADE_KEYS) -> dict[str, Any]:
    """Validate every field rule of SPEC §1 and return the event with defaults filled in."""
    if not isinstance(data, dict):
        raise ValidationError("event", "must be an object.")
    unknown = set(data) - allowed_keys
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown key.")
    event: dict[str, Any] = {**DEFAULTS, **{k: v for k, v in data.items() if v is not None or k in ("schedule",)}}
    for key in ("tags", "servers", "env", "secret_env", "conditional_actions"):
        if event.get(key) is None:
            event[key] = DEFAULTS[key]

    event["name"] = clean_name(event.get("name"), "name")
    if data.get("type") is None:
        raise ValidationError("type", f"is required: one of {', '.join(EVENT_TYPES)}.")
    _enum(event, "type", EVENT_TYPES)
    if not isinstance(event["description"], str):
        raise ValidationError("description", "must be text.")
    event["tags"] = _string_list(event, "tags", 50)
    if not isinstance(event["content"], str):
        raise ValidationError("content", "must be the script text.")
    if event["type"] in SCRIPT_TYPES and not event["content"].strip():
        raise ValidationError("content", f"a {event['type']} event needs a script; it is empty.")
    _enum(event, "status", STATUSES)
    _enum(event, "trigger", TRIGGERS)

    if event["timezone"] == "":
        event["timezone"] = None  # the computer's zone
    if event["timezone"] is not None:
        if not isinstance(event["timezone"], str):
            raise ValidationError("timezone", "must be an IANA name such as 'Europe/Berlin'.")
        zone(event["timezone"])
    event["schedule"] = validate_schedule(event["schedule"], zone(event["timezone"]))
    if event["trigger"] == "SCHEDULE" and event["schedule"] is None:
        raise ValidationError("schedule", "a SCHEDULE trigger needs a cron expression or an interval.")
    event["start_time"] = parse_time(event["start_time"], "start_time", event["timezone"])
    event["end_time"] = parse_time(event["end_time"], "end_time", event["timezone"])
    if event["start_time"] and event["end_time"] and event["end_time"] <= event["start_time"]:
        raise ValidationError("end_time", "must be after start_time.")

    if _int(event, "max_executions", 0) > MAX_EXECUTIONS:
        raise ValidationError("max_executions", f"must be at most {MAX_EXECUTIONS:,} (0 = unlimited), not {event['max_executions']}.")
    if not isinstance(event["reset_counter_on_activate"], bool):
        raise ValidationError("reset_counter_on_activate", "must be true or false.")
    _enum(event, "run_location", RUN_LOCATIONS)
    event["container"] = normalize_container(event["container"])
    event["servers"] = _string_list(event, "servers", 200)
    if event["type"] in SCRIPT_TYPES and event["run_location"] == "REMOTE" and not event["servers"]:
        raise ValidationError("servers", "a REMOTE event needs at least one server.")
    if len(set(s.lower() for s in event["servers"])) != len(event["servers"]):
        raise ValidationError("servers", "lists a server twice.")
    event["timeout_seconds"] = _number(event, "timeout_seconds", 0, MAX_TIMEOUT_SECONDS, exclusive_low=True)
    _int(event, "retries", 0, 10)
    event["retry_backoff_seconds"] = _number(event, "retry_backoff_seconds", 0, 3600)
    for limit, (low, high) in LIMIT_KEYS.items():
        if event[limit] is not None:
            _int(event, limit, low, high)
    _enum(event, "overlap", OVERLAPS)
    _enum(event, "misfire", MISFIRES)
    _enum(event, "priority", PRIORITIES)

    env = event["env"]
    if not isinstance(env, dict):
        raise ValidationError("env", "must map variable names to values.")
    for env_name, value in env.items():
        if not ENV_NAME.match(env_name):
            raise ValidationError(f"env.{env_name}", "is not a valid environment variable name (letters, digits, _).")
        if not isinstance(value, str):
            raise ValidationError(f"env.{env_name}", f"must be a string, not {value!r}.")
        if "\0" in value:
            raise ValidationError(f"env.{env_name}", "contains a NUL character, which no environment variable can hold.")
    event["env"] = dict(env)
    event["secret_env"] = _string_list(event, "secret_env", 200)
    for secret_name in event["secret_env"]:
        if not ENV_NAME.match(secret_name):
            raise ValidationError("secret_env", f"{secret_name!r} is not a valid environment variable name.")
        event["env"].setdefault(secret_name, "")

    if event["type"] == "HTTP_REQUEST":
        if event["http"] is None:
            raise ValidationError("http", "an HTTP_REQUEST event needs a method and a URL.")
        event["http"] = normalize_http(event["http"])
    elif event["http"] is not None:
        raise ValidationError("http", f"only HTTP_REQUEST events have an http request, not {event['type']}.")
    if event["type"] == "TOOL_ACTION":
        if event["tool_action"] is None:
            raise ValidationError("tool_action", "a TOOL_ACTION event needs a tool, an action and parameters.")
        event["tool_action"] = normalize_tool_action(event["tool_action"])
    elif event["tool_action"] is not None:
        raise ValidationError("tool_action", f"only TOOL_ACTION events have a tool action, not {event['type']}.")

    actions = event["conditional_actions"]
    if not isinstance(actions, list):
        raise ValidationError("conditional_actions", "must be a list.")
    event["conditional_actions"] = [
        normalize_conditional_action(item, f"conditional_actions[{index}]") for index, item in enumerate(actions)
    ]
    event.update(normalize_triggers(event))
    return event
