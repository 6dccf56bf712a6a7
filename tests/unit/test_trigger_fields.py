"""The trigger fields (SPEC §1, §8) are strict, and the per-system power/idle decisions (Linux, macOS,
Windows) are checked from what each system answers."""

from __future__ import annotations

import pytest

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.platform.machine import (
    ioreg_idle_seconds,
    linux_ac_power,
    logind_idle_seconds,
    pmset_ac_power,
    windows_ac_power,
    windows_idle_seconds,
)
from cronium_desktop.engine.triggers.spec import normalize_triggers, pack, unpack
from cronium_desktop.engine.triggers.words import describe_triggers
from cronium_desktop.engine.validation import normalize_event

BASE = {"name": "E", "type": "BASH", "content": "true"}


def test_an_event_without_trigger_keys_reads_as_before() -> None:
    event = normalize_event(dict(BASE))
    assert event["file_triggers"] == [] and event["run_at_login"] is False and event["conditions"] is None
    assert pack(event) is None  # nothing stored for an event of an older file


@pytest.mark.parametrize(("fields", "field"), [
    ({"file_triggers": [{"folder": "relative/dir"}]}, "file_triggers[0].folder"),
    ({"file_triggers": [{"folder": "/tmp", "colour": "red"}]}, "file_triggers[0].colour"),
    ({"file_triggers": [{"folder": "/tmp", "kinds": ["renamed"]}]}, "file_triggers[0].kinds"),
    ({"file_triggers": [{"folder": "/tmp", "debounce_seconds": -1}]}, "file_triggers[0].debounce_seconds"),
    ({"run_at_login": "yes"}, "run_at_login"),
    ({"conditions": {"network": "nas"}}, "conditions.network"),
    ({"conditions": {"idle_minutes": 0}}, "conditions.idle_minutes"),
    ({"conditions": {"not_between": ["25:00", "06:00"]}}, "conditions.not_between[0]"),
    ({"conditions": {"ac_power": True, "when_unmet": "LATER"}}, "conditions.when_unmet"),
    ({"conditions": {"battery": True}}, "conditions.battery"),
    ({"misfire_cap": 0}, "misfire_cap"),
    ({"misfire": "RUN_SOME"}, "misfire"),
])
def test_bad_trigger_values_are_refused_naming_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_event({**BASE, **fields})
    assert caught.value.field == field


def test_triggers_are_normalised_stored_and_said_in_words() -> None:
    spec = normalize_triggers({
        "file_triggers": [{"folder": "/data/in", "patterns": "*.csv", "recursive": False, "kinds": ["created"]}],
        "run_at_login": True,
        "conditions": {"ac_power": True, "network": "nas.local:445", "idle_minutes": 10,
                       "not_between": ["9:00", "17:30"], "when_unmet": "WAIT", "wait_minutes": 30},
        "misfire_cap": 5,
    })
    assert spec["file_triggers"][0] == {"folder": "/data/in", "patterns": ["*.csv"], "recursive": False,
                                        "debounce_seconds": 2, "kinds": ["created"]}
    assert spec["conditions"]["not_between"] == ["09:00", "17:30"]
    assert unpack(pack(spec)) == spec
    words = describe_triggers(spec, "RUN_ALL")
    assert words == [
        "When *.csv directly in /data/in is created — runs 2 s after the last change",
        "When Cronium Desktop starts at login",
        "Only on AC power",
        "Only when nas.local:445 answers",
        "Only after the user has been idle 10 min",
        "Not between 09:00 and 17:30",
        "If a condition does not hold: wait up to 30 min, then skip",
        "After sleep or while the app was closed: one run per missed fire, up to 5",
    ]


def test_linux_power_decisions() -> None:
    assert linux_ac_power({}) is True  # a desktop: no battery
    assert linux_ac_power({"AC": {"type": "Mains", "online": "1"}, "BAT0": {"type": "Battery"}}) is True
    assert linux_ac_power({"AC": {"type": "Mains", "online": "0"}, "BAT0": {"type": "Battery"}}) is False
    assert linux_ac_power({"BAT0": {"type": "Battery", "status": "Discharging"}}) is False
    assert linux_ac_power({"BAT0": {"type": "Battery", "status": "Charging"}}) is True


def test_linux_idle_from_logind() -> None:
    assert logind_idle_seconds("IdleHint=no\nIdleSinceHintMonotonic=0\n", 1000.0) == 0.0
    assert logind_idle_seconds("IdleHint=yes\nIdleSinceHintMonotonic=400000000\n", 1000.0) == 600.0
    assert logind_idle_seconds("", 1000.0) is None


def test_macos_decisions() -> None:
    assert pmset_ac_power("Now drawing from 'AC Power'\n -InternalBattery-0 100%; charged") is True
    assert pmset_ac_power("Now drawing from 'Battery Power'\n -InternalBattery-0 80%; discharging") is False
    assert pmset_ac_power("garbage") is None
    assert ioreg_idle_seconds('    |   "HIDIdleTime" = 300000000000\n') == 300.0


def test_windows_decisions() -> None:
    assert windows_ac_power(1) is True and windows_ac_power(0) is False and windows_ac_power(255) is None
    assert windows_idle_seconds(10_000, 4_000) == 6.0
    assert windows_idle_seconds(1_000, 0xFFFFFFFF - 999) == 2.0  # the tick counter wrapped
