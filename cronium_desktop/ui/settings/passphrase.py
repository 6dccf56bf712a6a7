"""The passphrase dialog: unlock a folder's secrets, or protect a new folder with a passphrase (SPEC §7).

Deriving the key takes scrypt's half second, so it runs in a worker thread while the dialog says so;
a wrong passphrase keeps the dialog open with the reason and changes nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from cronium_desktop.engine.secrets import MIN_PASSPHRASE_LENGTH, SecretsError, WrongPassphrase
from cronium_desktop.ui.common import spawn

UNLOCK, CREATE = "unlock", "create"


class PassphraseDialog(QDialog):
    """`mode` UNLOCK opens a passphrase-protected folder; CREATE gives a folder with no key a passphrase."""

    def __init__(self, secrets: Any, mode: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.secrets = secrets
        self.mode = mode
        self.setWindowTitle("Unlock secrets" if mode == UNLOCK else "Protect secrets with a passphrase")
        self.setMinimumWidth(460)
        intro = QLabel(
            "This data folder's secrets (passwords, keys, tokens, secret variables) are protected by a "
            "passphrase. Enter it to let runs use them."
            if mode == UNLOCK else
            "There is no OS keychain to keep this data folder's master key in, so secrets are protected by a "
            f"passphrase of at least {MIN_PASSPHRASE_LENGTH} characters instead. It is asked for at every start "
            "(headless and the command line read it from CRONIUM_PASSPHRASE) and cannot be recovered if lost.",
            self, wordWrap=True)
        self.passphrase = QLineEdit(self, echoMode=QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit(echoMode=QLineEdit.EchoMode.Password)  # in the form only when creating
        form = QFormLayout()
        form.addRow("Passphrase", self.passphrase)
        if mode == CREATE:
            form.addRow("Again", self.confirm)
        self.error = QLabel(self, objectName="error", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword; the theme colours #error  # type: ignore[call-overload]  # Qt property keyword
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._ok_text = "Unlock" if mode == UNLOCK else "Set passphrase"
        self.ok.setText(self._ok_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons, alignment=Qt.AlignmentFlag.AlignRight)
        self.passphrase.setFocus()

    def submit(self) -> None:
        passphrase = self.passphrase.text()
        if self.mode == CREATE and passphrase != self.confirm.text():
            self.show_error("The two passphrases differ; type the same one twice.")
            return
        if not passphrase:
            self.show_error("Enter the passphrase.")
            return
        spawn(self._apply(passphrase), self, "Unlocking the secrets")

    async def _apply(self, passphrase: str) -> None:
        self.ok.setEnabled(False)
        self.ok.setText("Checking…")
        self.error.hide()
        apply = self.secrets.unlock if self.mode == UNLOCK else self.secrets.set_passphrase
        try:
            await asyncio.to_thread(apply, passphrase)
        except WrongPassphrase:
            self.show_error("That passphrase is wrong for this data folder; nothing was read or written. "
                             "Enter the passphrase its secrets were saved with.")
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            return
        except SecretsError as error:
            self.show_error(str(error))
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            return
        finally:
            self.ok.setEnabled(True)
            self.ok.setText(self._ok_text)
        self.accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.adjustSize()
