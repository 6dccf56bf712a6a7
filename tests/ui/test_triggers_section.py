"""The event editor's Triggers tab and the workflow's triggers in words (SPEC §1, §5), with a screenshot
(under Xvfb with `./dev screenshots`, offscreen otherwise) of a watched folder that is paused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTime

from tests.ui.conftest import SCREENSHOTS, run, wait_until
from tests.ui.test_editor_screenshots import settle, shot
from tests.ui.test_window import open_editor


def fill_basics(editor: Any, name: str) -> None:
    editor.name.setText(name)
    editor.code.set_text("echo hi\n")
    editor.status.setCurrentIndex(editor.status.findData("ACTIVE"))


def test_triggers_tab_says_each_trigger_in_words_and_saves_them(application: Any, loop: Any, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    editor = open_editor(application)
    fill_basics(editor, "Inbox watcher")
    section = editor.triggers
    editor.tabs.setCurrentIndex(5)
    assert editor.tabs.tabText(5) == "Triggers"
    assert "No file, login or condition triggers" in section.words.text()
    assert "After sleep or while the app was closed: one catch-up run" in section.words.text()  # the defaults
    section.add_folder({"folder": str(inbox), "patterns": ["*.csv"]})
    section.login.setChecked(True)
    section.conditions.ac_power.setChecked(True)
    section.conditions.idle.setChecked(True)
    section.conditions.idle_minutes.setValue(15)
    section.conditions.quiet.setChecked(True)
    section.conditions.quiet_from.setTime(QTime(23, 0))
    section.conditions.quiet_to.setTime(QTime(7, 0))
    words = section.words.text()
    assert f"When *.csv in or below {inbox} changes — runs 2 s after the last change" in words
    assert "When Cronium Desktop starts at login" in words
    assert "Only on AC power" in words and "Only after the user has been idle 15 min" in words
    assert "Not between 23:00 and 07:00" in words
    assert "wait up to 60 min, then skip" in words
    assert editor.isWindowModified()
    assert editor.check()
    editor.save()
    wait_until(loop, lambda: editor.saved_id is not None)
    saved = run(loop, application.engine.events.get("Inbox watcher"))
    assert saved["file_triggers"] == [{"folder": str(inbox), "patterns": ["*.csv"], "recursive": True,
                                       "debounce_seconds": 2, "kinds": ["created", "modified", "deleted", "moved"]}]
    assert saved["run_at_login"] is True
    assert saved["conditions"]["not_between"] == ["23:00", "07:00"] and saved["conditions"]["idle_minutes"] == 15


def test_a_bad_folder_is_named_on_the_triggers_tab(application: Any, loop: Any) -> None:
    editor = open_editor(application)
    fill_basics(editor, "Bad folder")
    editor.triggers.add_folder({"folder": "relative/inbox"})
    assert not editor.check(reveal=True)
    assert "Watched folders" in editor.error.text() and "absolute path" in editor.error.text()
    assert editor.tabs.currentIndex() == 5


def test_a_paused_folder_shows_its_reason_in_the_editor(application: Any, loop: Any, qtbot: Any,
                                                        tmp_path: Path) -> None:
    from cronium_desktop.ui.events.editor import EventEditor

    missing = tmp_path / "unplugged-drive" / "photos"
    engine = application.engine
    run(loop, engine.events.create({
        "name": "Photo import", "type": "BASH", "content": "echo import\n", "status": "ACTIVE", "misfire": "RUN_ALL",
        "file_triggers": [{"folder": str(missing), "patterns": ["*.jpg", "*.png"], "debounce_seconds": 5}],
        "conditions": {"ac_power": True, "network": "nas.local:445", "when_unmet": "SKIP"}, "misfire_cap": 5}))
    wait_until(loop, lambda: engine.triggers is not None and engine.triggers.watch_states() != [])
    data = run(loop, engine.events.get("Photo import"))
    editor = EventEditor(engine, data, application.window)
    qtbot.addWidget(editor)
    editor.resize(1100, 860)
    editor.show()
    editor.tabs.setCurrentIndex(5)
    assert editor.triggers.folders.item(0, 5).text() == "⚠ Paused"
    reason = editor.triggers.paused.text()
    assert reason.startswith(f"Paused: the folder {missing} does not exist") and not editor.triggers.paused.isHidden()
    words = editor.triggers.words.text()
    assert "Only when nas.local:445 answers" in words and "skip the run" in words
    assert "one run per missed fire, up to 5" in words
    settle(loop)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot(editor, "editor-triggers")
    editor.close()


def test_workflow_settings_show_its_triggers_in_words(application: Any, loop: Any) -> None:
    page = application.window.pages["Workflows"]
    application.window.open_page("Workflows")
    page.show_workflow({"name": "Nightly", "trigger": "MANUAL", "nodes": [], "edges": [],
                        "run_at_login": True, "conditions": {"network": "up"}, "misfire": "SKIP"})
    words = page.properties.triggers.words.text()
    assert "When Cronium Desktop starts at login" in words
    assert "Only when the network is up" in words
    assert "missed runs are skipped" in words
    page.properties.triggers.edited.emit({"run_at_login": False, "file_triggers": [], "conditions": None,
                                          "misfire_cap": 10, "misfire": "RUN_ONCE"})
    assert "login" not in page.properties.triggers.words.text()
    assert page.model.to_dict()["run_at_login"] is False
    page.stack.undo()
    assert page.model.to_dict()["run_at_login"] is True


def test_starting_with_tray_from_autostart_runs_the_login_triggers(loop: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """`--tray` is how the autostart entry starts the app at login (platform.launch_command)."""
    from sqlalchemy import select

    from cronium_desktop.app import Application
    from cronium_desktop.engine.engine import Engine
    from cronium_desktop.engine.store.models import Execution
    from tests.conftest import TEST_PASSPHRASE
    from tests.ui.conftest import hide_leftover_windows

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data = tmp_path / "data"
    first = Engine(data, passphrase=TEST_PASSPHRASE)
    run(loop, first.start())
    for name, login in (("Sync at login", True), ("Not at login", False)):
        run(loop, first.events.create({"name": name, "type": "BASH", "content": "true", "status": "ACTIVE",
                                       "run_at_login": login}))
    run(loop, first.stop())
    app = Application(data, passphrase=TEST_PASSPHRASE, start_hidden=True)
    app.engine_settings = {"webhook_port": 0}
    run(loop, app.start())
    try:
        engine = app.engine
        assert engine is not None
        def triggers_of_runs() -> list[tuple[str, str]]:
            with engine.ctx.db.read() as session:
                return [(row.event_name, row.trigger) for row in session.scalars(select(Execution))]

        wait_until(loop, lambda: triggers_of_runs() != [])
        assert triggers_of_runs() == [("Sync at login", "LOGIN")]
        run(loop, engine.runs.idle())  # nothing going at quit: no question asked
    finally:
        run(loop, app.stop())
        hide_leftover_windows()
