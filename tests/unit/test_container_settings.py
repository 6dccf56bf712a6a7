"""The per-event container settings (SPEC §1 `container`): rules naming the key, defaults, files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.executors.container_config import effective_container
from cronium_desktop.engine.validation import normalize_event
from tests.conftest import TEST_PASSPHRASE


def event(container: Any) -> dict[str, Any]:
    return {"name": "Boxed", "type": "PYTHON", "content": "print(1)", "run_location": "CONTAINER",
            "container": container}


@pytest.mark.parametrize(
    ("container", "field", "words"),
    [
        ("python:3.12", "container", "must be"),
        ({"image": "has space:1"}, "container.image", "image name"),
        ({"memory_mb": 2}, "container.memory_mb", "between 6"),
        ({"memory_mb": "512"}, "container.memory_mb", "whole number"),
        ({"cpus": 0}, "container.cpus", "between 0.01"),
        ({"cpus": "two"}, "container.cpus", "number of CPUs"),
        ({"pids": 0}, "container.pids", "between 1"),
        ({"network": "wifi"}, "container.network", "none, bridge, host"),
        ({"gpu": True}, "container.gpu", "unknown key"),
    ],
)
def test_bad_container_settings_name_the_key_and_why(container: Any, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_event(event(container))
    assert caught.value.field == field
    assert words in caught.value.message


def test_missing_keys_take_the_defaults_and_the_default_image_of_the_type() -> None:
    spec = normalize_event(event({"memory_mb": 64, "network": "none"}))
    assert spec["container"] == {"memory_mb": 64, "network": "none"}  # stored as given
    images = {"PYTHON": "python:3.13-slim"}
    assert effective_container(spec["container"], "PYTHON", images) == {
        "image": "python:3.13-slim", "memory_mb": 64, "cpus": 1.0, "pids": 256, "network": "none"}
    assert effective_container(None, "BASH", {})["image"] == "bash:5"


async def test_export_and_import_carry_the_container_settings(engine: Engine, tmp_path: Path) -> None:
    settings = {"image": "python:3.12-slim", "memory_mb": 128, "cpus": 0.5, "pids": 64, "network": "none"}
    await engine.events.create(event(settings))
    await engine.events.create({"name": "Plain", "type": "BASH", "content": "true"})
    document = await engine.files.export_events(["Boxed", "Plain"], tmp_path / "out.cronium.json")
    boxed, plain = document["events"]
    assert boxed["container"] == settings
    assert "container" not in plain  # files of events without one stay as they were

    second = Engine(tmp_path / "second", passphrase=TEST_PASSPHRASE)
    await second.start()
    try:
        await second.files.import_file(tmp_path / "out.cronium.json")
        assert (await second.events.get("Boxed"))["container"] == settings
        bad = json.loads((tmp_path / "out.cronium.json").read_text())
        bad["events"][0]["container"]["network"] = "wifi"
        (tmp_path / "bad.cronium.json").write_text(json.dumps(bad))
        with pytest.raises(ValidationError) as caught:
            await second.files.import_file(tmp_path / "bad.cronium.json")
        assert "container.network" in caught.value.field
    finally:
        await second.stop(grace_seconds=1)
