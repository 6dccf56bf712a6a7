"""The SET_VARIABLE conditional action (SPEC §4): a value template, strict in files, kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError


async def test_set_variable_action_renders_its_value_from_the_run(engine: Engine) -> None:
    event_id = await engine.events.create({
        "name": "Count", "type": "PYTHON", "content": "cronium.output({'rows': 12})",
        "conditional_actions": [
            {"on": "ON_SUCCESS", "action": "SET_VARIABLE", "key": "last_rows",
             "value": "{{ output.rows }} rows by {{ event.name }} ({{ execution.status }})"},
            {"on": "ON_FAILURE", "action": "SET_VARIABLE", "key": "never", "value": "x"},
        ],
    })
    await engine.runs.wait(await engine.runs.start(event_id))
    await engine.runs.idle()
    assert (await engine.variables.get("last_rows")).value == "12 rows by Count (SUCCESS)"
    assert "never" not in [info.key for info in await engine.variables.list()]
    shown = await engine.events.get(event_id)
    assert shown["conditional_actions"][0] == {
        "on": "ON_SUCCESS", "action": "SET_VARIABLE", "key": "last_rows",
        "value": "{{ output.rows }} rows by {{ event.name }} ({{ execution.status }})",
    }


async def test_a_secret_variable_set_by_an_action_stays_secret_and_a_bad_template_is_logged(engine: Engine) -> None:
    await engine.variables.set("api_key", "old", secret=True)
    event_id = await engine.events.create({
        "name": "Rotate", "type": "BASH", "content": "echo '{\"key\": \"new-key\"}'",
        "conditional_actions": [
            {"on": "ALWAYS", "action": "SET_VARIABLE", "key": "api_key", "value": "{{ output.key }}"},
            {"on": "ALWAYS", "action": "SET_VARIABLE", "key": "broken", "value": "{{ output.nope }}"},
        ],
    })
    execution_id = await engine.runs.start(event_id)
    summary = await engine.runs.wait(execution_id)
    await engine.runs.idle()
    assert summary.status == "SUCCESS"
    info = await engine.variables.get("api_key", reveal=True)
    assert info.secret and info.value == "new-key"
    log = [line.text for line in await engine.runs.log(execution_id)]
    assert any("SET_VARIABLE failed" in line and "value template" in line for line in log), log


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"on": "ALWAYS", "action": "SET_VARIABLE", "key": "bad key", "value": "x"}, "conditional_actions[0].key"),
        ({"on": "ALWAYS", "action": "SET_VARIABLE", "key": "ok"}, "conditional_actions[0].value"),
        ({"on": "ALWAYS", "action": "SET_VARIABLE", "key": "ok", "value": "x", "tool": "t"},
         "conditional_actions[0].tool"),
    ],
)
async def test_a_bad_set_variable_action_is_refused_naming_the_field(
    engine: Engine, action: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        await engine.events.create({"name": "Bad", "type": "BASH", "content": "true", "conditional_actions": [action]})
    assert raised.value.field == field
    assert await engine.events.list() == []


async def test_set_variable_actions_travel_through_files(engine: Engine, tmp_path: Path) -> None:
    await engine.events.create({
        "name": "Stamp", "type": "BASH", "content": "true",
        "conditional_actions": [{"on": "ON_SUCCESS", "action": "SET_VARIABLE", "key": "stamp", "value": "{{ execution.id }}"}],
    })
    path = tmp_path / "stamp.cronium.json"
    await engine.files.export_events(["Stamp"], path)
    text = path.read_text()
    assert '"action": "SET_VARIABLE"' in text and '"key": "stamp"' in text
    await engine.events.delete((await engine.events.get("Stamp"))["id"])
    await engine.files.import_file(path)
    assert (await engine.events.get("Stamp"))["conditional_actions"][0]["key"] == "stamp"
