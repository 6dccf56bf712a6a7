"""Triggers and conditions said in words, for the editor and the workflow's settings (no I/O)."""

from __future__ import annotations

from typing import Any

MISFIRE_WORDS = {
    "RUN_ONCE": "one catch-up run, however many were missed",
    "RUN_ALL": "one run per missed fire, up to {cap}",
    "SKIP": "missed runs are skipped",
}


def _list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def describe_file_trigger(item: dict[str, Any]) -> str:
    kinds = item["kinds"]
    verb = "changes" if len(kinds) == len(("created", "modified", "deleted", "moved")) else "is " + _list(kinds)
    patterns = "any file" if item["patterns"] == ["*"] else _list(item["patterns"])
    where = "in or below" if item["recursive"] else "directly in"
    debounce = item["debounce_seconds"]
    wait = f"{debounce:g} s after the last change" if debounce else "at once"
    return f"When {patterns} {where} {item['folder']} {verb} — runs {wait}"


def describe_conditions(conditions: dict[str, Any] | None) -> list[str]:
    if not conditions:
        return []
    parts: list[str] = []
    if conditions["ac_power"]:
        parts.append("Only on AC power")
    if conditions["network"] == "up":
        parts.append("Only when the network is up")
    elif conditions["network"]:
        parts.append(f"Only when {conditions['network']} answers")
    if conditions["idle_minutes"]:
        parts.append(f"Only after the user has been idle {conditions['idle_minutes']} min")
    if conditions["not_between"]:
        start, end = conditions["not_between"]
        parts.append(f"Not between {start} and {end}")
    if conditions["when_unmet"] == "WAIT":
        parts.append(f"If a condition does not hold: wait up to {conditions['wait_minutes']} min, then skip")
    else:
        parts.append("If a condition does not hold: skip the run")
    return parts


def describe_triggers(spec: dict[str, Any], misfire: str | None = None) -> list[str]:
    """Every trigger and condition of an event or workflow, one sentence each."""
    lines = [describe_file_trigger(item) for item in spec.get("file_triggers", [])]
    if spec.get("run_at_login"):
        lines.append("When Cronium Desktop starts at login")
    lines += describe_conditions(spec.get("conditions"))
    if misfire:
        lines.append(describe_catch_up(misfire, spec.get("misfire_cap", 10)))
    return lines


def describe_catch_up(misfire: str, cap: int) -> str:
    return "After sleep or while the app was closed: " + MISFIRE_WORDS.get(misfire, misfire).format(cap=cap)
