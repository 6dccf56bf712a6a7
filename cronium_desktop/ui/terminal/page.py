"""The Terminal page (SPEC §6, §10): interactive shells on configured servers, one per tab.

Shells open through `engine.servers.open_shell`, so a tab uses the same connection pool,
credentials and host-key rules as remote runs. A tab whose shell ends keeps its screen and shows
a banner with Reconnect; closing a tab whose shell still runs asks first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui import theme
from cronium_desktop.ui.common import header, spawn
from cronium_desktop.ui.terminal import palette
from cronium_desktop.ui.terminal.session import ChannelOpener, SessionState, TerminalSession
from cronium_desktop.ui.terminal.widget import TerminalWidget

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

TERM = "xterm-256color"


class TerminalTab(QWidget):
    """One shell: the terminal, its session and the banner shown when the session ends."""

    stateChanged = Signal()

    def __init__(self, server_id: int, server_name: str, open_channel: ChannelOpener,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.server_id = server_id
        self.server_name = server_name
        self._open_channel = open_channel
        self.terminal = TerminalWidget(self)
        self.session: TerminalSession | None = None
        self.banner = QFrame(self, objectName="terminalBanner")  # type: ignore[call-arg]  # Qt property keyword
        self.banner.setStyleSheet(
            "#terminalBanner { background: #3b2225; border-bottom: 1px solid #6e3036; }"
            "#terminalBanner QLabel { color: #f3d2d5; }"
            "#terminalBanner QPushButton { padding: 3px 12px; }"
        )
        self.banner_text = QLabel(self.banner, wordWrap=True)
        self.reconnect_button = QPushButton("Reconnect", self.banner, objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        self.reconnect_button.clicked.connect(self.reconnect)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(12, 6, 8, 6)
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.reconnect_button)
        self.banner.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.terminal, 1)
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"TerminalTab {{ background: {palette.BACKGROUND}; }}")

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.running

    def connect_shell(self) -> None:
        if self.session is not None:
            self.session.close()
        self.banner.hide()
        self.terminal.feed(f"\x1b[90mConnecting to {self.server_name}…\x1b[0m\r\n".encode())
        session = TerminalSession(self._open_channel, f"server '{self.server_name}'", self)
        session.output.connect(self.terminal.feed)
        session.ended.connect(self._ended)
        session.started.connect(self.stateChanged)
        self.terminal.sendRequested.connect(session.write)
        self.terminal.sizeChanged.connect(session.resize)
        self.session = session
        session.start(self.terminal.terminal_screen.columns, self.terminal.terminal_screen.lines)
        self.stateChanged.emit()

    def reconnect(self) -> None:
        self.terminal.feed(b"\r\n")
        self.connect_shell()
        self.terminal.setFocus()

    def close_session(self) -> None:
        if self.session is not None:
            self.session.close()
            self.stateChanged.emit()

    def _ended(self, message: str, lost: bool) -> None:
        sender = self.sender()
        if sender is not self.session:
            return
        if isinstance(sender, TerminalSession):
            self.terminal.sendRequested.disconnect(sender.write)
            self.terminal.sizeChanged.disconnect(sender.resize)
        self.banner_text.setText(message if lost else f"{message} Reconnect to start a new shell.")
        self.reconnect_button.setText("Reconnect")
        self.banner.show()
        self.stateChanged.emit()


class TerminalPage(QWidget):
    """Tabs of shells; `engine.servers` provides the servers and opens the shells."""

    openPage = Signal(str)  # "Servers" when there is none to open a shell on

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.servers = QComboBox(self)
        self.servers.setMinimumWidth(220)
        self.servers.setPlaceholderText("No servers")
        self.open_button = QPushButton("Open shell", self, objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        self.open_button.setToolTip("Open a shell on the chosen server in a new tab (Ctrl+Shift+T)")
        self.open_button.clicked.connect(self.open_selected)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.tabCloseRequested.connect(self.request_close)
        self.tabs.tabBarDoubleClicked.connect(self.ask_rename)
        self.tabs.currentChanged.connect(self._focus_current)
        self.tabs.tabBar().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tabs.tabBar().customContextMenuRequested.connect(self._tab_menu)
        self.confirm_close: QMessageBox | None = None
        self.empty = QLabel(self, objectName="muted", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # with no server, the one next step: add one (the window opens Servers)
        self.add_server_button = QPushButton("Add a server", self, objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        self.add_server_button.clicked.connect(lambda: self.openPage.emit("Servers"))
        empty_page = QWidget(self)
        empty_layout = QVBoxLayout(empty_page)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty)
        empty_layout.addWidget(self.add_server_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)
        self.empty_page = empty_page
        self.stack = QStackedWidget(self)
        self.stack.addWidget(empty_page)
        self.stack.addWidget(self.tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Terminal", self.servers, self.open_button))
        layout.addWidget(self.stack, 1)
        QShortcut(QKeySequence("Ctrl+Shift+T"), self, self.open_selected,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+Shift+W"), self, lambda: self.request_close(self.tabs.currentIndex()),
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._update_empty()
        self.refresh()

    # -- servers ----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        if getattr(self.engine, "servers", None) is None:
            self._set_servers([])
            return
        spawn(self.load_servers(), self, "Loading servers")

    async def load_servers(self) -> None:
        self._set_servers([(info.id, info.name) for info in await self.engine.servers.list()])

    def _set_servers(self, servers: list[tuple[int, str]]) -> None:
        chosen = self.servers.currentData()
        self.servers.clear()
        for server_id, name in servers:
            self.servers.addItem(name, server_id)
        if chosen is not None and self.servers.findData(chosen) >= 0:
            self.servers.setCurrentIndex(self.servers.findData(chosen))
        elif servers:
            self.servers.setCurrentIndex(0)
        self.open_button.setEnabled(bool(servers))
        self._update_empty()

    # -- tabs -------------------------------------------------------------------------------------------

    def open_selected(self) -> None:
        if self.servers.currentIndex() >= 0:
            self.open_terminal(int(self.servers.currentData()), self.servers.currentText())

    def open_terminal(self, server_id: int, name: str) -> TerminalTab:
        """A new tab with a shell on the server; the shell opens in the background."""
        servers = self.engine.servers

        def open_channel(columns: int, rows: int) -> Any:
            return servers.open_shell(server_id, columns, rows, term=TERM)

        tab = TerminalTab(server_id, name, open_channel, self.tabs)
        tab.stateChanged.connect(lambda tab=tab: self._show_state(tab))
        tab.terminal.titleChanged.connect(lambda title, tab=tab: self._set_tooltip(tab, title))
        index = self.tabs.addTab(tab, self._unique_title(name))
        self.tabs.setCurrentIndex(index)
        self._update_empty()
        tab.terminal.setFocus()
        tab.connect_shell()
        return tab

    def tab(self, index: int) -> TerminalTab:
        widget = self.tabs.widget(index)
        assert isinstance(widget, TerminalTab)
        return widget

    def _unique_title(self, name: str) -> str:
        taken = {self.tabs.tabText(i) for i in range(self.tabs.count())}
        if name not in taken:
            return name
        number = 2
        while f"{name} ({number})" in taken:
            number += 1
        return f"{name} ({number})"

    def rename_tab(self, index: int, title: str) -> None:
        title = title.strip()
        if title and 0 <= index < self.tabs.count():
            self.tabs.setTabText(index, title)

    def ask_rename(self, index: int) -> None:
        if index < 0:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename tab")
        dialog.setLabelText("Tab name:")
        dialog.setTextValue(self.tabs.tabText(index))
        tab = self.tab(index)
        dialog.textValueSelected.connect(lambda text: self.rename_tab(self.tabs.indexOf(tab), text))
        dialog.open()

    def request_close(self, index: int) -> None:
        """Close a tab; if its shell still runs, ask first (a non-blocking dialog)."""
        if not 0 <= index < self.tabs.count():
            return
        tab = self.tab(index)
        if not tab.running:
            self.close_tab(index)
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Close terminal",
                          f"The shell in '{self.tabs.tabText(index)}' is still running. Close it?", parent=self)
        close = box.addButton("Close shell", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.buttonClicked.connect(lambda button: self.close_tab(self.tabs.indexOf(tab)) if button is close else None)
        self.confirm_close = box
        box.open()

    def close_tab(self, index: int) -> None:
        if not 0 <= index < self.tabs.count():
            return
        tab = self.tab(index)
        tab.close_session()
        self.tabs.removeTab(index)
        tab.deleteLater()
        self._update_empty()

    def close_all(self) -> None:
        """End every shell (the window is closing)."""
        while self.tabs.count():
            self.close_tab(0)

    def _tab_menu(self, point: QPoint) -> None:
        index = self.tabs.tabBar().tabAt(point)
        if index < 0:
            return
        tab = self.tab(index)
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.ask_rename(self.tabs.indexOf(tab)))
        menu.addAction("Open another shell here", lambda: self.open_terminal(tab.server_id, tab.server_name))
        if not tab.running:
            menu.addAction("Reconnect", tab.reconnect)
        menu.addSeparator()
        menu.addAction("Close", lambda: self.request_close(self.tabs.indexOf(tab)))
        menu.popup(self.tabs.tabBar().mapToGlobal(point))

    def _show_state(self, tab: TerminalTab) -> None:
        index = self.tabs.indexOf(tab)
        if index < 0:
            return
        ended = tab.session is not None and tab.session.state is SessionState.ENDED
        self.tabs.tabBar().setTabTextColor(index, theme_colour("muted") if ended else theme_colour("text"))

    def _set_tooltip(self, tab: TerminalTab, title: str) -> None:
        index = self.tabs.indexOf(tab)
        if index >= 0:
            self.tabs.setTabToolTip(index, title)

    def _focus_current(self, index: int) -> None:
        if index >= 0:
            self.tab(index).terminal.setFocus()

    def _update_empty(self) -> None:
        if self.tabs.count():
            self.stack.setCurrentWidget(self.tabs)
            return
        if self.servers.count():
            self.empty.setText("Choose a server and press Open shell for an interactive terminal.\n"
                               "Several tabs can run at once, on the same server or on different ones.")
        else:
            self.empty.setText("No servers yet. Add one in Servers, then open a shell on it here.")
        self.add_server_button.setVisible(not self.servers.count())
        self.stack.setCurrentWidget(self.empty_page)


def theme_colour(name: str) -> QColor:
    return QColor(theme.colour(name))
