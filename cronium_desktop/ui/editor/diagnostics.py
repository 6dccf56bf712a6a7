"""Checks as you type: after a pause, `checks.check` runs in a worker thread; its problems become
squiggles, margin markers, a tip on hover and a status line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from cronium_desktop.ui.editor.background import LatestOnly
from cronium_desktop.ui.editor.checks import Problem, check
from cronium_desktop.ui.editor.palettes import PALETTES, bgr

if TYPE_CHECKING:
    from cronium_desktop.ui.editor.code_editor import CodeEditor

PAUSE_MS = 350
INDIC_ERROR, INDIC_WARNING = 10, 11
MARKER_ERROR, MARKER_WARNING = 1, 2
PROBLEM_MARGIN = 1
SQUIGGLE, CIRCLE = 1, 0  # INDIC_SQUIGGLE, SC_MARK_CIRCLE


class Diagnostics(QObject):
    changed = Signal(list)  # the current problems

    def __init__(self, owner: CodeEditor) -> None:
        super().__init__(owner)
        self.owner = owner
        self.editor = owner.editor
        self.problems: list[Problem] = []
        self.worker = LatestOnly("checks", self)
        self.worker.done.connect(self._show)
        self._timer = QTimer(self, singleShot=True, interval=PAUSE_MS)
        self._timer.timeout.connect(self.run_now)
        editor = self.editor
        editor.setMarginTypeN(PROBLEM_MARGIN, 0)  # SC_MARGIN_SYMBOL
        editor.setMarginWidthN(PROBLEM_MARGIN, 14)
        editor.setMarginMaskN(PROBLEM_MARGIN, (1 << MARKER_ERROR) | (1 << MARKER_WARNING))
        editor.setMouseDwellTime(400)
        editor.dwellStart.connect(self._hover)
        self._hovering = False
        editor.dwellEnd.connect(lambda *args: editor.callTipCancel() if editor.callTipActive() and self._hovering else None)

    def apply_palette(self, theme: str) -> None:
        colours, editor = PALETTES[theme], self.editor
        for indicator, marker, role in ((INDIC_ERROR, MARKER_ERROR, "error"), (INDIC_WARNING, MARKER_WARNING, "warning")):
            editor.indicSetStyle(indicator, SQUIGGLE)
            editor.indicSetFore(indicator, bgr(colours[role]))
            editor.markerDefine(marker, CIRCLE)
            editor.markerSetFore(marker, bgr(colours[role]))
            editor.markerSetBack(marker, bgr(colours[role]))

    def schedule(self) -> None:
        self.worker.invalidate()
        self._timer.start()

    def run_now(self) -> None:
        language, text = self.owner.language(), self.owner.text()
        self.worker.submit(lambda: check(language, text))

    def _show(self, generation: int, problems: list[Problem]) -> None:
        editor = self.editor
        length = editor.length()
        for indicator in (INDIC_ERROR, INDIC_WARNING):
            editor.setIndicatorCurrent(indicator)
            editor.indicatorClearRange(0, length)
        editor.markerDeleteAll(MARKER_ERROR)
        editor.markerDeleteAll(MARKER_WARNING)
        lines = editor.lineCount()
        shown: list[Problem] = []
        for problem in problems:
            line = min(problem.line, lines - 1)
            start, end = self._span(line, problem.column)
            error = problem.severity == "error"
            editor.setIndicatorCurrent(INDIC_ERROR if error else INDIC_WARNING)
            editor.indicatorFillRange(start, max(1, end - start))
            editor.markerAdd(line, MARKER_ERROR if error else MARKER_WARNING)
            shown.append(Problem(line, problem.column, problem.message, problem.severity))
        self.problems = shown
        self.changed.emit(shown)

    def _span(self, line: int, column: int) -> tuple[int, int]:
        """From the problem's column to the end of its word; the whole line when that is empty."""
        editor = self.editor
        line_start, line_end = editor.positionFromLine(line), editor.lineEndPosition(line)
        text = bytes(editor.textRange(line_start, line_end).data()).decode("utf-8", errors="replace")
        start = line_start + len(text[:column].encode())
        end = editor.wordEndPosition(start, True)
        if end <= start:
            first = line_start + len(text[: len(text) - len(text.lstrip())].encode())
            return (first, line_end) if line_end > first else (line_start, line_start + 1)
        return start, end

    def message_at(self, position: int) -> str | None:
        line = self.editor.lineFromPosition(position)
        messages = [p.message for p in self.problems if p.line == line]
        return "\n".join(messages) or None

    def _hover(self, x: int, y: int) -> None:
        position = self.editor.positionFromPointClose(x, y)
        if position < 0:
            return
        on_squiggle = any(self.editor.indicatorValueAt(i, position) for i in (INDIC_ERROR, INDIC_WARNING))
        message = self.message_at(position) if on_squiggle else None
        if message:
            self._hovering = True
            self.editor.callTipShow(position, message)

    def summary(self) -> str:
        if not self.problems:
            return ""
        first = self.problems[0]
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        return f"{count} {noun} — line {first.line + 1}: {first.message}"
