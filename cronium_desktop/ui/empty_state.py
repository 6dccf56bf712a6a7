"""An empty list's message with one clear next step: what is missing and the button that adds it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget


class EmptyState(QWidget):
    def __init__(self, title: str, text: str, action: str, on_action: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="emptyState")  # type: ignore[call-arg]  # Qt property keyword
        self.title = QLabel(title, self, objectName="emptyTitle")  # type: ignore[call-overload]  # Qt property keyword
        self.text = QLabel(text, self, objectName="muted", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton(action, self, objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        self.button.clicked.connect(lambda _checked=False: on_action())
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title, 0, Qt.AlignmentFlag.AlignHCenter)
        # no alignment flag for the wrapped text: a layout gives an aligned label only its one-line height
        layout.addWidget(self.text)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        layout.setContentsMargins(60, 0, 60, 0)


class EmptyOr(QStackedWidget):
    """The list, or its empty state when there is nothing to list."""

    def __init__(self, content: QWidget, empty: EmptyState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content, self.empty = content, empty
        self.addWidget(content)
        self.addWidget(empty)

    def set_empty(self, empty: bool) -> None:
        self.setCurrentWidget(self.empty if empty else self.content)

    @property
    def showing_empty(self) -> bool:
        return self.currentWidget() is self.empty
