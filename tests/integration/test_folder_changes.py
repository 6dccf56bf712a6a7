"""Changes the CLI makes reach a running `headless` scheduler within a second (SPEC §9)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.integration.headless_process import HeadlessProcess, headless, import_events, runs_of, wait_for

__all__ = ["headless"]
pytestmark = pytest.mark.timeout(600)  # real processes side by side; slow on a busy machine

TICK = {"name": "Tick", "type": "BASH", "content": "echo tick", "trigger": "SCHEDULE",
        "schedule": {"every": 1, "unit": "SECONDS"}, "status": "ACTIVE"}


def test_an_event_imported_active_starts_firing_in_a_running_scheduler(
        cli: Cli, tmp_path: Path, headless: HeadlessProcess) -> None:
    import_events(cli, tmp_path, TICK)
    assert wait_for(lambda: len(runs_of(cli, "Tick")) >= 2, timeout=15), headless.output()


def test_importing_an_event_as_paused_stops_it_firing(cli: Cli, tmp_path: Path, headless: HeadlessProcess) -> None:
    import_events(cli, tmp_path, TICK)
    assert wait_for(lambda: len(runs_of(cli, "Tick")) >= 1, timeout=15), headless.output()
    import_events(cli, tmp_path, {**TICK, "status": "PAUSED"}, replace=True)
    time.sleep(1.5)  # the contract's second, and a run that fired just before the change may still finish
    settled = len(runs_of(cli, "Tick"))
    time.sleep(3)
    assert len(runs_of(cli, "Tick")) == settled, "the paused event kept firing"


def test_pausing_and_activating_from_the_cli_take_effect(cli: Cli, tmp_path: Path, headless: HeadlessProcess) -> None:
    import_events(cli, tmp_path, {**TICK, "status": "PAUSED"})
    time.sleep(2)
    assert runs_of(cli, "Tick") == []
    assert cli("event", "activate", "Tick").code == 0
    assert wait_for(lambda: len(runs_of(cli, "Tick")) >= 2, timeout=10), headless.output()
    assert cli("event", "pause", "Tick").code == 0
    time.sleep(1.5)
    settled = len(runs_of(cli, "Tick"))
    time.sleep(3)
    assert len(runs_of(cli, "Tick")) == settled, "the paused event kept firing"
