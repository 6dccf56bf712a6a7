"""Version history in the window (editor → History, the run view's version link), late/slow alerts on
the Dashboard and as tray messages, and the tray at a glance (badge, next runs, last failures)."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from cronium_desktop.ui.events.editor import EventEditor
from cronium_desktop.ui.versions.editor_buttons import open_history
from tests.ui.conftest import SCREENSHOTS, run, wait_until

SCRIPT_V1 = "#!/bin/bash\nset -e\necho 'copying files'\nrsync -a /srv/data /backup/data\necho done\n"
SCRIPT_V2 = ("#!/bin/bash\nset -euo pipefail\necho 'copying files'\nrsync -a --delete /srv/data /backup/data\n"
             "du -sh /backup/data\necho done\n")


def _save_two_versions(engine: Any, loop: Any) -> int:
    event_id = run(loop, engine.events.create({"name": "Nightly backup", "type": "BASH", "content": SCRIPT_V1,
                                               "timeout_seconds": 600, "tags": ["backup"]}))
    data = run(loop, engine.events.get(event_id))
    run(loop, engine.events.update(event_id, {**data, "content": SCRIPT_V2, "timeout_seconds": 1800, "retries": 2}))
    return event_id


def test_editor_history_shows_the_diff_and_restores_a_version(application: Any, loop: Any, qtbot: Any) -> None:
    engine, window = application.engine, application.window
    event_id = _save_two_versions(engine, loop)
    editor = EventEditor(engine, run(loop, engine.events.get(event_id)), window)
    qtbot.addWidget(editor)
    assert editor.history_button.isVisible() or editor.history_button.text() == "History…"
    dialog = open_history(editor)
    wait_until(loop, lambda: dialog.list.count() == 2 and dialog.script.rowCount() > 0)
    assert dialog.list.item(0).text().startswith("Version 2 · current")
    assert "script +3 −2 lines; timeout_seconds, retries" in dialog.list.item(0).text()
    fields = {dialog.fields.item(r, 0).text(): (dialog.fields.item(r, 1).text(), dialog.fields.item(r, 2).text())
              for r in range(dialog.fields.rowCount())}
    assert fields == {"timeout_seconds": ("600", "1800"), "retries": ("0", "2")}
    sides = [(dialog.script.item(r, 1).text(), dialog.script.item(r, 3).text()) for r in range(dialog.script.rowCount())]
    assert ("set -e", "set -euo pipefail") in sides and ("", "du -sh /backup/data") in sides
    assert not dialog.restore_button.isEnabled()  # the current version is what is saved already

    dialog.resize(1100, 620)
    dialog.show()
    run(loop, asyncio.sleep(0.2))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(SCREENSHOTS / "versions-diff.png"))

    dialog.list.setCurrentRow(1)
    wait_until(loop, lambda: dialog.restore_button.isEnabled())
    dialog.restore()
    wait_until(loop, lambda: dialog.list.count() == 3)
    assert dialog.list.item(0).text().startswith("Version 3 · current")
    assert "restored version 1" in dialog.list.item(0).text()
    wait_until(loop, lambda: editor.data()["content"] == SCRIPT_V1)  # the editor shows what was restored
    assert not editor.dirty
    assert run(loop, engine.events.get(event_id))["content"] == SCRIPT_V1
    dialog.close()
    editor.close()


def test_run_view_links_to_the_version_it_ran(application: Any, loop: Any) -> None:
    engine, window = application.engine, application.window
    event_id = _save_two_versions(engine, loop)
    execution_id = run(loop, engine.runs.start(event_id))
    run(loop, engine.runs.wait(execution_id))
    window.show_run(execution_id)
    page = window.pages["Runs"]
    wait_until(loop, lambda: page.version_link.isVisibleTo(page) and page.version_link.text() == "Ran version 2 ›")
    page.version_link.click()
    dialog = page.version_link.dialog
    wait_until(loop, lambda: dialog.list.count() == 2 and dialog.list.currentRow() == 0)
    dialog.close()


def test_alerts_reach_the_dashboard_and_the_tray(application: Any, loop: Any) -> None:
    engine, window, tray = application.engine, application.window, application.tray
    engine.settings.set("concurrency", 1)
    run(loop, engine.events.create({"name": "Hog", "type": "BASH", "content": "sleep 2"}))
    waiting = run(loop, engine.events.create({"name": "Invoices", "type": "BASH", "content": "true"}))
    run(loop, engine.alerts.set_rules(waiting, {"late_seconds": 0.5}))
    hog = run(loop, engine.runs.start("Hog"))
    held = run(loop, engine.runs.start("Invoices"))
    run(loop, engine.runs.wait(held))
    run(loop, engine.runs.wait(hog))
    window.open_page("Dashboard")
    alerts = window.pages["Dashboard"].alerts
    wait_until(loop, lambda: alerts.count() == 1 and "Invoices — late" in alerts.item(0).text())
    assert tray.notifications[-1][0] == "Invoices is late"
    assert tray.clicked_run == held


def test_tray_badge_and_menu_at_a_glance(application: Any, loop: Any) -> None:
    engine, tray = application.engine, application.tray
    glance = tray.glance
    for name, cron in (("Sales report", "0 9 * * *"), ("Health ping", "*/15 * * * *"), ("Invoices", "0 6 * * 1"),
                       ("Log rotation", "0 0 1 * *")):
        run(loop, engine.events.create({"name": name, "type": "BASH", "content": "true", "status": "ACTIVE",
                                        "trigger": "SCHEDULE", "schedule": {"cron": cron}}))
    run(loop, engine.events.create({"name": "Flaky import", "type": "BASH", "content": "echo importing; exit 3"}))
    base = glance.base_icon.pixmap(64, 64).toImage()
    failed = run(loop, engine.runs.start("Flaky import"))
    run(loop, engine.runs.wait(failed))
    wait_until(loop, lambda: glance.unseen_failures == 1)
    assert tray.icon().pixmap(64, 64).toImage() != base  # the badge is drawn
    assert "1 failed since you last looked" in tray.toolTip()
    run(loop, glance.fill())
    texts = [action.text() for action in tray.menu.actions()]
    next_runs = [t for t in texts if t.startswith("▶")]
    assert len(next_runs) == 3 and next_runs[0].endswith("Health ping")
    assert any(t.startswith("✗") and "Flaky import — Failure" in t for t in texts)
    assert "Pause all schedules" in texts

    menu: QMenu = tray.menu
    menu.popup(QPoint(200, 200))
    wait_until(loop, lambda: menu.isVisible())
    run(loop, asyncio.sleep(0.2))
    assert menu.grab().save(str(SCREENSHOTS / "tray-menu.png"))
    menu.hide()
    assert glance.unseen_failures == 0  # looking at the menu counts as looking
    started = next(a for a in tray.menu.actions() if a.text().startswith("▶"))
    queued: list[int] = []
    application.bridge.runQueued.connect(queued.append)
    started.trigger()  # "Run now" from the tray
    wait_until(loop, lambda: len(queued) == 1)
    assert run(loop, engine.runs.summary(queued[0])).event == "Health ping"


def test_settings_set_the_alert_defaults_every_event_takes(application: Any, loop: Any, qtbot: Any) -> None:
    from PySide6.QtWidgets import QApplication

    from cronium_desktop.ui.alerts.rules_dialog import AlertRulesDialog

    window = application.window
    window.open_page("Settings")
    window.pages["Settings"].alert_defaults.click()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, AlertRulesDialog) and w.isVisible()]
    assert dialogs and dialogs[-1].windowTitle() == "Alert defaults"
    dialog = dialogs[-1]
    wait_until(loop, lambda: dialog.fields["late_seconds"].text() != "")
    dialog.fields["late_seconds"].setText("120")
    dialog.fields["slow_factor"].setText("abc")
    dialog.save()
    wait_until(loop, lambda: "slow_factor" in dialog.error.text())
    assert application.engine.alerts.defaults().late_seconds != 120  # nothing half-saved
    dialog.fields["slow_factor"].setText("3")
    dialog.save()
    wait_until(loop, lambda: not dialog.isVisible())
    defaults = application.engine.alerts.defaults()
    assert (defaults.late_seconds, defaults.slow_factor) == (120, 3)


def test_refilling_the_tray_menu_leaves_no_old_entries_behind(application: Any, loop: Any) -> None:
    """The menu is filled again at every failure and every look: the entries it replaces go."""
    engine, tray = application.engine, application.tray
    run(loop, engine.events.create({"name": "Health ping", "type": "BASH", "content": "true", "status": "ACTIVE",
                                    "trigger": "SCHEDULE", "schedule": {"cron": "*/15 * * * *"}}))
    run(loop, tray.glance.fill())
    run(loop, asyncio.sleep(0.05))
    after_one = len(tray.menu.findChildren(QAction))
    for _ in range(20):
        run(loop, tray.glance.fill())
    run(loop, asyncio.sleep(0.05))  # deleted with the next turn of the event loop
    assert len(tray.menu.findChildren(QAction)) == after_one
