"""Quitting the window with runs going asks whether to stop them or let them finish."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from cronium_desktop.ui.runs import quit_choice


def test_the_question_names_the_runs_and_offers_both_answers(qtbot) -> None:  # type: ignore[no-untyped-def]
    box, remember = quit_choice.build_dialog(None, 3)
    qtbot.addWidget(box)
    assert box.text() == "3 runs are still going."
    names = {button.text(): button.objectName() for button in box.buttons()}
    assert names == {"Stop them": "stop", "Let them finish": "let_finish"}
    assert box.defaultButton().text() == "Let them finish"
    assert remember.text() == "Remember my choice" and not remember.isChecked()
    assert isinstance(box, QMessageBox)


def test_a_remembered_answer_is_not_asked_again(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = QSettings()
    previous = settings.value(quit_choice.SETTING)
    try:
        settings.setValue(quit_choice.SETTING, "let_finish")
        assert quit_choice.ask(None, 1) is True
        settings.setValue(quit_choice.SETTING, "stop")
        assert quit_choice.ask(None, 1) is False
    finally:
        if previous is None:
            settings.remove(quit_choice.SETTING)
        else:
            settings.setValue(quit_choice.SETTING, previous)
