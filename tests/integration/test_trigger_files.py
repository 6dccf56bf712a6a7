"""`.cronium.json` files carry file triggers, login, conditions and misfire settings (SPEC §8), strictly."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError

TRIGGERS: dict[str, Any] = {
    "file_triggers": [{"folder": "/srv/inbox", "patterns": ["*.csv"], "recursive": True, "debounce_seconds": 2,
                       "kinds": ["created", "modified", "deleted", "moved"]}],
    "run_at_login": True,
    "conditions": {"ac_power": True, "network": "up", "idle_minutes": None, "not_between": ["22:00", "06:00"],
                   "when_unmet": "SKIP", "wait_minutes": 60},
    "misfire": "RUN_ALL",
    "misfire_cap": 3,
}


def document() -> dict[str, Any]:
    return {"format": "cronium-desktop", "version": 1,
            "events": [{"key": "load", "name": "Load", "type": "BASH", "content": "true", **copy.deepcopy(TRIGGERS)}],
            "workflow": {"name": "Nightly", "trigger": "MANUAL", "schedule": None,
                         "nodes": [{"id": "n1", "event": "load", "label": "Load", "x": 0, "y": 0}], "edges": [],
                         **copy.deepcopy(TRIGGERS)}}


async def test_triggers_round_trip_through_a_file(engine: Engine) -> None:
    await engine.files.import_data(document())
    assert engine.workflows is not None
    exported = await engine.files.export_workflow("Nightly")
    event = exported["events"][0]
    for key, value in TRIGGERS.items():
        assert event[key] == value, key
        assert exported["workflow"][key] == value, key


async def test_a_file_without_trigger_keys_exports_none(engine: Engine) -> None:
    data = document()
    for key in TRIGGERS:
        del data["events"][0][key]
        del data["workflow"][key]
    await engine.files.import_data(data)
    exported = await engine.files.export_workflow("Nightly")
    assert not (set(TRIGGERS) - {"misfire"}) & set(exported["events"][0])  # events always said misfire
    assert not set(TRIGGERS) & set(exported["workflow"])


@pytest.mark.parametrize(("where", "key", "value", "field"), [
    ("events", "conditions", {"ac_power": True, "sunny": True}, "events[0] ('load').conditions.sunny"),
    ("events", "file_triggers", [{"folder": "/x", "debounce_seconds": "soon"}], "file_triggers[0].debounce_seconds"),
    ("workflow", "run_at_login", 1, "workflow.run_at_login"),
    ("workflow", "misfire", "SOMETIMES", "workflow.misfire"),
    ("workflow", "conditions", {"network": "no port"}, "workflow.conditions.network"),
])
async def test_bad_trigger_values_refuse_the_whole_file(engine: Engine, where: str, key: str, value: Any,
                                                        field: str) -> None:
    data = document()
    target = data["events"][0] if where == "events" else data["workflow"]
    target[key] = value
    with pytest.raises(ValidationError) as caught:
        await engine.files.import_data(data)
    assert field in str(caught.value)
    assert await engine.events.list() == []
