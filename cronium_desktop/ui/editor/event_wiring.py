"""What ties the script editor to the event editor dialog: the draft pane under it, F5, traceback
links, and what completion should know (the event's env names, the stored variable keys, the
interpreter Settings name for the language). Kept here so the dialog only calls `wire()`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTableWidget, QWidget

from cronium_desktop.engine.notices import Message
from cronium_desktop.ui.common import spawn
from cronium_desktop.ui.editor.code_editor import CodeEditor
from cronium_desktop.ui.editor.draft_pane import DraftPane, DraftSource


def script_area(code: CodeEditor, draft: DraftPane) -> QSplitter:
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(code)
    split.addWidget(draft)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 1)
    split.setSizes([420, 240])
    return split


def draft_pane(engine: Any, source: DraftSource) -> DraftPane:
    return DraftPane(engine, source)


def wire(dialog: QWidget, engine: Any, code: CodeEditor, draft: DraftPane, env: QTableWidget) -> None:
    code.runDraftRequested.connect(draft.run)
    draft.scriptLineClicked.connect(lambda line: code.go_to_line(line, mark=True))

    def env_names() -> None:
        names = [(env.item(row, 0).text() if env.item(row, 0) else "").strip() for row in range(env.rowCount())]
        code.set_context(env_names=sorted({name for name in names if name}))

    env.itemChanged.connect(lambda *args: env_names())
    env.model().rowsRemoved.connect(lambda *args: env_names())
    env_names()

    async def load() -> None:
        variables = await engine.variables.list()
        interpreters = engine.settings.get("interpreters") or {}
        code.set_context(variable_keys=sorted(v.key for v in variables),
                         python=interpreters.get("PYTHON") or None)

    spawn(load(), dialog, "Loading variable names")


def say_problems_left(engine: Any, name: str, code: CodeEditor) -> None:
    """After a save: the script's remaining problems, where the window shows messages."""
    count = code.problem_count()
    if count and code.isVisible():
        noun = "problem" if count == 1 else "problems"
        engine.bus.publish(Message("warning", f"Saved {name!r}; its script has {count} {noun} left. "
                                   f"{code.diagnostics.summary()}"))
