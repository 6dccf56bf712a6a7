"""Completion in the editor: asks `completion.complete` in a worker thread after a short pause in
typing (or at once on Ctrl+Space), shows the popup and the signature tip of the newest answer only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt, QTimer
from PySide6.QtWidgets import QLabel

from cronium_desktop.ui.editor.background import LatestOnly
from cronium_desktop.ui.editor.completion import Context, Request, Result, complete

if TYPE_CHECKING:
    from cronium_desktop.ui.editor.code_editor import CodeEditor

TYPING_PAUSE_MS = 120
TRIGGERS = set("._$\"'{ ")  # besides letters and digits
TIP_WIDTH = 90  # characters per line of a signature tip


def wrap_signature(signature: str) -> str:
    """Long signatures (json.dumps has eleven parameters) broken after commas, not off screen."""
    lines: list[str] = []
    for raw in signature.split("\n"):
        line = ""
        for part in raw.split(", "):
            candidate = f"{line}, {part}" if line else part
            if len(candidate) > TIP_WIDTH and line:
                lines.append(line + ",")
                line = "    " + part
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


class Completer(QObject):
    def __init__(self, owner: CodeEditor) -> None:
        super().__init__(owner)
        self.owner = owner
        self.editor = owner.editor
        self.context = Context()
        self.worker = LatestOnly("completion", self)
        self.worker.done.connect(self._show)
        self._timer = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._timer.timeout.connect(lambda: self.request(explicit=False))
        self._asked_at = -1  # caret position of the request in flight
        self._explicit = self._tip_only = False  # how the request in flight was asked for
        self.last: Result | None = None  # what the popup shows (for tests and benchmarks)
        self.signature_shown: str | None = None
        editor = self.editor
        editor.autoCSetIgnoreCase(True)
        editor.autoCSetOrder(1)  # SC_ORDER_PERFORMSORT: Scintilla sorts, so the list may come in any order
        editor.autoCSetMaxHeight(10)
        editor.autoCSetSeparator(ord("\n"))
        editor.charAdded.connect(self._typed)
        # Scintilla shows its call tip or its list, not both: beside the list the tip is a label.
        self._tip = QLabel(owner, Qt.WindowType.ToolTip)
        self._tip.setObjectName("signatureTip")
        self._tip.setMargin(4)
        self._tip.setStyleSheet("border: 1px solid palette(mid);")
        editor.autoCompleteCancelled.connect(self.hide_tip)
        editor.autoCompleteSelection.connect(lambda *args: self.hide_tip())
        editor.focusChanged.connect(lambda focused: None if focused else self.hide_tip())

    def _typed(self, character: int) -> None:
        text = chr(character) if 0 < character < 0x110000 else ""
        if text.isalnum() or text in TRIGGERS:
            self._timer.start()
        elif text in "(),":
            self.request(explicit=False, tip_only=True)
        else:
            self.worker.invalidate()

    def request(self, explicit: bool = True, tip_only: bool = False) -> int:
        """Ask for completions at the caret; returns the request's generation."""
        editor = self.editor
        position = editor.currentPos()
        line = editor.lineFromPosition(position)
        start = editor.positionFromLine(line)
        column = len(bytes(editor.textRange(start, position).data()).decode("utf-8", errors="replace"))
        request = Request(self.owner.language(), self.owner.text(), line, column, self.context)
        self._asked_at = position
        self._explicit, self._tip_only = explicit, tip_only
        request.generation = self.worker.submit(lambda: complete(request))
        return request.generation

    def invalidate(self) -> None:
        """The text moved on: a result for the old text must not show."""
        self.worker.invalidate()
        if self._tip.isVisible() and not self.editor.autoCActive():
            self.hide_tip()

    def _show(self, generation: int, result: Result) -> None:
        editor = self.editor
        if editor.currentPos() != self._asked_at:
            return  # the caret moved while the answer was computed
        self.last = result
        items = result.items
        at_call = self._before(1) in ("(", ",", " ") and not result.prefix
        popup = bool(items) and not self._tip_only and not (result.signature and at_call) and (
            bool(result.prefix) or self._explicit or self._after_trigger())
        if not popup and editor.autoCActive():
            editor.autoCCancel()
        if popup:
            editor.autoCShow(len(result.prefix.encode()), "\n".join(items))
        self._show_signature(result.signature, beside_popup=popup)

    def _show_signature(self, signature: str | None, beside_popup: bool) -> None:
        """Scintilla shows one of its call tip and its list at a time: beside the list, a Qt tip."""
        editor = self.editor
        self.signature_shown = signature
        if not signature:
            if editor.callTipActive():
                editor.callTipCancel()
            self.hide_tip()
            return
        if not beside_popup:
            editor.callTipShow(self._asked_at, signature)
            return
        tip = self._tip
        tip.setText(wrap_signature(signature))
        tip.adjustSize()
        x = editor.pointXFromPosition(self._asked_at)
        y = editor.pointYFromPosition(self._asked_at) - tip.height() - 2  # above the line, the list is below
        x = max(0, min(x - 40, editor.width() - tip.width() - 4))  # kept over the editor
        tip.move(editor.mapToGlobal(QPoint(x, max(0, y))))
        tip.show()

    def hide_tip(self) -> None:
        self._tip.hide()

    def _before(self, count: int) -> str:
        position = self.editor.currentPos()
        return bytes(self.editor.textRange(max(0, position - count), position).data()).decode("utf-8", errors="replace")

    def _after_trigger(self) -> bool:
        """Without a prefix the popup opens only right after `.`, `$`, a quote or `{{ `."""
        before = self._before(3)
        return bool(before) and (before[-1] in ".$\"'[" or before.endswith("{{ ") or before.endswith("{{"))
