"""The find/replace bar above the editor (Ctrl+F / Ctrl+H): regex, match case, whole word, and
replace all as a single undo step."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QLineEdit, QToolButton, QWidget
from pyside6_scintilla import ScintillaEdit

# Scintilla's search flags (SCFIND_*).
MATCH_CASE, WHOLE_WORD, REGEXP, CXX11REGEX = 0x4, 0x2, 0x00200000, 0x00800000


class FindBar(QWidget):
    closed = Signal()

    def __init__(self, editor: ScintillaEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.setObjectName("findBar")
        self.find_text = QLineEdit(self, placeholderText="Find")
        self.replace_text = QLineEdit(self, placeholderText="Replace with")
        self.regex = QCheckBox(".*", self, toolTip="Regular expression")  # type: ignore[call-overload]  # Qt property keyword
        self.case = QCheckBox("Aa", self, toolTip="Match case")  # type: ignore[call-overload]  # Qt property keyword
        self.word = QCheckBox("Word", self, toolTip="Whole word")  # type: ignore[call-overload]  # Qt property keyword
        self.status = QLabel(self)
        self.status.setObjectName("muted")
        buttons = []
        for text, tip, slot in (("↑", "Previous (Shift+Enter)", lambda: self.find(False)),
                                ("↓", "Next (Enter)", lambda: self.find(True)),
                                ("Replace", "Replace this match and find the next", self.replace),
                                ("All", "Replace all (one undo step)", self.replace_all),
                                ("✕", "Close (Esc)", self.close_bar)):
            button = QToolButton(self, text=text, toolTip=tip)  # type: ignore[call-arg]  # Qt property keyword
            button.clicked.connect(slot)
            buttons.append(button)
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.find_text, 0, 0)
        for column, widget in enumerate((buttons[0], buttons[1], self.regex, self.case, self.word, self.status), 1):
            layout.addWidget(widget, 0, column)
        layout.addWidget(buttons[4], 0, 7)
        layout.addWidget(self.replace_text, 1, 0)
        layout.addWidget(buttons[2], 1, 1, 1, 2)
        layout.addWidget(buttons[3], 1, 3)
        layout.setColumnStretch(0, 1)
        self._replace_row = (self.replace_text, buttons[2], buttons[3])
        self.find_text.returnPressed.connect(lambda: self.find(True))
        self.find_text.textChanged.connect(self._incremental)
        self.replace_text.returnPressed.connect(self.replace)
        QShortcut(QKeySequence("Shift+Return"), self.find_text, lambda: self.find(False))
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close_bar,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.hide()

    def open(self, replace: bool = False) -> None:
        selected = bytes(self.editor.getSelText().data()).rstrip(b"\0").decode("utf-8", errors="replace")
        if selected and "\n" not in selected:
            self.find_text.setText(selected)
        for widget in self._replace_row:
            widget.setVisible(replace)
        self.show()
        (self.replace_text if replace and self.find_text.text() else self.find_text).setFocus()
        self.find_text.selectAll()

    def close_bar(self) -> None:
        self.hide()
        QWidget.setFocus(self.editor)
        self.closed.emit()

    def flags(self) -> int:
        return ((MATCH_CASE if self.case.isChecked() else 0) | (WHOLE_WORD if self.word.isChecked() else 0)
                | ((REGEXP | CXX11REGEX) if self.regex.isChecked() else 0))

    def _search(self, start: int, end: int) -> tuple[int, int] | None:
        needle = self.find_text.text().encode()
        if not needle:
            return None
        self.editor.setSearchFlags(self.flags())
        self.editor.setTargetRange(start, end)
        if self.editor.searchInTarget(len(needle), needle.decode()) < 0:
            return None
        return self.editor.targetStart(), self.editor.targetEnd()

    def _incremental(self) -> None:
        found = self._search(self.editor.selectionStart(), self.editor.length())
        found = found or self._search(0, self.editor.length())
        self._show(found)

    def find(self, forward: bool = True) -> tuple[int, int] | None:  # type: ignore[override]  # the bar's search, not QWidget.find(window id)
        length = self.editor.length()
        if forward:
            found = self._search(self.editor.selectionEnd(), length) or self._search(0, length)
        else:  # a target running backwards (start > end) searches towards the start
            found = self._search(self.editor.selectionStart(), 0) or self._search(length, 0)
        self._show(found)
        return found

    def _show(self, found: tuple[int, int] | None) -> None:
        if found is None:
            self.status.setText("no match" if self.find_text.text() else "")
            return
        self.status.setText("")
        self.editor.setSel(*found)
        self.editor.scrollRange(found[1], found[0])

    def replace(self) -> None:
        """Replace the selected match (if it is one) and move to the next."""
        start, end = self.editor.selectionStart(), self.editor.selectionEnd()
        if start != end and self._search(start, end) == (start, end):
            self._replace_target()
            self.editor.setSel(self.editor.targetEnd(), self.editor.targetEnd())
        self.find(True)

    def _replace_target(self) -> None:
        text = self.replace_text.text()
        if self.regex.isChecked():
            self.editor.replaceTargetRE(len(text.encode()), text)
        else:
            self.editor.replaceTarget(len(text.encode()), text)

    def replace_all(self) -> int:
        """Every match replaced in one undo step; returns how many."""
        count, position = 0, 0
        self.editor.beginUndoAction()
        try:
            while (found := self._search(position, self.editor.length())) is not None:
                self._replace_target()
                count += 1
                position = self.editor.targetEnd()
                if found[0] == found[1]:  # an empty match (e.g. `^`): step over a character
                    position = self.editor.positionAfter(position)
                    if position >= self.editor.length():
                        break
        finally:
            self.editor.endUndoAction()
        self.status.setText(f"{count} replaced")
        return count
