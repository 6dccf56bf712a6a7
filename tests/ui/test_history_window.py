"""The window over a long history: Settings → Run history saves retention; the Runs view loads
older runs as it is scrolled, each run once; the window builds pages on their first visit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from cronium_desktop.engine.store.models import Event, Execution
from tests.ui.conftest import run, wait_until


def test_run_history_settings_are_saved_as_they_change(application: Any, loop: Any) -> None:
    application.window.open_page("Settings")
    box = application.window.pages["Settings"].history
    wait_until(loop, lambda: box.days.value() == 90)

    box.days.setValue(30)
    box.per_event.setValue(500)

    engine = application.engine
    wait_until(loop, lambda: (engine.settings.get("log_retention_days"), engine.settings.get("max_runs_per_event")) == (30, 500))


def test_scrolling_the_runs_view_loads_older_runs_each_once(application: Any, loop: Any) -> None:
    engine, window = application.engine, application.window
    with engine.ctx.db.write() as session:
        event = Event(name="ticker", type="BASH", content="true")
        session.add(event)
        session.flush()
        start = datetime(2026, 1, 1)
        session.execute(insert(Execution), [
            {"event_id": event.id, "event_name": "ticker", "trigger": "SCHEDULE", "status": "SUCCESS",
             "created_at": start + timedelta(minutes=i), "duration_ms": 5} for i in range(650)])
    window.resize(1200, 800)
    window.show()
    window.open_page("Runs")
    page = window.pages["Runs"]
    wait_until(loop, lambda: len(page.model.runs) == 200)

    for _ in range(10):
        bar = page.table.verticalScrollBar()
        bar.setValue(bar.maximum())
        if page._paging is not None:
            run(loop, page._paging)
        if len(page.model.runs) == 650:
            break

    ids = [r.execution_id for r in page.model.runs]
    assert len(ids) == len(set(ids)) == 650
    assert ids == sorted(ids, reverse=True)


def test_pages_not_visited_are_not_built(application: Any) -> None:
    window = application.window
    assert window.pages.get("Terminal") is None and window.pages.get("Workflows") is None
    window.open_page("Terminal")
    assert window.pages.get("Terminal") is not None
