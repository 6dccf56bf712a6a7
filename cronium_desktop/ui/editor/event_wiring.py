"""What ties the script editor to the event editor dialog: the draft pane under it, F5, traceback
links, and what completion should know (the event's env names, the stored variable keys, the
interpreter Settings name for the language). Kept here so the dialog only calls `wire()`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtWidgets import QSplitter, QWidget

from cronium_desktop.engine.notices import Message
from cronium_desktop.ui.common import spawn
from cronium_desktop.ui.editor.code_editor import CodeEditor
from cronium_desktop.ui.editor.draft_pane import DraftPane, DraftSource

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


def script_area(code: CodeEditor, draft: DraftPane) -> QSplitter:
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(code)
    split.addWidget(draft)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 1)
    split.setSizes([420, 240])
    return split


def draft_pane(engine: Engine, source: DraftSource) -> DraftPane:
    return DraftPane(engine, source)


def wire(dialog: QWidget, engine: Engine, code: CodeEditor, draft: DraftPane, env_names: Callable[[], list[str]],
         env_changed: SignalInstance) -> None:
    code.runDraftRequested.connect(draft.run)
    draft.scriptLineClicked.connect(lambda line: code.go_to_line(line, mark=True))

    def names_changed() -> None:
        code.set_context(env_names=sorted({name for name in env_names() if name}))

    env_changed.connect(names_changed)
    names_changed()

    async def load() -> None:
        variables = await engine.variables.list()
        interpreters = engine.settings.get("interpreters") or {}
        code.set_context(variable_keys=sorted(v.key for v in variables),
                         python=interpreters.get("PYTHON") or None)

    spawn(load(), dialog, "Loading variable names")


def say_problems_left(engine: Engine, name: str, code: CodeEditor) -> None:
    """After a save: the script's remaining problems, where the window shows messages."""
    count = code.problem_count()
    if count and code.isVisible():
        noun = "problem" if count == 1 else "problems"
        engine.bus.publish(Message("warning", f"Saved {name!r}; its script has {count} {noun} left. "
                                   f"{code.diagnostics.summary()}"))
