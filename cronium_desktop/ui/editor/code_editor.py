"""The script editor: Scintilla with highlighting, completion, checks as you type, find/replace,
the usual editing commands (all in its context menu) and zoom kept in Settings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lexilla import Language, create_lexer
from lexilla.pyside6_scintilla import set_lexer
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import QFontDialog, QInputDialog, QLabel, QMenu, QVBoxLayout, QWidget
from pyside6_scintilla import ScintillaEdit

from cronium_desktop.ui import theme as app_theme
from cronium_desktop.ui.editor import commands
from cronium_desktop.ui.editor.completer import Completer
from cronium_desktop.ui.editor.completion import Context
from cronium_desktop.ui.editor.diagnostics import Diagnostics
from cronium_desktop.ui.editor.find_bar import FindBar
from cronium_desktop.ui.editor.helpers import KEYWORDS
from cronium_desktop.ui.editor.palettes import PALETTES, bgr
from cronium_desktop.ui.editor.templates import TEMPLATES

__all__ = ["TEMPLATES", "CodeEditor", "KEYWORDS"]

LANGUAGES = {"PYTHON": Language.PYTHON, "BASH": Language.BASH, "NODEJS": Language.CPP}
# Style numbers per lexer → role (Scintilla's SCE_P_*, SCE_SH_*, SCE_C_* constants).
ROLES = {
    "PYTHON": {1: "comment", 12: "comment", 2: "number", 3: "string", 4: "string", 6: "string", 7: "string",
               5: "keyword", 8: "name", 9: "name", 10: "operator", 15: "name", 16: "string", 17: "string"},
    "BASH": {2: "comment", 3: "number", 4: "keyword", 5: "string", 6: "string", 7: "operator", 9: "name",
             10: "name", 11: "string", 12: "string", 13: "string"},
    "NODEJS": {1: "comment", 2: "comment", 3: "comment", 4: "number", 5: "keyword", 6: "string", 7: "string",
               10: "operator", 12: "string", 16: "keyword", 20: "string"},
}
MARKER_LINE = 3  # the line a traceback link opened at
STYLE_DEFAULT, STYLE_LINE_NUMBER, STYLE_BRACE, STYLE_BAD_BRACE = 32, 33, 34, 35
TEXT_CHANGES = 0x1 | 0x2  # SC_MOD_INSERTTEXT | SC_MOD_DELETETEXT
_SETTINGS_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="editor-settings")


class CodeEditor(QWidget):
    textChanged = Signal()
    problemsChanged = Signal(list)
    runDraftRequested = Signal()  # F5: whoever holds a draft pane runs the text

    def __init__(self, parent: QWidget | None = None, theme: str = "light", settings: Any = None) -> None:
        super().__init__(parent)
        self.editor = ScintillaEdit(self)
        self.find_bar = FindBar(self.editor, self)
        self.status = QLabel(self)
        self.status.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.status)
        self._language = "BASH"
        self._settings = settings
        prefs = dict(settings.get("editor") or {}) if settings is not None else {}
        self._prefs = {"font": "", "size": 0, "zoom": 0, "high_contrast": False, **prefs}
        self._theme = "high-contrast" if self._prefs["high_contrast"] else theme
        editor = self.editor
        editor.setModEventMask(TEXT_CHANGES)
        editor.setMultipleSelection(True)
        editor.setAdditionalSelectionTyping(True)
        editor.setMultiPaste(1)  # SC_MULTIPASTE_EACH
        editor.setZoom(int(self._prefs["zoom"]))
        editor.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        editor.customContextMenuRequested.connect(lambda point: self.context_menu().exec(editor.mapToGlobal(point)))
        self.completer = Completer(self)
        self.diagnostics = Diagnostics(self)
        self.diagnostics.changed.connect(self._problems_changed)
        editor.modified.connect(self._modified)
        editor.charAdded.connect(lambda character: commands.auto_indent(editor, character))
        editor.updateUi.connect(lambda *args: commands.match_braces(editor))
        editor.zoom.connect(self._zoomed)  # type: ignore[attr-defined]  # the zoom signal; the stubs know only the zoom() getter
        self.actions_by_name: dict[str, QAction] = {}
        self._make_actions()
        self.set_language("BASH")

    # -- look ------------------------------------------------------------------------------------------

    def set_theme(self, theme: str) -> None:
        self._theme = "high-contrast" if self._prefs["high_contrast"] else theme
        self.set_language(self._language)

    def theme(self) -> str:
        return self._theme

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Follow the app when it switches between light and dark."""
        if event.type() == QEvent.Type.PaletteChange and not self._prefs["high_contrast"]:
            if app_theme.current() != self._theme:
                self.set_theme(app_theme.current())
        super().changeEvent(event)

    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> None:
        self._language = language if language in LANGUAGES else "BASH"
        editor, colours = self.editor, PALETTES[self._theme]
        set_lexer(editor, create_lexer(LANGUAGES[self._language]))
        editor.setKeyWords(0, KEYWORDS[self._language])
        family, size = self.font_choice()
        editor.styleSetFont(STYLE_DEFAULT, family)
        editor.styleSetSize(STYLE_DEFAULT, size)
        editor.styleSetFore(STYLE_DEFAULT, bgr(colours["text"]))
        editor.styleSetBack(STYLE_DEFAULT, bgr(colours["background"]))
        editor.styleClearAll()
        for style, role in ROLES[self._language].items():
            editor.styleSetFore(style, bgr(colours[role]))
            if role == "keyword":
                editor.styleSetBold(style, True)
        editor.styleSetBack(STYLE_LINE_NUMBER, bgr(colours["margin"]))
        editor.styleSetFore(STYLE_LINE_NUMBER, bgr(colours["margin_text"]))
        editor.styleSetFore(STYLE_BRACE, bgr(colours["brace"]))
        editor.styleSetBold(STYLE_BRACE, True)
        editor.styleSetFore(STYLE_BAD_BRACE, bgr(colours["error"]))
        editor.setMarginTypeN(0, 1)
        editor.setMarginWidthN(0, 44)
        editor.setMarginBackN(1, bgr(colours["margin"]))
        editor.setIndentationGuides(3)  # SC_IV_LOOKBOTH
        editor.setTabWidth(4)
        editor.setUseTabs(False)
        editor.setIndent(4 if self._language == "PYTHON" else 2)
        editor.setCaretFore(bgr(colours["text"]))
        editor.setCaretLineVisible(True)
        editor.setCaretLineBack(bgr(colours["caret_line"]))
        editor.setSelBack(True, bgr(colours["selection"]))
        editor.callTipSetBack(bgr(colours["margin"]))
        editor.callTipSetFore(bgr(colours["text"]))
        editor.markerDefine(MARKER_LINE, 22)  # SC_MARK_BACKGROUND: the whole line tinted
        editor.markerSetBack(MARKER_LINE, bgr(colours["mark"]))
        editor.setScrollWidth(1)
        editor.setScrollWidthTracking(True)
        self.diagnostics.apply_palette(self._theme)
        self.diagnostics.schedule()

    # -- text ------------------------------------------------------------------------------------------

    def text(self) -> str:
        return bytes(self.editor.getText(self.editor.length() + 1).data()).rstrip(b"\0").decode("utf-8", errors="replace")

    def set_text(self, text: str) -> None:
        self.editor.setText(text)
        self.editor.emptyUndoBuffer()

    def set_context(self, env_names: list[str] | None = None, variable_keys: list[str] | None = None,
                    python: str | None = None) -> None:
        """What completion offers beyond the text: env names, variable keys, the event's interpreter."""
        context = self.completer.context
        self.completer.context = Context(
            env_names if env_names is not None else context.env_names,
            variable_keys if variable_keys is not None else context.variable_keys,
            python if python is not None else context.python,
        )

    def _modified(self, kind: int, *args: Any) -> None:
        if kind & TEXT_CHANGES:
            self.completer.invalidate()
            self.diagnostics.schedule()
            self.textChanged.emit()

    def _problems_changed(self, problems: list[Any]) -> None:
        self.status.setText(self.diagnostics.summary())
        self.problemsChanged.emit(problems)

    def problem_count(self) -> int:
        return len(self.diagnostics.problems)

    def go_to_line(self, line: int, mark: bool = False) -> None:
        """Move to a line (1 = first); `mark` tints it, as when a traceback link opened it."""
        commands.go_to_line(self.editor, line)
        self.editor.markerDeleteAll(MARKER_LINE)
        if mark:
            self.editor.markerAdd(self.editor.lineFromPosition(self.editor.currentPos()), MARKER_LINE)
        QWidget.setFocus(self.editor)

    def ask_line(self) -> None:
        current = self.editor.lineFromPosition(self.editor.currentPos()) + 1
        line, ok = QInputDialog.getInt(self, "Go to line", f"Line (1–{self.editor.lineCount()}):", current,
                                       1, self.editor.lineCount())
        if ok:
            self.go_to_line(line)

    # -- commands --------------------------------------------------------------------------------------

    def _make_actions(self) -> None:
        editor = self.editor
        table = [
            ("complete", "Complete", "Ctrl+Space", lambda: self.completer.request(explicit=True)),
            ("find", "Find…", "Ctrl+F", lambda: self.find_bar.open(replace=False)),
            ("replace", "Replace…", "Ctrl+H", lambda: self.find_bar.open(replace=True)),
            ("goto", "Go to line…", "Ctrl+G", self.ask_line),
            ("comment", "Toggle comment", "Ctrl+/", lambda: commands.toggle_comment(editor, self._language)),
            ("duplicate", "Duplicate line", "Ctrl+Shift+D", lambda: commands.duplicate_line(editor)),
            ("move_up", "Move line up", "Alt+Up", lambda: commands.move_lines(editor, down=False)),
            ("move_down", "Move line down", "Alt+Down", lambda: commands.move_lines(editor, down=True)),
            ("next_occurrence", "Add cursor at next occurrence", "Ctrl+D", self._add_next_occurrence),
            ("zoom_in", "Zoom in", "Ctrl++", lambda: self.set_zoom(editor.zoom() + 1)),
            ("zoom_out", "Zoom out", "Ctrl+-", lambda: self.set_zoom(editor.zoom() - 1)),
            ("zoom_reset", "Reset zoom", "Ctrl+0", lambda: self.set_zoom(0)),
            ("font", "Font…", "", self.ask_font),
            ("run_draft", "Run draft", "F5", self.runDraftRequested.emit),
        ]
        for name, title, keys, slot in table:
            action = QAction(title, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions_by_name[name] = action
        self.actions_by_name["zoom_in"].setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
        contrast = QAction("High-contrast colours", self, checkable=True, checked=bool(self._prefs["high_contrast"]))
        contrast.toggled.connect(self.set_high_contrast)
        self.actions_by_name["high_contrast"] = contrast

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        for name in ("undo", "redo"):
            action = menu.addAction(name.title(), getattr(self.editor, name))
            action.setShortcut(QKeySequence.StandardKey.Undo if name == "undo" else QKeySequence.StandardKey.Redo)
        menu.addSeparator()
        for names in (("run_draft", "complete"), ("find", "replace", "goto"),
                      ("comment", "duplicate", "move_up", "move_down", "next_occurrence"),
                      ("zoom_in", "zoom_out", "zoom_reset", "font", "high_contrast")):
            for name in names:
                menu.addAction(self.actions_by_name[name])
            menu.addSeparator()
        hint = menu.addAction("Ctrl+click or Alt+drag: more cursors")
        hint.setEnabled(False)
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt's name
        self.context_menu().exec(event.globalPos())

    def _add_next_occurrence(self) -> None:
        editor = self.editor
        editor.targetWholeDocument()
        editor.setSearchFlags(0x4)  # SCFIND_MATCHCASE
        if editor.selectionEmpty():
            editor.setSel(editor.wordStartPosition(editor.currentPos(), True),
                          editor.wordEndPosition(editor.currentPos(), True))
        else:
            editor.multipleSelectAddNext()

    # -- zoom and font, kept in Settings -----------------------------------------------------------------

    def set_zoom(self, zoom: int) -> None:
        self.editor.setZoom(max(-10, min(20, zoom)))

    def _zoomed(self, *args: Any) -> None:
        self._save_prefs(zoom=self.editor.zoom())

    def font_choice(self) -> tuple[str, int]:
        """The family and point size the script is shown in (Settings' choice, else the system's fixed font)."""
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        return str(self._prefs["font"] or fixed.family()), int(self._prefs["size"]) or max(10, fixed.pointSize())

    def ask_font(self) -> None:
        family, size = self.font_choice()
        accepted, chosen = QFontDialog.getFont(QFont(family, size), self, "Editor font",
                                               QFontDialog.FontDialogOption.MonospacedFonts)
        if accepted:
            self.set_font(chosen.family(), chosen.pointSize())

    def set_font(self, family: str, size: int) -> None:
        """Show scripts in this font from now on, in this editor and every one opened later."""
        self._save_prefs(font=family, size=max(6, min(72, size)))
        self.set_language(self._language)

    def set_high_contrast(self, on: bool) -> None:
        self._save_prefs(high_contrast=on)
        self.set_theme(app_theme.current() if not on else "high-contrast")

    def _save_prefs(self, **changes: Any) -> None:
        self._prefs.update(changes)
        if self._settings is not None:
            settings, prefs = self._settings, dict(self._prefs)
            _SETTINGS_WRITER.submit(settings.set, "editor", prefs)  # a store write: not on the GUI thread
