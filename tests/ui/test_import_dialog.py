"""The Import schedules dialog: its preview lists each job with its next runs; only ticked jobs are imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from cronium_desktop.ui.imports import ImportSchedulesDialog, open_import_schedules_dialog
from tests.ui.conftest import SCREENSHOTS, run, wait_until

CRONTAB = Path(__file__).parent.parent / "data" / "imports" / "crontab.txt"


def cell(dialog: ImportSchedulesDialog, row: int, column: int) -> str:
    return str(dialog.model.data(dialog.model.index(row, column)))


def test_preview_lists_the_jobs_with_next_runs_and_unticked_jobs_are_not_imported(application: Any, loop: Any) -> None:
    engine, window = application.engine, application.window
    window.resize(1280, 800)
    window.show()
    dialog = open_import_schedules_dialog(window, engine)
    run(loop, dialog.load("cron", [CRONTAB]))
    names = [cell(dialog, row, 2) for row in range(dialog.model.rowCount())]
    assert names == ["Nightly backup", "find /tmp -mtime", "Evening report", "poll --quiet", "Shout"]
    report = names.index("Evening report")
    assert cell(dialog, report, 1).endswith("line 16")
    assert "Europe/Berlin" in cell(dialog, report, 3)
    assert len(cell(dialog, report, 4).splitlines()) == 3  # the next three runs
    assert cell(dialog, report, 5).startswith("BASH event, ACTIVE")
    notes = dialog.notes.toPlainText()
    assert "@reboot" in notes and "login trigger" in notes and "line 20" in notes  # not carried over, left out
    dialog.model.set_ticked(names.index("poll --quiet"), False)
    dialog.model.set_ticked(names.index("Shout"), False)
    assert dialog.import_button.text() == "Import 3 selected"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dialog.table.resizeRowsToContents()
    assert dialog.grab().save(str(SCREENSHOTS / "import-schedules.png"))
    outcome = run(loop, dialog.import_selected())
    assert sorted(outcome.created) == ["Evening report", "Nightly backup", "find /tmp -mtime"]
    assert sorted(e.name for e in run(loop, engine.events.list())) == sorted(outcome.created)
    page = window.pages["Events"]
    wait_until(loop, lambda: page.model.rowCount() == 3)  # the Events page shows them without a refresh by hand


def test_a_second_read_shows_imported_jobs_greyed_out_and_unticked(application: Any, loop: Any) -> None:
    engine = application.engine
    first = ImportSchedulesDialog(engine)
    run(loop, first.load("cron", [CRONTAB]))
    run(loop, first.import_selected())
    again = ImportSchedulesDialog(engine)
    run(loop, again.load("cron", [CRONTAB]))
    assert again.model.chosen() == set()
    assert not again.import_button.isEnabled()
    assert cell(again, 0, 5).startswith("nothing: already imported")
    assert not (again.model.flags(again.model.index(0, 0)) & Qt.ItemFlag.ItemIsUserCheckable)


def test_the_events_page_opens_the_import_dialog(application: Any, loop: Any) -> None:
    window = application.window
    window.show()
    window.open_page("Events")
    window.pages["Events"].import_button.click()
    wait_until(loop, lambda: any(isinstance(w, ImportSchedulesDialog) and w.isVisible()
                                 for w in window.pages["Events"].findChildren(ImportSchedulesDialog)))
