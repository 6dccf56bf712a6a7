"""A page for a part of Cronium Desktop this build does not include yet, saying so plainly."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from cronium_desktop.ui.common import header


class UnavailablePage(QWidget):
    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        label = QLabel(text, self, wordWrap=True, objectName="muted")
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header(title))
        layout.addWidget(label)
        layout.addStretch(1)
