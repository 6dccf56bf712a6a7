"""Quitting the window with runs going asks whether to stop them or let them finish."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from cronium_desktop.ui.runs import quit_choice
from tests.ui.conftest import run, wait_until


def test_the_question_names_the_runs_and_offers_both_answers(qtbot) -> None:  # type: ignore[no-untyped-def]
    box, remember = quit_choice.build_dialog(None, 3)
    qtbot.addWidget(box)
    assert box.text() == "3 runs are still going."
    names = {button.text(): button.objectName() for button in box.buttons()}
    assert names == {"Stop them": "stop", "Let them finish": "let_finish"}
    assert box.defaultButton().text() == "Let them finish"
    assert remember.text() == "Remember my choice" and not remember.isChecked()
    assert isinstance(box, QMessageBox)


def test_a_remembered_answer_is_not_asked_again(qtbot, loop) -> None:  # type: ignore[no-untyped-def]
    settings = QSettings()
    previous = settings.value(quit_choice.SETTING)
    try:
        settings.setValue(quit_choice.SETTING, "let_finish")
        assert run(loop, quit_choice.ask(None, 1)) is True
        settings.setValue(quit_choice.SETTING, "stop")
        assert run(loop, quit_choice.ask(None, 1)) is False
    finally:
        if previous is None:
            settings.remove(quit_choice.SETTING)
        else:
            settings.setValue(quit_choice.SETTING, previous)


def test_while_the_question_is_open_the_loop_goes_on_and_the_answer_comes_back(qtbot, loop) -> None:  # type: ignore[no-untyped-def]
    """The runs asked about go on being followed while the question waits (a modal loop inside a
    coroutine turned the loop's other tasks away)."""
    settings = QSettings()
    previous = settings.value(quit_choice.SETTING)
    settings.remove(quit_choice.SETTING)
    try:
        asking = loop.create_task(quit_choice.ask(None, 2))
        wait_until(loop, lambda: any(isinstance(w, QMessageBox) and w.isVisible() for w in QApplication.topLevelWidgets()))
        [box] = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        ticks = run(loop, asyncio.gather(*(asyncio.sleep(0.01, result=n) for n in range(3))))  # other work goes on
        assert ticks == [0, 1, 2] and not asking.done()
        [stop] = [button for button in box.buttons() if button.objectName() == quit_choice.STOP]
        stop.click()
        assert run(loop, asking) is False
    finally:
        if previous is not None:
            settings.setValue(quit_choice.SETTING, previous)
