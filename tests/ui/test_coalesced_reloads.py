"""A burst of runs reloads the open pages a few times, not once per run notice (ui/coalesce.py).

Each run queued, started and finished asked the Runs page to reload its list (and the Dashboard,
Events and Variables pages theirs): a burst of a few hundred runs started hundreds of reloads at
once, which took the store and the interpreter from the runs themselves — with the window open,
1,000 runs went through at 25 a second against 450 without it. The reload is now asked for, not
started: at once after a quiet spell, never two at once, the next no sooner than a moment later."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from cronium_desktop.ui.coalesce import Coalesced
from tests.ui.conftest import run, wait_until


class Reloads:
    """A reload that takes `seconds` and records how many ran at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = 0
        self.going = 0
        self.most_at_once = 0

    def start(self) -> asyncio.Future[Any]:
        self.started += 1
        return asyncio.ensure_future(self._reload())

    async def _reload(self) -> None:
        self.going += 1
        self.most_at_once = max(self.most_at_once, self.going)
        await asyncio.sleep(self.seconds)
        self.going -= 1


@pytest.fixture
def coalesced(qapp: QApplication) -> Iterator[Callable[[float, int], tuple[Coalesced, Reloads]]]:
    """Makes a coalesced reload taking `seconds` (and its record), `spacing_ms` apart; its owner goes after the test."""
    owners: list[QObject] = []

    def make(seconds: float, spacing_ms: int) -> tuple[Coalesced, Reloads]:
        owners.append(QObject())
        reloads = Reloads(seconds)
        return Coalesced(owners[-1], reloads.start, spacing_ms=spacing_ms), reloads

    yield make
    for owner in owners:
        shiboken6.delete(owner)


def test_a_reload_asked_after_a_quiet_spell_starts_at_once(coalesced: Any, loop: Any) -> None:
    reload, reloads = coalesced(0.01, 50)
    reload()
    assert reloads.started == 1  # not after a delay: a run started by hand shows at once
    wait_until(loop, lambda: not reload.busy)
    run(loop, asyncio.sleep(0.1))  # a quiet spell
    reload()
    assert reloads.started == 2


def test_a_burst_of_asks_starts_two_reloads_one_of_them_after_the_last_ask(coalesced: Any, loop: Any) -> None:
    reload, reloads = coalesced(0.05, 50)
    for _ in range(500):
        reload("a run's notice", 1)  # connected straight to signals: their arguments are ignored
    assert reloads.started == 1
    wait_until(loop, lambda: not reload.busy)
    assert reloads.started == 2  # the one asked for after the first had started: what it loads is current
    assert reloads.most_at_once == 1


def test_asks_that_keep_coming_are_answered_a_few_times_a_second_never_two_at_once(coalesced: Any, loop: Any) -> None:
    reload, reloads = coalesced(0.02, 100)

    async def ask_for(seconds: float) -> None:
        end = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < end:
            reload()
            await asyncio.sleep(0.002)

    run(loop, ask_for(0.5))
    wait_until(loop, lambda: not reload.busy)
    assert 3 <= reloads.started <= 8  # one per 100 ms, and the last after the last ask
    assert reloads.most_at_once == 1


def test_a_deleted_page_is_reloaded_no_more(qapp: QApplication, loop: Any) -> None:
    owner = QObject()
    reloads = Reloads(0.05)
    reload = Coalesced(owner, reloads.start, spacing_ms=50)
    reload()
    reload()  # asked again while the first runs
    shiboken6.delete(owner)
    run(loop, asyncio.sleep(0.2))
    reload()
    assert reloads.started == 1


def test_a_burst_of_runs_with_the_runs_page_open_reloads_it_less_than_once_per_run(application: Any, loop: Any) -> None:
    engine, window = application.engine, application.window
    window.open_page("Runs")
    page = window.pages["Runs"]
    history = engine.history
    queries = []
    real_page = history.page

    def counted_page(*args: Any, **kwargs: Any) -> Any:
        queries.append(1)
        return real_page(*args, **kwargs)

    history.page = counted_page
    event_id = run(loop, engine.events.create({"name": "Burst", "type": "BASH", "content": "true", "overlap": "ALLOW"}))

    async def burst() -> None:
        ids = await asyncio.gather(*(engine.runs.start(event_id) for _ in range(60)))
        await asyncio.gather(*(engine.runs.wait(execution_id) for execution_id in ids))

    run(loop, burst(), timeout=60)
    wait_until(loop, lambda: len(page.model.runs) == 60 and all(r.status == "SUCCESS" for r in page.model.runs))
    assert len(queries) < 60  # each of the 60 runs sent three notices: 180 reloads before
