"""The script editor on the real Scintilla widget: completion, checks as you type, find/replace,
go to line, comment toggling."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QWidget

from cronium_desktop.ui.editor.code_editor import CodeEditor
from cronium_desktop.ui.editor.completion import Result
from tests.ui.conftest import wait_until


@pytest.fixture
def code(qtbot: Any, loop: Any) -> CodeEditor:
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.resize(800, 500)
    editor.show()
    editor.set_context(env_names=["API_TOKEN", "REGION"], variable_keys=["run_count", "last_region"])
    return editor


def type_at_end(code: CodeEditor, language: str, text: str) -> None:
    code.set_language(language)
    code.set_text(text)
    code.editor.documentEnd()


def offered(code: CodeEditor, loop: Any) -> list[str]:
    """Ask as Ctrl+Space does and wait for the popup."""
    code.completer.last = None
    code.completer.request(explicit=True)
    wait_until(loop, lambda: code.completer.last is not None, timeout=60)
    assert code.completer.last is not None
    return code.completer.last.items


def test_python_cronium_dot_offers_the_helpers(code: CodeEditor, loop: Any) -> None:
    type_at_end(code, "PYTHON", "data = cronium.")
    items = offered(code, loop)
    assert {"input", "output", "getVariable", "setVariable", "setCondition", "event", "sendEmail"} <= set(items)
    assert code.editor.autoCActive()


def test_python_module_attributes_come_from_jedi(code: CodeEditor, loop: Any) -> None:
    type_at_end(code, "PYTHON", "import json; json.")
    assert "dumps" in offered(code, loop)


def test_python_call_shows_its_signature(code: CodeEditor, loop: Any) -> None:
    type_at_end(code, "PYTHON", "cronium.setVariable(")
    offered(code, loop)
    assert code.editor.callTipActive()
    assert "setVariable(key" in (code.completer.signature_shown or "")
    type_at_end(code, "PYTHON", "import json\njson.dumps({}, indent=2, sort_k")
    assert offered(code, loop) == ["sort_keys="]
    assert "dumps(obj" in (code.completer.signature_shown or "")  # beside the popup, for any call


def test_env_names_offered_inside_os_environ(code: CodeEditor, loop: Any) -> None:
    type_at_end(code, "PYTHON", 'import os\ntoken = os.environ["')
    assert offered(code, loop) == ["API_TOKEN", "REGION"]


def test_template_variables_offer_stored_keys(code: CodeEditor, loop: Any) -> None:
    type_at_end(code, "BASH", 'echo "{{ variables.')
    assert offered(code, loop) == ["last_region", "run_count"]


def test_node_and_bash_offer_their_helpers(code: CodeEditor, loop: Any) -> None:
    type_at_end(code, "NODEJS", "const value = await cronium.")
    assert {"getVariable", "output", "executeToolAction"} <= set(offered(code, loop))
    type_at_end(code, "BASH", "cronium_")
    assert set(offered(code, loop)) == {"cronium_input", "cronium_output", "cronium_getVariable",
                                        "cronium_setVariable", "cronium_setCondition", "cronium_event"}


def test_typing_opens_completion_after_a_pause(code: CodeEditor, loop: Any, qtbot: Any) -> None:
    type_at_end(code, "NODEJS", "const x = 1;\n")
    QWidget.setFocus(code.editor)
    qtbot.keyClicks(code.editor, "cronium.get")
    wait_until(loop, lambda: code.editor.autoCActive(), timeout=30)
    assert code.completer.last is not None and code.completer.last.items == ["getVariable"]


def test_a_stale_completion_result_never_replaces_a_newer_one(code: CodeEditor, loop: Any) -> None:
    type_at_end(code, "PYTHON", "cronium.")
    worker = code.completer.worker
    old = worker.invalidate()
    new = worker.invalidate()
    newer = Result(["newest"], "", None, new)
    older = Result(["stale"], "", None, old)
    code.completer._explicit, code.completer._tip_only = True, False
    code.completer._asked_at = code.editor.currentPos()
    assert worker.accept(new, newer)
    assert not worker.accept(old, older)  # arrives late: dropped
    assert code.completer.last is newer
    # And through the worker thread: two requests, only the second one's answer shows.
    first = code.completer.request()
    code.editor.insertText(code.editor.currentPos(), "get")
    code.editor.documentEnd()
    second = code.completer.request()
    assert second > first
    wait_until(loop, lambda: code.completer.last is not None and code.completer.last.generation == second, timeout=60)
    assert set(code.completer.last.items) == {"getVariable", "get_variable"}


@pytest.mark.parametrize(("language", "broken", "line", "fixed"), [
    ("PYTHON", "import os\nprint(os.name)\nif True\n    pass\n", 3, "import os\nprint(os.name)\nif True:\n    pass\n"),
    ("BASH", "echo start\nif true; then\n  echo ok\nfi fi\n", 4, "echo start\nif true; then\n  echo ok\nfi\n"),
    ("NODEJS", "const a = 1;\nconsole.log(a);\nconst a = 2;\n", 3, "const a = 1;\nconsole.log(a);\nconst b = 2;\n"),
])
def test_syntax_errors_are_marked_on_their_line_and_cleared_when_fixed(
    code: CodeEditor, loop: Any, language: str, broken: str, line: int, fixed: str
) -> None:
    code.set_language(language)
    code.set_text(broken)
    wait_until(loop, lambda: code.problem_count() > 0, timeout=10)
    problem = code.diagnostics.problems[0]
    assert problem.line + 1 == line
    assert code.editor.markerGet(line - 1) & (1 << 1)  # the margin marker
    start = code.editor.positionFromLine(line - 1)
    end = code.editor.lineEndPosition(line - 1)
    assert any(code.editor.indicatorValueAt(10, position) for position in range(start, end))  # the squiggle
    assert f"line {line}" in code.status.text()
    assert problem.message in (code.diagnostics.message_at(start) or "")
    code.set_text(fixed)
    wait_until(loop, lambda: code.problem_count() == 0, timeout=10)
    assert code.status.text() == ""
    assert not code.editor.markerGet(line - 1) & (1 << 1)


def test_python_undefined_names_are_problems_but_cronium_is_not(code: CodeEditor, loop: Any) -> None:
    code.set_language("PYTHON")
    code.set_text("cronium.output({})\nprint(totl)\n")
    wait_until(loop, lambda: code.problem_count() == 1, timeout=10)
    assert code.diagnostics.problems[0].line == 1
    assert "totl" in code.diagnostics.problems[0].message


def test_find_and_replace_with_a_regex_is_one_undo_step(code: CodeEditor, qtbot: Any) -> None:
    code.set_language("PYTHON")
    code.set_text("x1 = 1\nx2 = 2\ny = x1 + x2\n")
    qtbot.keyClick(code.editor, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    bar = code.find_bar
    assert bar.isVisible() and bar.replace_text.isVisible()
    bar.regex.setChecked(True)
    bar.find_text.setText(r"x(\d)")
    bar.replace_text.setText(r"item_\1")
    assert bar.replace_all() == 4
    assert code.text() == "item_1 = 1\nitem_2 = 2\ny = item_1 + item_2\n"
    code.editor.undo()
    assert code.text() == "x1 = 1\nx2 = 2\ny = x1 + x2\n"


def test_find_moves_to_each_match_with_match_case_and_whole_word(code: CodeEditor, qtbot: Any) -> None:
    code.set_language("BASH")
    code.set_text("echo Name\necho name\necho names\n")
    code.editor.gotoPos(0)
    qtbot.keyClick(code.editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = code.find_bar
    assert bar.isVisible() and not bar.replace_text.isVisible()
    bar.case.setChecked(True)
    bar.word.setChecked(True)
    bar.find_text.setText("name")
    start, _end = bar.find(True) or (None, None)
    assert start == code.editor.positionFromLine(1) + 5
    assert bar.find(True) == (start, start + 4)  # the only whole-word, same-case match: it wraps to itself


def test_go_to_line(code: CodeEditor) -> None:
    code.set_text("\n".join(f"echo {n}" for n in range(1, 301)))
    code.go_to_line(120, mark=True)
    assert code.editor.lineFromPosition(code.editor.currentPos()) == 119
    assert code.editor.markerGet(119) & (1 << 3)


@pytest.mark.parametrize(("language", "marker"), [("PYTHON", "#"), ("BASH", "#"), ("NODEJS", "//")])
def test_toggle_comment_over_a_selection(code: CodeEditor, qtbot: Any, language: str, marker: str) -> None:
    code.set_language(language)
    code.set_text("first\n  second\n  third\nlast\n")
    code.editor.setSel(code.editor.positionFromLine(1), code.editor.positionFromLine(3))
    qtbot.keyClick(code.editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert code.text() == f"first\n  {marker} second\n  {marker} third\nlast\n"
    code.actions_by_name["comment"].trigger()
    assert code.text() == "first\n  second\n  third\nlast\n"


def test_context_menu_lists_the_editing_commands_with_shortcuts(code: CodeEditor) -> None:
    menu = code.context_menu()
    listed = {action.text(): action.shortcut().toString() for action in menu.actions()}
    for title, keys in (("Find…", "Ctrl+F"), ("Replace…", "Ctrl+H"), ("Go to line…", "Ctrl+G"),
                        ("Toggle comment", "Ctrl+/"), ("Duplicate line", "Ctrl+Shift+D"),
                        ("Move line up", "Alt+Up"), ("Zoom in", "Ctrl++"), ("Reset zoom", "Ctrl+0")):
        assert listed.get(title) == keys, title


def test_enter_after_a_colon_indents(code: CodeEditor, qtbot: Any) -> None:
    code.set_language("PYTHON")
    code.set_text("for row in rows:")
    code.editor.documentEnd()
    qtbot.keyClick(code.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(code.editor, "print(row)")
    assert code.text() == "for row in rows:\n    print(row)"


def store_settings(folder: Any) -> Any:
    """Settings of a real store in `folder`, where the editor keeps its zoom and font."""
    from cronium_desktop.engine.settings import Settings
    from cronium_desktop.engine.store.db import Database

    database = Database(folder)
    database.migrate()
    return Settings(database)


def test_zoom_is_kept_in_settings_for_the_next_editor(qtbot: Any, loop: Any, tmp_path: Any) -> None:
    settings = store_settings(tmp_path)
    first = CodeEditor(settings=settings)
    qtbot.addWidget(first)
    first.show()
    QWidget.setFocus(first.editor)
    first.actions_by_name["zoom_in"].trigger()
    first.actions_by_name["zoom_in"].trigger()
    wait_until(loop, lambda: settings.get("editor").get("zoom") == 2)
    second = CodeEditor(settings=settings)
    qtbot.addWidget(second)
    assert second.editor.zoom() == 2
    second.actions_by_name["zoom_reset"].trigger()
    wait_until(loop, lambda: settings.get("editor").get("zoom") == 0)


def test_the_font_chosen_is_kept_in_settings_for_the_next_editor(qtbot: Any, loop: Any, tmp_path: Any) -> None:
    settings = store_settings(tmp_path)
    first = CodeEditor(settings=settings)
    qtbot.addWidget(first)
    assert "Font…" in [action.text() for action in first.context_menu().actions()]
    family = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
    first.set_font(family, 17)
    assert first.editor.styleSize(32) == 17
    wait_until(loop, lambda: settings.get("editor").get("size") == 17)
    second = CodeEditor(settings=settings)
    qtbot.addWidget(second)
    assert second.editor.styleSize(32) == 17
    assert second.editor.styleFont(32) == family


def test_the_editor_follows_the_app_theme_and_offers_high_contrast(code: CodeEditor, qapp: Any) -> None:
    from cronium_desktop.ui import theme

    try:
        theme.apply(qapp, "dark")
        assert code.theme() == "dark"
        code.actions_by_name["high_contrast"].setChecked(True)
        assert code.theme() == "high-contrast"
        assert code.editor.styleBack(32) == 0x000000
    finally:
        code.actions_by_name["high_contrast"].setChecked(False)
        theme.apply(qapp, "light")
    assert code.theme() == "light"


def test_ctrl_d_adds_a_cursor_at_the_next_occurrence_and_typing_edits_both(code: CodeEditor, qtbot: Any) -> None:
    code.set_language("BASH")
    code.set_text("name=1\necho $name\n")
    code.editor.gotoPos(1)
    QWidget.setFocus(code.editor)
    qtbot.keyClick(code.editor, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # selects the word
    qtbot.keyClick(code.editor, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # and its next occurrence
    assert code.editor.selections() == 2
    qtbot.keyClicks(code.editor, "user")
    assert code.text() == "user=1\necho $user\n"
