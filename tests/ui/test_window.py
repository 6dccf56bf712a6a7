"""The desktop window driven as a user would: editor, validation, runs, live log, filters, tray."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import run, wait_until


def open_editor(application: Any) -> Any:
    from cronium_desktop.ui.events.editor import EventEditor

    page = application.window.pages["Events"]
    application.window.open_page("Events")
    page.new()
    editors = [w for w in QApplication.topLevelWidgets() if isinstance(w, EventEditor) and w.isVisible()]
    assert editors, "the editor did not open"
    return editors[-1]


def test_sidebar_has_every_view_of_the_spec(application: Any) -> None:
    names = [application.window.sidebar.item(i).text() for i in range(application.window.sidebar.count())]
    assert names == ["Dashboard", "Events", "Workflows", "Servers", "Terminal", "Variables", "Tools", "Runs", "Timeline", "Settings"]


def test_editor_shows_validation_errors_then_creates_and_runs_the_event(application: Any, loop: Any) -> None:
    editor = open_editor(application)
    editor.name.setText("")
    assert not editor.check()
    assert editor.error.text() == "Name is required."
    editor.name.setText("Greeter")
    editor.type.setCurrentIndex(editor.type.findData("PYTHON"))
    editor.code.set_text("import cronium\nprint('hello from the window')\nimport sys\nprint('warn', file=sys.stderr)\ncronium.output({'ok': 1})\n")
    editor.retries.setValue(11)
    assert not editor.check()
    assert editor.error.text().startswith("Retries ")
    editor.retries.setValue(0)
    editor.trigger.setCurrentIndex(editor.trigger.findData("SCHEDULE"))
    editor.schedule.cron.setCurrentText("61 * * * *")
    assert not editor.check()
    assert editor.error.text().startswith("Schedule: ")
    editor.trigger.setCurrentIndex(editor.trigger.findData("MANUAL"))
    assert editor.check()
    editor.save()
    wait_until(loop, lambda: editor.saved_id is not None)

    events = application.window.pages["Events"]
    wait_until(loop, lambda: events.proxy.rowCount() == 1)
    events.table.selectRow(0)
    events.run_now()
    runs = application.window.pages["Runs"]
    wait_until(loop, lambda: application.window.stack.currentWidget() is runs)
    wait_until(loop, lambda: "Success" in runs.title.text(), timeout=20)
    texts = [runs.log.model.data(runs.log.model.index(i, 1)) for i in range(runs.log.model.rowCount())]
    assert "hello from the window" in texts and "warn" in texts
    streams = {runs.log.model.data(runs.log.model.index(i, 1), Qt.ItemDataRole.UserRole + 2) for i in range(runs.log.model.rowCount())}
    assert streams >= {"stdout", "stderr"}
    assert runs.output.topLevelItem(0).text(0) == "ok"


def test_log_streams_in_while_the_run_goes(application: Any, loop: Any) -> None:
    engine = application.engine
    run(loop, engine.events.create({"name": "Slow", "type": "BASH", "content": "for i in 1 2 3; do echo line $i; sleep 0.4; done"}))
    execution_id = run(loop, engine.runs.start("Slow"))
    application.window.show_run(execution_id)
    runs = application.window.pages["Runs"]
    wait_until(loop, lambda: runs.log.model.rowCount() >= 1)
    summary = run(loop, engine.runs.summary(execution_id))
    assert summary.status in ("RUNNING", "PENDING")  # lines arrived before the end
    wait_until(loop, lambda: "Success" in runs.title.text())
    assert _debug_rows(runs) == ["line 1", "line 2", "line 3"]


def test_events_list_filters_by_text_type_and_status(application: Any, loop: Any) -> None:
    engine = application.engine
    run(loop, engine.events.create({"name": "Backup home", "type": "BASH", "content": "true", "tags": ["nightly"]}))
    run(loop, engine.events.create({"name": "Report", "type": "PYTHON", "content": "print(1)", "status": "PAUSED"}))
    page = application.window.pages["Events"]
    application.window.open_page("Events")
    wait_until(loop, lambda: page.proxy.rowCount() == 2)
    page.search.setText("nightly")
    assert page.proxy.rowCount() == 1 and page.proxy.event_at(0).name == "Backup home"
    page.search.setText("")
    page.type_filter.setCurrentIndex(page.type_filter.findData("PYTHON"))
    assert page.proxy.rowCount() == 1 and page.proxy.event_at(0).name == "Report"
    page.type_filter.setCurrentIndex(0)
    page.status_filter.setCurrentIndex(page.status_filter.findData("DRAFT"))
    assert page.proxy.rowCount() == 1 and page.proxy.event_at(0).name == "Backup home"


def test_events_list_sorts_by_a_clicked_column_and_keeps_the_selected_event(application: Any, loop: Any) -> None:
    engine = application.engine
    for name, cron in (("beta", "* * * * *"), ("Alpha", "0 0 1 1 *"), ("gamma", None)):  # beta comes first
        data = {"name": name, "type": "BASH", "content": "true", "status": "ACTIVE" if cron else "DRAFT"}
        if cron:
            data |= {"trigger": "SCHEDULE", "schedule": {"cron": cron}, "timezone": "UTC"}
        run(loop, engine.events.create(data))
    page = application.window.pages["Events"]
    application.window.open_page("Events")
    wait_until(loop, lambda: page.proxy.rowCount() == 3)
    names = lambda: [page.proxy.event_at(row).name for row in range(page.proxy.rowCount())]  # noqa: E731
    assert names() == ["Alpha", "beta", "gamma"]  # by name, whatever the case
    page.select(next(event.id for event in page.model.events if event.name == "gamma"))
    header = page.table.horizontalHeader()

    def click_column(column: int) -> None:
        """What a click on the column's header does: the first click sorts up, the next one down."""
        ascending = header.sortIndicatorSection() != column or header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        header.setSortIndicator(column, Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder)

    click_column(4)  # Next run: the soonest first, none last
    assert names() == ["beta", "Alpha", "gamma"]
    assert header.sortIndicatorSection() == 4
    click_column(4)
    assert names() == ["gamma", "Alpha", "beta"]
    assert page.selected().name == "gamma", "the selection stays on the event, not on the row"
    page.refresh()
    wait_until(loop, lambda: names() == ["gamma", "Alpha", "beta"])  # a reload keeps the chosen order


def test_tray_pauses_and_resumes_all_schedules(application: Any, loop: Any) -> None:
    tray = application.tray
    assert application.engine.scheduler is not None
    tray.pause_action.setChecked(True)
    assert application.engine.scheduler.paused
    assert tray.pause_action.text() == "Resume schedules"
    tray.pause_action.setChecked(False)
    assert not application.engine.scheduler.paused


def test_failed_run_notifies_from_the_tray(application: Any, loop: Any) -> None:
    engine = application.engine
    run(loop, engine.events.create({"name": "Broken", "type": "BASH", "content": "exit 2"}))
    run(loop, engine.runs.wait(run(loop, engine.runs.start("Broken"))))
    wait_until(loop, lambda: any("Broken" in title for title, _ in application.tray.notifications))


def test_closing_the_window_keeps_the_scheduler_running(application: Any, loop: Any) -> None:
    application.window.keep_running_in_tray = True
    application.window.close()
    assert not application.window.isVisible()
    assert application.engine.scheduler is not None and application.quit_event is not None
    assert not application.quit_event.is_set()
    assert any("keeps running" in title for title, _ in application.tray.notifications)
    application.show_window()
    assert application.window.isVisible()


def test_a_second_launch_brings_the_first_window_forward(application: Any, loop: Any) -> None:
    from cronium_desktop.app import activate_running_instance

    application.window.hide()

    async def ask() -> bool:
        import asyncio

        return await asyncio.to_thread(activate_running_instance, application.data_dir)

    assert run(loop, ask())
    wait_until(loop, lambda: application.window.isVisible())


def test_variables_view_hides_secrets_until_revealed(application: Any, loop: Any) -> None:
    run(loop, application.engine.variables.set("TOKEN", "s3cret-value", secret=True))
    page = application.window.pages["Variables"]
    application.window.open_page("Variables")
    wait_until(loop, lambda: page.table.rowCount() == 1)
    assert page.table.item(0, 1).text() == "••••••"
    page.table.selectRow(0)
    page.reveal()
    wait_until(loop, lambda: page.table.item(0, 1).text() == "s3cret-value")


def _debug_rows(runs: Any) -> list[str]:
    return [runs.log.model.data(runs.log.model.index(i, 1)) for i in range(runs.log.model.rowCount())]


def test_a_workflow_without_positions_opens_laid_out_and_fitted_in_the_window(application: Any, loop: Any) -> None:
    engine, window = application.engine, application.window
    for name in ("Extract", "Transform", "Load"):
        run(loop, engine.events.create({"name": name, "type": "BASH", "content": "true"}))
    run(loop, engine.workflows.save({
        "name": "Hand written",  # as a file or the CLI gives it: no x, no y
        "nodes": [{"id": "a", "event": "Extract"}, {"id": "b", "event": "Transform"}, {"id": "c", "event": "Load"}],
        "edges": [{"from": "a", "to": "b", "type": "ON_SUCCESS"}, {"from": "b", "to": "c", "type": "ALWAYS"}],
    }))
    page = window.pages["Workflows"]
    # The page opens the workflow in the background, before it was ever shown (at its default size).
    wait_until(loop, lambda: page.table.rowCount() == 1 and len(page.scene.node_items) == 3)
    run(loop, _settled())
    window.resize(1280, 800)
    window.show()
    window.open_page("Workflows")
    run(loop, _settled())
    rects = [item.sceneBoundingRect() for item in page.scene.node_items.values()]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])  # not piled up
    visible = page.view.mapToScene(page.view.viewport().rect()).boundingRect()
    assert all(visible.contains(rect) for rect in rects)  # every node on screen
    assert page.view.zoom() > 0.5  # three nodes fill the canvas rather than a dot in its middle


async def _settled() -> None:
    import asyncio

    for _ in range(5):
        await asyncio.sleep(0.02)


def test_a_passphrase_folder_asks_for_its_passphrase_at_start_and_refuses_a_wrong_one(
        loop: Any, tmp_path: Any, monkeypatch: Any) -> None:
    from cronium_desktop.app import Application
    from cronium_desktop.engine.engine import Engine
    from tests.conftest import TEST_PASSPHRASE

    data = tmp_path / "data"
    first = Engine(data, passphrase=TEST_PASSPHRASE)
    run(loop, first.start())
    run(loop, first.variables.set("API_TOKEN", "token-in-the-store", secret=True))
    run(loop, first.stop())
    monkeypatch.delenv("CRONIUM_PASSPHRASE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = Application(data)
    app.engine_settings = {"webhook_port": 0}
    run(loop, app.start())
    try:
        settings = app.window.pages["Settings"]
        wait_until(loop, lambda: settings.passphrase_dialog is not None and settings.passphrase_dialog.isVisible())
        dialog = settings.passphrase_dialog
        dialog.passphrase.setText("not the passphrase")
        dialog.ok.click()
        wait_until(loop, lambda: dialog.error.isVisible(), timeout=20)
        assert "wrong" in dialog.error.text()
        assert dialog.isVisible() and app.engine.secrets.status == "locked"
        dialog.passphrase.setText(TEST_PASSPHRASE)
        dialog.ok.click()
        wait_until(loop, lambda: not dialog.isVisible(), timeout=20)
        assert app.engine.secrets.status == "passphrase"
        assert run(loop, app.engine.variables.get("API_TOKEN", reveal=True)).value == "token-in-the-store"
        assert "Unlocked" in settings.secrets.text() and not settings.passphrase_button.isVisible()
    finally:
        run(loop, app.stop())


def test_a_new_folder_can_be_given_a_passphrase_in_settings(application: Any, loop: Any) -> None:
    settings = application.window.pages["Settings"]
    application.window.open_page("Settings")
    settings.refresh()
    assert settings.passphrase_button.isVisible() and settings.passphrase_button.text() == "Use a passphrase…"
    settings.passphrase_button.click()
    dialog = settings.passphrase_dialog
    dialog.passphrase.setText("short")
    dialog.confirm.setText("shorter")
    dialog.ok.click()
    assert "differ" in dialog.error.text()
    dialog.confirm.setText("short")
    dialog.ok.click()
    wait_until(loop, lambda: "at least 8" in dialog.error.text())
    assert application.engine.secrets.status == "new"  # nothing written
    dialog.passphrase.setText("a long enough passphrase")
    dialog.confirm.setText("a long enough passphrase")
    dialog.ok.click()
    wait_until(loop, lambda: not dialog.isVisible(), timeout=20)
    assert application.engine.secrets.mode == "passphrase"
    run(loop, application.engine.variables.set("TOKEN", "sealed", secret=True))
    assert run(loop, application.engine.variables.get("TOKEN", reveal=True)).value == "sealed"


def test_a_yearly_event_beside_a_frequent_one_keeps_the_window_scheduling(application: Any, loop: Any) -> None:
    """Qt's loop keeps timers in 32-bit milliseconds: a next fire months away must not break the scheduler."""
    engine = application.engine
    problems: list[Any] = []
    loop.set_exception_handler(lambda _loop, context: problems.append(context.get("exception") or context))
    try:
        base = {"type": "BASH", "content": "true", "status": "ACTIVE", "trigger": "SCHEDULE"}
        run(loop, engine.events.create({**base, "name": "Leap day", "schedule": {"cron": "0 0 29 2 *"}}))
        wait_until(loop, lambda: bool(engine.scheduler.apscheduler and engine.scheduler.apscheduler.get_jobs()))
        run(loop, engine.events.create({**base, "name": "Often", "schedule": {"every": 1, "unit": "SECONDS"}}))
        assert run(loop, _wait_for_scheduled_run(engine), timeout=30), "the frequent event never fired"
    finally:
        loop.set_exception_handler(None)
    assert not [p for p in problems if isinstance(p, OverflowError)], problems


async def _wait_for_scheduled_run(engine: Any) -> list[Any]:
    import asyncio

    while True:
        runs = [r for r in await engine.runs.list(event="Often") if r.trigger == "SCHEDULE"]
        if runs:
            return runs
        await asyncio.sleep(0.2)
