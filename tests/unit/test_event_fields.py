"""The one description of an event's fields (engine/event_fields.py): what a new event holds, what
a file may say and the order an export writes (SPEC §1, §8)."""

from __future__ import annotations

from cronium_desktop.engine.event_fields import DEFAULTS, EXPORT_KEYS, FACADE_KEYS, FILE_KEYS, new_event

# The event of SPEC §8's example, keys in the order the SPEC writes them.
SPEC_EXAMPLE_ORDER = ["key", "name", "type", "content", "trigger", "schedule", "timezone", "run_location", "servers",
                      "timeout_seconds", "retries", "env", "tags", "conditional_actions"]


def test_a_new_event_has_its_own_lists_so_editing_one_form_leaves_the_next_new_event_empty() -> None:
    first = new_event()
    first["tags"].append("etl")
    first["env"]["MODE"] = "fast"
    first["conditional_actions"].append({"on": "ALWAYS", "action": "RUN_EVENT", "event": "Other"})
    second = new_event()
    assert second["tags"] == [] and second["env"] == {} and second["conditional_actions"] == []
    assert DEFAULTS["tags"] == [] and DEFAULTS["env"] == {}


def test_a_new_event_is_a_manual_draft_run_locally_with_the_specs_defaults() -> None:
    event = new_event()
    assert (event["status"], event["trigger"], event["run_location"]) == ("DRAFT", "MANUAL", "LOCAL")
    assert (event["timeout_seconds"], event["retries"], event["overlap"], event["misfire"]) == (3600, 0, "SKIP", "RUN_ONCE")
    assert "name" not in event and "type" not in event  # an event must say these itself


def test_an_export_writes_the_keys_in_the_order_the_spec_shows() -> None:
    positions = [EXPORT_KEYS.index(key) for key in SPEC_EXAMPLE_ORDER]
    assert positions == sorted(positions)
    assert len(set(EXPORT_KEYS)) == len(EXPORT_KEYS)


def test_what_a_file_may_say_the_editor_may_say_and_app_only_fields_stay_out_of_files() -> None:
    assert FILE_KEYS <= FACADE_KEYS  # an imported event goes through the same checks as a saved one
    assert {"id", "reset_counter_on_activate", "limit_memory_mb", "limit_cpu_seconds"} <= FACADE_KEYS - FILE_KEYS
    assert set(EXPORT_KEYS) <= FILE_KEYS  # an export is always importable
