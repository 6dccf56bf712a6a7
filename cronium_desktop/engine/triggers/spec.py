"""The triggers beyond schedules (SPEC §1, §5, §8): file changes, login, conditions, misfire cap.

`normalize_triggers()` checks the optional keys an event or a workflow carries for them and returns
their normal form, or raises `ValidationError` naming the field; `pack()`/`unpack()` convert between
that form and the one JSON column (`triggers`) the store keeps them in. No I/O here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cronium_desktop.engine.errors import ValidationError

FILE_KINDS = ("created", "modified", "deleted", "moved")
WHEN_UNMET = ("WAIT", "SKIP")
DEFAULT_DEBOUNCE_SECONDS = 2.0
DEFAULT_WAIT_MINUTES = 60
DEFAULT_MISFIRE_CAP = 10
MAX_FILE_TRIGGERS = 20
MAX_PATTERNS = 50
HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>\d{1,5})$")
CLOCK = re.compile(r"^(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)$")

# The keys an event or a workflow may carry for these triggers, in a file and through the facade.
TRIGGER_KEYS = ("file_triggers", "run_at_login", "conditions", "misfire_cap")
FILE_TRIGGER_KEYS = ("folder", "patterns", "recursive", "debounce_seconds", "kinds")
CONDITION_KEYS = ("ac_power", "network", "idle_minutes", "not_between", "when_unmet", "wait_minutes")
DEFAULTS: dict[str, Any] = {"file_triggers": [], "run_at_login": False, "conditions": None,
                            "misfire_cap": DEFAULT_MISFIRE_CAP}


def _unknown(data: dict[str, Any], allowed: tuple[str, ...], field: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(f"{field}.{unknown[0]}", f"unknown key; expected one of {', '.join(allowed)}.")


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(field, f"must be true or false, not {value!r}.")
    return value


def _whole(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(field, f"must be a whole number from {low} to {high}, not {value!r}.")
    return value


def normalize_file_trigger(data: Any, field: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError(field, 'must be an object such as {"folder": "~/Inbox", "patterns": ["*.csv"]}.')
    _unknown(data, FILE_TRIGGER_KEYS, field)
    folder = data.get("folder")
    if not isinstance(folder, str) or not folder.strip():
        raise ValidationError(f"{field}.folder", "is required: the folder to watch.")
    path = Path(folder.strip()).expanduser()
    if not path.is_absolute():
        raise ValidationError(f"{field}.folder", f"must be an absolute path (or start with ~), not {folder!r}.")
    patterns = data.get("patterns", ["*"])
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not patterns or len(patterns) > MAX_PATTERNS:
        raise ValidationError(f"{field}.patterns", f"must be a list of 1 to {MAX_PATTERNS} glob patterns such as '*.csv'.")
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern.strip() or "\x00" in pattern:
            raise ValidationError(f"{field}.patterns", f"{pattern!r} is not a glob pattern.")
    debounce = data.get("debounce_seconds", DEFAULT_DEBOUNCE_SECONDS)
    if isinstance(debounce, bool) or not isinstance(debounce, int | float) or not 0 <= debounce <= 3600:
        raise ValidationError(f"{field}.debounce_seconds", f"must be a number of seconds from 0 to 3600, not {debounce!r}.")
    kinds = data.get("kinds", list(FILE_KINDS))
    if not isinstance(kinds, list) or not kinds:
        raise ValidationError(f"{field}.kinds", f"must list one or more of {', '.join(FILE_KINDS)}.")
    for kind in kinds:
        if kind not in FILE_KINDS:
            raise ValidationError(f"{field}.kinds", f"{kind!r} is not one of {', '.join(FILE_KINDS)}.")
    return {"folder": str(path), "patterns": [p.strip() for p in patterns],
            "recursive": _bool(data.get("recursive", True), f"{field}.recursive"),
            "debounce_seconds": float(debounce) if not float(debounce).is_integer() else int(debounce),
            "kinds": [kind for kind in FILE_KINDS if kind in kinds]}


def parse_clock(value: Any, field: str) -> tuple[int, int]:
    match = CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValidationError(field, f"must be a time of day as HH:MM (00:00–23:59), not {value!r}.")
    return int(match["hour"]), int(match["minute"])


def normalize_conditions(data: Any, field: str = "conditions") -> dict[str, Any] | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValidationError(field, 'must be an object such as {"ac_power": true} or null.')
    _unknown(data, CONDITION_KEYS, field)
    network = data.get("network")
    if network is not None:
        if not isinstance(network, str) or (network != "up" and not HOST_PORT.match(network)):
            raise ValidationError(f"{field}.network", f"must be \"up\" or HOST:PORT such as \"nas.local:445\", not {network!r}.")
        match = HOST_PORT.match(network)
        if match and not 1 <= int(match["port"]) <= 65535:
            raise ValidationError(f"{field}.network", f"the port must be from 1 to 65535 in {network!r}.")
    idle = data.get("idle_minutes")
    if idle is not None:
        _whole(idle, f"{field}.idle_minutes", 1, 1440)
    between = data.get("not_between")
    if between is not None:
        if not isinstance(between, list) or len(between) != 2:
            raise ValidationError(f"{field}.not_between", 'must be two times of day, such as ["22:00", "06:00"].')
        for index, moment in enumerate(between):
            parse_clock(moment, f"{field}.not_between[{index}]")
        if between[0] == between[1]:
            raise ValidationError(f"{field}.not_between", "the two times are the same; that would never run.")
        between = ["{:02d}:{:02d}".format(*parse_clock(moment, field)) for moment in between]
    when_unmet = data.get("when_unmet", "WAIT")
    if when_unmet not in WHEN_UNMET:
        raise ValidationError(f"{field}.when_unmet", f"must be WAIT or SKIP, not {when_unmet!r}.")
    wait = _whole(data.get("wait_minutes", DEFAULT_WAIT_MINUTES), f"{field}.wait_minutes", 1, 7 * 1440)
    ac_power = _bool(data.get("ac_power", False), f"{field}.ac_power")
    if not (ac_power or network or idle or between):
        return None  # nothing to wait for
    return {"ac_power": ac_power, "network": network, "idle_minutes": idle, "not_between": between,
            "when_unmet": when_unmet, "wait_minutes": wait}


def normalize_triggers(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The trigger keys of `data` (absent ones take their defaults), checked and normalised."""
    files = data.get("file_triggers")
    files = [] if files is None else files
    if not isinstance(files, list) or len(files) > MAX_FILE_TRIGGERS:
        raise ValidationError(f"{prefix}file_triggers", f"must be a list of at most {MAX_FILE_TRIGGERS} watched folders.")
    login = data.get("run_at_login")
    cap = data.get("misfire_cap")
    return {
        "file_triggers": [normalize_file_trigger(item, f"{prefix}file_triggers[{index}]") for index, item in enumerate(files)],
        "run_at_login": False if login is None else _bool(login, f"{prefix}run_at_login"),
        "conditions": normalize_conditions(data.get("conditions"), f"{prefix}conditions"),
        "misfire_cap": DEFAULT_MISFIRE_CAP if cap is None else _whole(cap, f"{prefix}misfire_cap", 1, 100),
    }


def pack(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The store's form: None when everything is at its default (most events)."""
    stored = {key: spec[key] for key in TRIGGER_KEYS if spec.get(key, DEFAULTS[key]) != DEFAULTS[key]}
    return stored or None


def unpack(stored: dict[str, Any] | None) -> dict[str, Any]:
    return {key: (stored or {}).get(key, DEFAULTS[key]) for key in TRIGGER_KEYS}


def non_default(spec: dict[str, Any]) -> dict[str, Any]:
    """What an exported file carries: only keys away from their default, so older files stay as they were."""
    return {key: spec[key] for key in TRIGGER_KEYS if spec.get(key, DEFAULTS[key]) != DEFAULTS[key]}
