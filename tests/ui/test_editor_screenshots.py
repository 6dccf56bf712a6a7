"""Screenshots of the script editor in the light and dark themes, saved to be looked at: the
completion popup with its signature tip, an error squiggle with its hover message, the find bar,
and a draft run's log pane. Under Xvfb (`./dev screenshots`) the screen is grabbed, popups included."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from cronium_desktop.ui import theme
from cronium_desktop.ui.events.editor import EventEditor
from tests.ui.conftest import SCREENSHOTS, run, wait_until

SCRIPT = '''import json
import os

region = os.environ["REGION"]
count = int(cronium.getVariable("run_count") or 0) + 1
cronium.setVariable("run_count", str(count))
print("run", count, "in", region)
report = json.dumps({"count": count}, indent=2, sort_k'''


def shot(widget: QWidget, name: str) -> None:
    """The screen area of `widget` (popups and tips are windows of their own), or the widget offscreen."""
    QApplication.processEvents()
    if QGuiApplication.platformName() == "xcb":
        top_left = widget.mapToGlobal(widget.rect().topLeft())
        picture: QPixmap = widget.screen().grabWindow(0, top_left.x(), top_left.y(), widget.width(), widget.height())
    else:
        picture = widget.grab()
    path = SCREENSHOTS / f"{name}.png"
    assert picture.save(str(path))
    assert path.stat().st_size > 5_000


def settle(loop: Any, seconds: float = 0.4) -> None:
    import asyncio

    run(loop, asyncio.sleep(seconds))


@pytest.mark.parametrize("theme_name", ["light", "dark"])
def test_editor_screenshots(application: Any, loop: Any, qtbot: Any, theme_name: str) -> None:
    engine = application.engine
    theme.apply(QApplication.instance(), theme_name)  # type: ignore[arg-type]
    run(loop, engine.variables.set("run_count", "41"))
    event_id = run(loop, engine.events.create({"name": "Regional report", "type": "PYTHON", "content": "print('saved')",
                                                "env": {"REGION": "eu-west-1", "API_TOKEN": "x"}}))
    dialog = EventEditor(engine, run(loop, engine.events.get(event_id)), application.window)
    qtbot.addWidget(dialog)
    dialog.resize(1000, 760)
    dialog.show()
    dialog.activateWindow()
    dialog.tabs.setCurrentIndex(1)
    code = dialog.code
    assert code.theme() == theme_name
    code.set_text(SCRIPT)
    code.editor.documentEnd()
    QWidget.setFocus(code.editor)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    code.completer.last = None
    code.completer.request(explicit=True)
    wait_until(loop, lambda: code.completer.last is not None and code.editor.autoCActive(), timeout=60)
    assert "dumps(obj" in (code.completer.signature_shown or "")
    settle(loop)
    assert code.editor.autoCActive() and code.completer._tip.isVisible()
    shot(dialog, f"editor-completion-{theme_name}")
    code.editor.autoCCancel()

    code.set_text(SCRIPT.replace("sort_k", "sort_keys=True)") + "\nprint(totl)\n")
    wait_until(loop, lambda: [p.message for p in code.diagnostics.problems] == ["undefined name 'totl'"], timeout=10)
    line = code.diagnostics.problems[0].line
    position = code.editor.positionFromLine(line) + 7
    x, y = code.editor.pointXFromPosition(position), code.editor.pointYFromPosition(position) + 4
    code.diagnostics._hover(x, y)
    assert code.editor.callTipActive()
    settle(loop)
    shot(dialog, f"editor-problem-{theme_name}")

    code.editor.gotoPos(0)
    code.actions_by_name["replace"].trigger()
    code.find_bar.find_text.setText("count")
    code.find_bar.replace_text.setText("total")
    code.find_bar.find(True)
    settle(loop, 0.2)
    shot(dialog, f"editor-find-{theme_name}")
    code.find_bar.close_bar()

    code.set_text('import json\nimport cronium\n\nprint("draft run of", cronium.event()["name"])\nrows = cronium.input()["rows"]\n'
                  'print(json.dumps({"rows": rows}))\nprint(rows[10])\n')
    dialog.draft.input.setText('{"rows": [1, 2, 3]}')
    dialog.draft.run()
    wait_until(loop, lambda: "Failure" in dialog.draft.status.text(), timeout=30)
    settle(loop)
    shot(dialog, f"editor-draft-{theme_name}")
    dialog.reject()
    theme.apply(QApplication.instance(), "light")  # type: ignore[arg-type]
