"""Every field rule of SPEC §1: bad input names its field and says why."""

from __future__ import annotations

from typing import Any

import pytest

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.event_fields import FILE_KEYS as FILE_EVENT_KEYS
from cronium_desktop.engine.validation import normalize_event


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "Backup", "type": "BASH", "content": "echo hi"}
    base.update(changes)
    return base


def refused(data: dict[str, Any], **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        normalize_event(data, **kwargs)
    return caught.value


def test_defaults_follow_the_spec() -> None:
    spec = normalize_event(event())
    assert spec["status"] == "DRAFT"
    assert spec["trigger"] == "MANUAL"
    assert spec["run_location"] == "LOCAL"
    assert spec["timeout_seconds"] == 3600
    assert spec["retries"] == 0
    assert spec["retry_backoff_seconds"] == 5
    assert spec["overlap"] == "SKIP"
    assert spec["misfire"] == "RUN_ONCE"
    assert spec["priority"] == "NORMAL"
    assert spec["max_executions"] == 0
    assert spec["reset_counter_on_activate"] is True


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 201}, "name", "200"),
        ({"name": "two\nlines"}, "name", "control characters"),
        ({"type": None}, "type", "required"),
        ({"type": "RUBY"}, "type", "BASH"),
        ({"content": "  \n"}, "content", "empty"),
        ({"status": "RUNNING"}, "status", "ACTIVE"),
        ({"trigger": "SCHEDULE"}, "schedule", "needs"),
        ({"trigger": "SCHEDULE", "schedule": {"cron": "61 * * * *"}}, "schedule.cron", "does not parse"),
        ({"schedule": {"cron": "* * *"}}, "schedule.cron", "3 fields"),
        ({"schedule": {"cron": "0 9 * * 8"}}, "schedule.cron", "day of week"),
        ({"schedule": {"every": 0, "unit": "MINUTES"}}, "schedule.every", "at least 1"),
        ({"schedule": {"every": 5, "unit": "FORTNIGHTS"}}, "schedule.unit", "MINUTES"),
        ({"schedule": {"every": 5}}, "schedule", "unexpected keys"),
        ({"schedule": {"every": 10**12, "unit": "WEEKS"}}, "schedule.every", "100 years"),
        ({"schedule": {"cron": "0 0 30 2 *"}}, "schedule.cron", "never fires"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown timezone"),
        ({"start_time": "yesterday"}, "start_time", "ISO 8601"),
        ({"start_time": "2026-05-01T10:00:00", "end_time": "2026-04-01T10:00:00"}, "end_time", "after"),
        ({"max_executions": -1}, "max_executions", "at least 0"),
        ({"max_executions": 10**30}, "max_executions", "at most"),
        ({"retries": 11}, "retries", "between 0 and 10"),
        ({"retries": True}, "retries", "whole number"),
        ({"retry_backoff_seconds": -1}, "retry_backoff_seconds", "at least"),
        ({"timeout_seconds": 0}, "timeout_seconds", "more than"),
        ({"timeout_seconds": float("nan")}, "timeout_seconds", "NaN"),
        ({"retry_backoff_seconds": float("nan")}, "retry_backoff_seconds", "NaN"),
        ({"run_location": "MOON"}, "run_location", "LOCAL"),
        ({"run_location": "REMOTE"}, "servers", "at least one server"),
        ({"servers": ["a", "A"], "run_location": "REMOTE"}, "servers", "twice"),
        ({"overlap": "MAYBE"}, "overlap", "SKIP"),
        ({"misfire": "ALL"}, "misfire", "RUN_ONCE"),
        ({"priority": "URGENT"}, "priority", "CRITICAL"),
        ({"env": {"1BAD": "x"}}, "env.1BAD", "environment variable name"),
        ({"env": {"GOOD": 3}}, "env.GOOD", "string"),
        ({"tags": ["ok", ""]}, "tags", "1–50"),
        ({"type": "HTTP_REQUEST", "content": ""}, "http", "method and a URL"),
        ({"type": "HTTP_REQUEST", "http": {"method": "GET", "url": "ftp://x"}}, "http.url", "http://"),
        ({"type": "HTTP_REQUEST", "http": {"url": "http://x", "expected_status": [99]}}, "http.expected_status", "100–599"),
        ({"type": "TOOL_ACTION", "content": ""}, "tool_action", "needs a tool"),
        ({"http": {"url": "http://x"}}, "http", "only HTTP_REQUEST"),
        ({"conditional_actions": [{"on": "ON_WEEKDAYS", "action": "RUN_EVENT", "event": "x"}]},
         "conditional_actions[0].on", "ON_SUCCESS"),
        ({"conditional_actions": [{"on": "ALWAYS", "action": "RUN_EVENT"}]}, "conditional_actions[0].event", "required"),
        ({"conditional_actions": [{"on": "ALWAYS", "action": "SEND_MESSAGE", "body": "x"}]},
         "conditional_actions[0].tool", "required"),
        ({"conditional_actions": [{"on": "ALWAYS", "action": "RUN_EVENT", "event": "x", "when": 1}]},
         "conditional_actions[0].when", "unknown key"),
        ({"colour": "blue"}, "colour", "unknown key"),
    ],
)
def test_bad_field_is_named_with_the_reason(changes: dict[str, Any], field: str, words: str) -> None:
    error = refused(event(**changes))
    assert error.field == field
    assert words in error.message


def test_file_form_refuses_keys_only_the_editor_knows() -> None:
    error = refused(event(reset_counter_on_activate=False), allowed_keys=FILE_EVENT_KEYS)
    assert error.field == "reset_counter_on_activate"


def test_start_time_without_offset_is_read_in_the_event_timezone() -> None:
    spec = normalize_event(event(timezone="Europe/Berlin", start_time="2026-07-01T10:00:00"))
    assert spec["start_time"].isoformat() == "2026-07-01T08:00:00"  # stored as UTC


def test_six_field_cron_and_aliases_are_accepted() -> None:
    assert normalize_event(event(schedule={"cron": "*/10 * * * * *"}))["schedule"] == {"cron": "*/10 * * * * *"}
    assert normalize_event(event(schedule={"cron": "@daily"}))["schedule"] == {"cron": "@daily"}


def test_secret_env_names_join_env_with_empty_values() -> None:
    spec = normalize_event(event(secret_env=["TOKEN"]))
    assert spec["env"] == {"TOKEN": ""}


def test_an_env_value_holding_a_nul_is_refused_by_its_name() -> None:
    error = refused(event(env={"GREETING": "hello", "TOKEN": "abc\0def"}))
    assert error.field == "env.TOKEN"
    assert "NUL" in str(error)


def test_empty_timezone_means_the_computers_zone() -> None:
    assert normalize_event(event(timezone=""))["timezone"] is None


def test_name_is_trimmed_before_its_rules_apply() -> None:
    assert normalize_event(event(name="  Nightly backup\n"))["name"] == "Nightly backup"
    assert normalize_event(event(name=" " + "x" * 200 + " "))["name"] == "x" * 200


def test_cron_with_both_day_fields_runs_on_either_day_as_in_crontab() -> None:
    from datetime import UTC, datetime

    from cronium_desktop.engine.scheduling.schedules import next_runs

    after = datetime(2026, 12, 29, tzinfo=UTC)
    runs = next_runs({"cron": "0 9 1 * 1"}, "UTC", 3, after=after)  # the 1st, and every Monday
    assert [run.strftime("%a %d %b") for run in runs] == ["Fri 01 Jan", "Mon 04 Jan", "Mon 11 Jan"]
    # A day that does not exist still leaves the weekday: Mondays in February.
    assert normalize_event(event(schedule={"cron": "0 0 30 2 1"}))["schedule"] == {"cron": "0 0 30 2 1"}
