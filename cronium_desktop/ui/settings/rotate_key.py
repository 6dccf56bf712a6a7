"""Settings → "Rotate key": re-encrypt every secret under a new master key (SPEC §7), as
`cronium-desktop secrets rotate` does.

It asks first, naming how many secrets, then re-encrypts in a worker thread with a progress dialog.
The rotation is one transaction (engine/secrets.py): if it fails, every secret keeps its old key.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QPushButton, QWidget

from cronium_desktop.ui.common import show_error, spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class RotateKeyButton(QPushButton):
    rotated = Signal(str)  # what was done, for the status line

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__("Rotate key…", parent)
        self.engine = engine
        self.setToolTip("Re-encrypt every secret under a new master key")
        self.question: QMessageBox | None = None  # the open confirmation, for tests
        self.progress: QProgressDialog | None = None
        self.clicked.connect(lambda: spawn(self.ask(), self, "Counting the secrets"))

    def update_for(self, status: str) -> None:
        """Offered once there is a key and it is unlocked: a locked key cannot re-encrypt anything."""
        self.setVisible(status in ("keychain", "passphrase"))

    async def ask(self) -> None:
        count = await asyncio.to_thread(self.engine.secrets.count)
        box = QMessageBox(QMessageBox.Icon.Question, "Rotate the master key",
                          f"Re-encrypt {count} secret(s) under a new master key? Runs keep working meanwhile; "
                          "if anything stops the rotation, every secret keeps its old key.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.window())
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes
                             and spawn(self.rotate(count), self, "Rotating the master key"))
        self.question = box
        box.open()

    async def rotate(self, count: int) -> None:
        progress = QProgressDialog("Re-encrypting secrets…", "", 0, max(count, 1), self.window())
        progress.setCancelButton(None)  # one transaction: stopping halfway would only undo it
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.setValue(0)
        self.progress = progress
        loop = asyncio.get_running_loop()

        def report(done: int, total: int) -> None:  # in the worker thread
            loop.call_soon_threadsafe(progress.setValue, min(done, max(total, 1)))

        self.setEnabled(False)
        try:
            version = await asyncio.to_thread(self.engine.secrets.rotate, None, report)
        except Exception as error:  # the store or the keychain refused: nothing changed
            show_error(self, "The key was not rotated", f"{error}\nEvery secret keeps its old key.")
            return
        finally:
            progress.setValue(progress.maximum())
            progress.close()
            self.setEnabled(True)
        self.rotated.emit(f"Re-encrypted {count} secret(s) under a new master key (version {version}).")
