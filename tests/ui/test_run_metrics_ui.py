"""The window shows what runs cost: a run's figures and phase bar, an event's trend of 200 runs, the
Dashboard's heaviest events. Screenshots of each go to test-artifacts/screenshots/ to be looked at."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from cronium_desktop.engine.store.models import Execution, RunMetric
from tests.ui.conftest import SCREENSHOTS, run, wait_until

MB = 1024 * 1024
WORK = "print('starting', flush=True)\nimport time\ndata = b'1' * (60 * 1024 * 1024)\nend = time.process_time() + 0.6\nwhile time.process_time() < end:\n    sum(range(1000))\nprint('done')\n"


def add_history(engine: Any, event_id: int, name: str, count: int = 200) -> None:
    """`count` finished runs of the event over the last days, every tenth or so failed (straight into the store)."""
    rng = random.Random(7)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.ctx.db.write() as session:
        for index in range(count):
            finished = now - timedelta(hours=(count - index) * 0.5)
            seconds = 20 + index * 0.1 + rng.uniform(-3, 3)
            failed = rng.random() < 0.1
            execution = Execution(event_id=event_id, event_name=name, trigger="SCHEDULE",
                                  status="FAILURE" if failed else "SUCCESS", created_at=finished - timedelta(seconds=seconds + 2),
                                  started_at=finished - timedelta(seconds=seconds), finished_at=finished,
                                  duration_ms=int(seconds * 1000), exit_code=1 if failed else 0)
            session.add(execution)
            session.flush()
            session.add(RunMetric(execution_id=execution.id, attempt=1, event_id=event_id, queued_s=2.0,
                                  cpu_user_s=seconds * 0.6, cpu_system_s=seconds * 0.1,
                                  max_rss_bytes=int((300 + index * 4 + rng.uniform(-40, 40)) * MB),
                                  started_at=execution.started_at, finished_at=finished))


def test_run_details_show_the_figures_and_a_phase_bar_to_scale(application: Any, loop: Any) -> None:
    engine, window = application.engine, application.window
    run(loop, engine.events.create({"name": "Crunch numbers", "type": "PYTHON", "content": WORK}))
    finished = run(loop, engine.runs.wait(run(loop, engine.runs.start("Crunch numbers"))))
    assert finished.status == "SUCCESS"
    window.resize(1280, 800)
    window.show()
    window.open_page("Runs")
    page = window.pages["Runs"]
    page.show_run(finished.execution_id)
    wait_until(loop, lambda: page.figures.values["memory"].text() != "—")
    page.details.setCurrentWidget(page.figures)
    figures = page.figures
    assert "user" in figures.values["cpu"].text() and figures.values["cpu"].text() != "— user, — system"
    assert figures.values["memory"].text().endswith("MB")
    assert float(figures.values["memory"].text().split()[0]) >= 60
    spans = figures.bar.spans
    assert spans["running"] > 0.5
    widths = figures.bar.widths(1000)
    assert abs(sum(widths.values()) - 1000) < 1e-6
    assert abs(widths["running"] / 1000 - spans["running"] / sum(spans.values())) < 1e-9  # to scale
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SCREENSHOTS / "run-resources.png"))


def test_the_trend_panel_plots_an_events_last_200_runs_with_failures_marked(application: Any, loop: Any) -> None:
    engine, window = application.engine, application.window
    event_id = run(loop, engine.events.create({"name": "Nightly backup", "type": "BASH", "content": "true"}))
    add_history(engine, event_id, "Nightly backup", 230)
    window.resize(1280, 800)
    window.show()
    window.open_page("Events")
    page = window.pages["Events"]
    wait_until(loop, lambda: page.proxy.rowCount() == 1)
    page.table.selectRow(0)
    trend = page.trend
    wait_until(loop, lambda: trend.plotted("duration") == 200)
    points = trend.points
    failed = sum(1 for p in points if p.status == "FAILURE")
    assert failed > 5
    for key in ("duration", "cpu", "memory"):
        assert trend.plotted(key) == 200
        assert trend.marked_failures(key) == failed
    assert "last 200 runs" in trend.title.text()
    assert window.grab().save(str(SCREENSHOTS / "event-trend.png"))
    window.open_page("Dashboard")
    board = window.pages["Dashboard"]
    wait_until(loop, lambda: "Nightly backup" in board.heaviest.by_memory.item(0).text())
    assert "Nightly backup" in board.heaviest.by_cpu.item(0).text() and "(200 runs)" not in board.heaviest.by_cpu.item(0).text()
    assert window.grab().save(str(SCREENSHOTS / "dashboard-heaviest.png"))


def test_the_run_tab_sets_local_limits_and_a_limited_run_says_which_limit_it_hit(application: Any, loop: Any) -> None:
    from tests.ui.test_window import open_editor

    editor = open_editor(application)
    editor.name.setText("Bounded")
    editor.type.setCurrentIndex(editor.type.findData("PYTHON"))
    editor.code.set_text("end = __import__('time').process_time() + 5\nwhile __import__('time').process_time() < end:\n    pass\n")
    limits = editor.run.limits
    assert not limits.isHidden()  # a local run: its limits are shown
    limits.memory_mb.setValue(512)
    limits.cpu_seconds.setValue(1)
    editor.tabs.setCurrentIndex([editor.tabs.tabText(i) for i in range(editor.tabs.count())].index("Run"))
    assert editor.grab().save(str(SCREENSHOTS / "editor-run-limits.png"))
    editor.run.run_location.setCurrentIndex(editor.run.run_location.findData("CONTAINER"))
    assert limits.isHidden()  # a container has its own limits
    editor.run.run_location.setCurrentIndex(editor.run.run_location.findData("LOCAL"))
    assert editor.check()
    editor.save()
    wait_until(loop, lambda: editor.saved_id is not None)
    saved = run(loop, application.engine.events.get("Bounded"))
    assert (saved["limit_memory_mb"], saved["limit_cpu_seconds"]) == (512, 1)
    finished = run(loop, application.engine.runs.wait(run(loop, application.engine.runs.start("Bounded"))))
    assert finished.status == "FAILURE" and "CPU limit" in (finished.error or "")
