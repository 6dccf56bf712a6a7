"""The Servers view: SSH servers, their status, and trust-on-first-use of host keys (SPEC §6).

The form below the list adds a server, or edits the selected one (Edit or a double-click): stored
passwords and passphrases are not shown; left empty they are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.api import UnknownHostKey
from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.common import header, local_time, spawn
from cronium_desktop.ui.empty_state import EmptyOr, EmptyState
from cronium_desktop.ui.theme import colour

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class ServersPage(QWidget):
    message = Signal(str)  # for the status bar

    def __init__(self, engine: Engine, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.servers: list[Any] = []
        self.editing: int | None = None  # the id of the server the form edits; None: a new one
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(["Name", "Address", "Login", "Status", "Last checked"])
        columns = self.table.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        columns.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        check = QPushButton("Check connection", self)
        check.clicked.connect(self.check)
        delete = QPushButton("Delete", self)
        delete.clicked.connect(self.delete)
        edit = QPushButton("Edit", self)
        edit.clicked.connect(self.edit)
        self.table.doubleClicked.connect(lambda _index: self.edit())

        self.name = QLineEdit(placeholderText="db1")
        self.host = QLineEdit(placeholderText="db1.example.com")
        self.port = QSpinBox(minimum=1, maximum=65535, value=22)
        self.port.setMaximumWidth(120)
        self.user = QLineEdit(placeholderText="deploy")
        self.auth = QComboBox()
        for title, value in (("Private key file", "KEY"), ("Password", "PASSWORD"), ("SSH agent", "AGENT")):
            self.auth.addItem(title, value)
        self.key_path = QLineEdit(placeholderText="~/.ssh/id_ed25519")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        key_row = QWidget()
        key_layout = QHBoxLayout(key_row)
        key_layout.setContentsMargins(0, 0, 0, 0)
        key_layout.addWidget(self.key_path, 1)
        key_layout.addWidget(browse)
        self.secret = QLineEdit(echoMode=QLineEdit.EchoMode.Password, placeholderText="password or key passphrase (stored encrypted)")
        self.add_button = add = QPushButton("Add server", objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        add.clicked.connect(self.add)
        self.new_button = QPushButton("New")
        self.new_button.clicked.connect(self.start_new)
        self.new_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        self.form_box = form_box = QGroupBox("Add a server")
        form = QFormLayout(form_box)
        form.addRow("Name", self.name)
        form.addRow("Host", self.host)
        form.addRow("Port", self.port)
        form.addRow("User", self.user)
        form.addRow("Login with", self.auth)
        form.addRow("Key file", key_row)
        form.addRow("Secret", self.secret)
        form.addRow("", buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Servers", check, edit, delete))
        self.empty = EmptyState("No servers yet", "Add an SSH server to run events on it and to open a shell in "
                                "Terminal.", "Add your first server", lambda: self.name.setFocus())
        self.body = EmptyOr(self.table, self.empty, self)
        layout.addWidget(self.body, 1)
        layout.addWidget(form_box)
        bridge.serverStatusChanged.connect(lambda *args: self.refresh())

    def refresh(self) -> None:
        spawn(self._refresh(), self, "Loading servers")

    async def _refresh(self) -> None:
        self.servers = await self.engine.servers.list()
        self.body.set_empty(not self.servers)
        self.table.setRowCount(len(self.servers))
        for row, server in enumerate(self.servers):
            status = QTableWidgetItem(server.status.title())
            status.setForeground(QColor(colour({"ONLINE": "SUCCESS", "OFFLINE": "FAILURE"}.get(server.status, "muted"))))
            if server.last_error:
                status.setToolTip(server.last_error)
            cells = (QTableWidgetItem(server.name), QTableWidgetItem(f"{server.username}@{server.host}:{server.port}"),
                     QTableWidgetItem(server.auth_method.title()), status, QTableWidgetItem(local_time(server.last_checked_at)))
            for column, item in enumerate(cells):
                self.table.setItem(row, column, item)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Private key")
        if path:
            self.key_path.setText(path)

    def add(self) -> None:
        spawn(self._add(), self, "Adding the server")

    async def _add(self) -> None:
        method = self.auth.currentData()
        secret = self.secret.text() or None
        name = self.name.text().strip()
        fields: dict[str, Any] = dict(host=self.host.text().strip(), username=self.user.text().strip(),
                                      auth_method=method, port=self.port.value(),
                                      key_path=self.key_path.text().strip() or None if method == "KEY" else None)
        if self.editing is None:
            await self.engine.servers.add(name, **fields, passphrase=secret if method == "KEY" else None,
                                          password=secret if method == "PASSWORD" else None)
        else:
            if secret:  # empty: the stored one is kept
                fields["passphrase" if method == "KEY" else "password"] = secret
            await self.engine.servers.update(self.editing, name=name, **fields)
        self.message.emit(f"Server '{name}' {'added' if self.editing is None else 'saved'}.")
        self.start_new()
        await self._refresh()

    def start_new(self) -> None:
        self.editing = None
        for field in (self.name, self.host, self.user, self.key_path, self.secret):
            field.clear()
        self.port.setValue(22)
        self.secret.setPlaceholderText("password or key passphrase (stored encrypted)")
        self.form_box.setTitle("Add a server")
        self.add_button.setText("Add server")
        self.new_button.hide()

    def edit(self) -> None:
        server = self._selected()
        if server is None:
            self.message.emit("Select a server to edit first.")
            return
        self.editing = server.id
        self.name.setText(server.name)
        self.host.setText(server.host)
        self.port.setValue(int(server.port))
        self.user.setText(server.username)
        self.auth.setCurrentIndex(max(0, self.auth.findData(server.auth_method)))
        self.key_path.setText(getattr(server, "key_path", None) or "")
        self.secret.clear()
        self.secret.setPlaceholderText("stored — type to replace")
        self.form_box.setTitle(f"Edit '{server.name}'")
        self.add_button.setText("Save changes")
        self.new_button.show()
        self.name.setFocus()

    def _selected(self) -> Any:
        row = self.table.currentRow()
        return self.servers[row] if 0 <= row < len(self.servers) else None

    def check(self) -> None:
        server = self._selected()
        if server is not None:
            spawn(self._check(server.id), self, "Checking the server")

    async def _check(self, server_id: int, accept: bool | str = False) -> None:
        result = await self.engine.servers.check(server_id, accept_host_key=accept)
        if result.ok:
            QMessageBox.information(self, "Connected", f"Logged in. Host key {result.fingerprint}.")
        elif isinstance(result.error, UnknownHostKey) and result.error.fingerprint:
            fingerprint = result.error.fingerprint
            answer = QMessageBox.question(
                self, "Trust this host key?",
                f"The server presented a host key never seen before:\n\n{fingerprint}\n\n"
                "Compare it with the server's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub). Trust it?")
            if answer == QMessageBox.StandardButton.Yes:
                await self._check(server_id, accept=fingerprint)
                return
        else:
            QMessageBox.warning(self, "Connection failed", str(result.error))
        await self._refresh()

    def delete(self) -> None:
        server = self._selected()
        if server and QMessageBox.question(self, "Delete server", f"Delete the server '{server.name}'?") == QMessageBox.StandardButton.Yes:
            spawn(self._delete(server.id), self, "Deleting the server")

    async def _delete(self, server_id: int) -> None:
        await self.engine.servers.delete(server_id)
        await self._refresh()
        self.message.emit("Server deleted.")
