"""Quitting with runs going: stop them, or let them finish without the app (SPEC §2).

Local scripts run detached from the app, so they can go on after it quits; the next start follows
them again and records them. The answer can be remembered (QSettings `runs/on_quit`).
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

SETTING = "runs/on_quit"
STOP, LET_FINISH = "stop", "let_finish"


def remembered() -> str | None:
    value = QSettings().value(SETTING)
    return value if value in (STOP, LET_FINISH) else None


def build_dialog(parent: QWidget | None, running: int) -> tuple[QMessageBox, QCheckBox]:
    box = QMessageBox(parent)
    box.setWindowTitle("Quit Cronium Desktop")
    box.setIcon(QMessageBox.Icon.Question)
    runs = "1 run is" if running == 1 else f"{running} runs are"
    box.setText(f"{runs} still going.")
    box.setInformativeText("Local scripts can finish on their own: they are recorded when Cronium Desktop "
                           "starts again. Remote, container and HTTP runs are stopped either way.")
    box.addButton("Stop them", QMessageBox.ButtonRole.DestructiveRole).setObjectName(STOP)
    let = box.addButton("Let them finish", QMessageBox.ButtonRole.AcceptRole)
    let.setObjectName(LET_FINISH)
    box.setDefaultButton(let)
    remember = QCheckBox("Remember my choice", box)
    box.setCheckBox(remember)
    return box, remember


def remembered_answer() -> bool | None:
    """The remembered answer (True: let the runs finish), or None when there is none."""
    choice = remembered()
    return None if choice is None else choice == LET_FINISH


async def ask(parent: QWidget | None, running: int) -> bool:
    """True to let the runs finish. Asks unless the answer was remembered.

    The question is open while the loop goes on (not `exec()`: a modal loop inside a coroutine would
    turn the loop's other tasks away, and the runs being asked about are among them)."""
    known = remembered_answer()
    if known is not None:
        return known
    box, remember = build_dialog(parent, running)
    answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def answer(_result: int) -> None:
        if not answered.done():
            answered.set_result(None)

    box.finished.connect(answer)
    box.open()
    await answered
    clicked = box.clickedButton()
    choice = clicked.objectName() if clicked is not None and clicked.objectName() in (STOP, LET_FINISH) else STOP
    if remember.isChecked():
        QSettings().setValue(SETTING, choice)
    box.deleteLater()
    return choice == LET_FINISH
