""""New from example…": pick one of the examples gallery's files and import it into the open folder.

Used by the Events and Workflows pages. A name that already exists asks before replacing, as
importing a file does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.examples import Example, list_examples
from cronium_desktop.ui.common import show_error


class ExamplesDialog(QDialog):
    """Lists the examples with their one-line description; `chosen` is the picked one once accepted."""

    def __init__(self, parent: QWidget | None = None, examples: list[Example] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from example")
        self.resize(620, 420)
        self.examples = list_examples() if examples is None else examples
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        for example in self.examples:
            item = QListWidgetItem(f"{example.title}\n{example.description}")
            item.setData(Qt.ItemDataRole.UserRole, str(example.path))
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.import_button = buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(bool(self.examples))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        hint = QLabel("The original Cronium's use cases, ready to run. They are imported into the open data "  # type: ignore[call-overload]  # Qt property keyword
                      "folder as drafts: fill in their settings (env, variables, tools) before you activate them.",
                      wordWrap=True, objectName="muted")
        layout.addWidget(hint)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    @property
    def chosen(self) -> Path | None:
        item = self.list.currentItem()
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None


async def confirm(parent: QWidget, text: str) -> bool:
    """Ask without a nested event loop: the box's answer is awaited on the shared loop."""
    box = QMessageBox(QMessageBox.Icon.Question, "Replace?", f"{text}\nReplace what exists with the example's version?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    box.finished.connect(lambda result: None if answer.done() else answer.set_result(result == QMessageBox.StandardButton.Yes))
    box.open()
    return await answer


async def import_example(
    parent: QWidget, path: Path, import_file: Callable[[Path, bool], Awaitable[Any]],
    ask: Callable[[QWidget, str], Awaitable[bool]] = confirm,
) -> Any:
    """Import `path`; on a name clash ask, then replace. Returns the report, or None if nothing was imported."""
    try:
        return await import_file(path, False)
    except ValidationError as error:
        if "already exists" not in error.message or not await ask(parent, str(error)):
            show_error(parent, "Nothing was imported", f"{path.name}: {error}")
            return None
        return await import_file(path, True)
