"""The script editor: Scintilla with per-language highlighting, line numbers and indent guides."""

from __future__ import annotations

from lexilla import Language, create_lexer
from lexilla.pyside6_scintilla import set_lexer
from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pyside6_scintilla import ScintillaEdit

KEYWORDS = {
    "PYTHON": ("and as assert async await break class continue def del elif else except finally for from global if "
               "import in is lambda nonlocal not or pass raise return try while with yield True False None"),
    "BASH": ("if then else elif fi case esac for while until do done in function select time return exit export "
             "local readonly source echo printf set unset shift trap cd"),
    "NODEJS": ("async await break case catch class const continue debugger default delete do else export extends "
               "finally for function if import in instanceof let new return super switch this throw try typeof var "
               "void while with yield true false null undefined require"),
}
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
PALETTES = {  # role → 0xRRGGBB
    "light": {"background": 0xFFFFFF, "text": 0x24292F, "comment": 0x6E7781, "number": 0x0550AE, "string": 0x0A3069,
              "keyword": 0xCF222E, "name": 0x8250DF, "operator": 0x24292F, "margin": 0xF3F4F6, "margin_text": 0x8C959F,
              "caret_line": 0xF6F8FA, "selection": 0xB6D7FF},
    "dark": {"background": 0x1E1F22, "text": 0xD4D4D4, "comment": 0x7F8C98, "number": 0xB5CEA8, "string": 0xCE9178,
             "keyword": 0x569CD6, "name": 0xDCDCAA, "operator": 0xD4D4D4, "margin": 0x25262A, "margin_text": 0x6E7681,
             "caret_line": 0x2A2B2F, "selection": 0x264F78},
}

TEMPLATES = {
    "PYTHON": {
        "Hello": 'import cronium\n\ndata = cronium.input()\nprint("Hello from", cronium.event()["name"])\ncronium.output({"ok": True})\n',
        "Counter variable": ('import cronium\n\ncount = int(cronium.getVariable("run_count") or 0) + 1\n'
                             'cronium.setVariable("run_count", str(count))\nprint(f"Run number {count}")\n'),
        "Branch on a condition": ('import cronium\n\nrows = cronium.input().get("rows", 0)\n'
                                  'cronium.setCondition(rows > 100)\ncronium.output({"rows": rows})\n'),
    },
    "BASH": {
        "Hello": 'source cronium.sh\n\necho "Hello from $(cronium_event)"\ncronium_output \'{"ok": true}\'\n',
        "Disk usage alert": ('source cronium.sh\n\nused=$(df --output=pcent / | tail -1 | tr -dc 0-9)\n'
                             'echo "Root filesystem is ${used}% full"\n[ "$used" -gt 90 ] && cronium_setCondition true\n'
                             'cronium_output "{\\"used\\": $used}"\n'),
        "Backup a folder": 'set -euo pipefail\n\ntar -czf "/tmp/backup-$(date +%F).tar.gz" "$HOME/Documents"\necho "backup written"\n',
    },
    "NODEJS": {
        "Hello": ('const cronium = require("cronium");\n\n(async () => {\n  const input = await cronium.input();\n'
                  '  console.log("Hello", input);\n  await cronium.output({ ok: true });\n})();\n'),
        "Fetch JSON": ('const cronium = require("cronium");\n\n(async () => {\n  const response = await fetch("https://example.com/api");\n'
                       '  await cronium.output({ status: response.status });\n})();\n'),
    },
}


def bgr(rgb: int) -> int:
    """Scintilla colours are 0xBBGGRR."""
    return ((rgb & 0xFF) << 16) | (rgb & 0xFF00) | ((rgb >> 16) & 0xFF)


class CodeEditor(QWidget):
    textChanged = Signal()

    def __init__(self, parent: QWidget | None = None, theme: str = "light") -> None:
        super().__init__(parent)
        self.editor = ScintillaEdit(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        self._language = "BASH"
        self._theme = theme
        self.editor.modified.connect(lambda *args: self.textChanged.emit())
        self.set_language("BASH")

    def set_theme(self, theme: str) -> None:
        self._theme = theme
        self.set_language(self._language)

    def set_language(self, language: str) -> None:
        self._language = language if language in LANGUAGES else "BASH"
        editor, colours = self.editor, PALETTES[self._theme]
        set_lexer(editor, create_lexer(LANGUAGES[self._language]))
        editor.setKeyWords(0, KEYWORDS[self._language])
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        editor.styleSetFont(32, font.family())
        editor.styleSetSize(32, max(10, font.pointSize()))
        editor.styleSetFore(32, bgr(colours["text"]))
        editor.styleSetBack(32, bgr(colours["background"]))
        editor.styleClearAll()
        for style, role in ROLES[self._language].items():
            editor.styleSetFore(style, bgr(colours[role]))
            if role == "keyword":
                editor.styleSetBold(style, True)
        editor.styleSetBack(33, bgr(colours["margin"]))
        editor.styleSetFore(33, bgr(colours["margin_text"]))
        editor.setMarginTypeN(0, 1)
        editor.setMarginWidthN(0, 44)
        editor.setMarginWidthN(1, 6)
        editor.setIndentationGuides(3)  # SC_IV_LOOKBOTH
        editor.setTabWidth(4)
        editor.setUseTabs(False)
        editor.setIndent(4 if self._language == "PYTHON" else 2)
        editor.setCaretFore(bgr(colours["text"]))
        editor.setCaretLineVisible(True)
        editor.setCaretLineBack(bgr(colours["caret_line"]))
        editor.setSelBack(True, bgr(colours["selection"]))
        editor.setScrollWidth(1)
        editor.setScrollWidthTracking(True)
        editor.colourise(0, -1)

    def text(self) -> str:
        return bytes(self.editor.getText(self.editor.length() + 1)).rstrip(b"\0").decode("utf-8", errors="replace")

    def set_text(self, text: str) -> None:
        self.editor.setText(text)
        self.editor.colourise(0, -1)
