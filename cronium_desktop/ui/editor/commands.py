"""Editing commands on a ScintillaEdit: comment toggle, duplicate and move lines, go to line,
auto-indent after `:` and `{`, brace matching. Each is one undo step."""

from __future__ import annotations

from pyside6_scintilla import ScintillaEdit

COMMENT = {"PYTHON": "#", "BASH": "#", "NODEJS": "//"}
BRACES = "()[]{}"
INDIC_BRACE = 9


def _line_text(editor: ScintillaEdit, line: int) -> str:
    return bytes(editor.getLine(line).data()).decode("utf-8", errors="replace").rstrip("\r\n")


def _selected_lines(editor: ScintillaEdit) -> range:
    start, end = editor.selectionStart(), editor.selectionEnd()
    first, last = editor.lineFromPosition(start), editor.lineFromPosition(end)
    if last > first and end == editor.positionFromLine(last):  # a selection ending at column 0 stops above
        last -= 1
    return range(first, last + 1)


def toggle_comment(editor: ScintillaEdit, language: str) -> None:
    """Comment the selected lines out, or back in when every non-blank one is commented."""
    marker = COMMENT.get(language, "#")
    lines = _selected_lines(editor)
    texts = {line: _line_text(editor, line) for line in lines}
    filled = [line for line in lines if texts[line].strip()]
    if not filled:
        return
    uncomment = all(texts[line].lstrip().startswith(marker) for line in filled)
    indent = min(len(texts[line]) - len(texts[line].lstrip()) for line in filled)
    editor.beginUndoAction()
    try:
        for line in reversed(filled):
            text = texts[line]
            start = editor.positionFromLine(line)
            if uncomment:
                column = len(text) - len(text.lstrip())
                width = len(marker) + (1 if text.lstrip()[len(marker):].startswith(" ") else 0)
                begin = start + len(text[:column].encode())
                editor.deleteRange(begin, width)
            else:
                editor.insertText(start + len(text[:indent].encode()), marker + " ")
    finally:
        editor.endUndoAction()
    first, last = lines[0], lines[-1]
    editor.setSel(editor.positionFromLine(first), editor.lineEndPosition(last))


def duplicate_line(editor: ScintillaEdit) -> None:
    if editor.selectionEmpty():
        editor.lineDuplicate()
    else:
        editor.selectionDuplicate()


def move_lines(editor: ScintillaEdit, down: bool) -> None:
    if down:
        editor.moveSelectedLinesDown()
    else:
        editor.moveSelectedLinesUp()


def go_to_line(editor: ScintillaEdit, line: int) -> None:
    """Line numbers as people say them (1 = first); out of range goes to the nearest end."""
    line = max(1, min(line, editor.lineCount()))
    editor.gotoLine(line - 1)
    editor.setFirstVisibleLine(max(0, line - 1 - editor.linesOnScreen() // 3))


def auto_indent(editor: ScintillaEdit, character: int) -> None:
    """After Enter: keep the line above's indent, one level more after a `:` (Python) or `{`/`(`/`[`."""
    if character not in (10, 13):
        return
    line = editor.lineFromPosition(editor.currentPos())
    if line == 0:
        return
    above = _line_text(editor, line - 1)
    indent = len(above) - len(above.lstrip(" \t"))
    stripped = above.rstrip()
    if stripped.endswith((":", "{", "(", "[")) or stripped.endswith((" then", " do")) or stripped in ("then", "do"):
        indent += editor.indent()
    if _line_text(editor, line).strip():
        # Enter in the middle of a line: keep what follows at the same indent as computed
        current = _line_text(editor, line)
        already = len(current) - len(current.lstrip(" \t"))
        indent = max(indent, already)
    editor.setLineIndentation(line, indent)
    editor.gotoPos(editor.lineIndentPosition(line))


def match_braces(editor: ScintillaEdit) -> None:
    """Highlight the brace at (or before) the caret and its partner; a lone one as bad."""
    position = editor.currentPos()
    for candidate in (position, position - 1):
        if 0 <= candidate < editor.length() and chr(editor.charAt(candidate) & 0xFF) in BRACES:
            partner = editor.braceMatch(candidate, 0)
            if partner < 0:
                editor.braceBadLight(candidate)
            else:
                editor.braceHighlight(candidate, partner)
            return
    editor.braceHighlight(-1, -1)
