"""The main window: a sidebar of views over one engine (SPEC §10)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui import theme
from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.dashboard.page import DashboardPage
from cronium_desktop.ui.events.page import EventsPage
from cronium_desktop.ui.runs.page import RunsPage
from cronium_desktop.ui.servers.page import ServersPage
from cronium_desktop.ui.settings.page import SettingsPage
from cronium_desktop.ui.terminal.page import TerminalPage
from cronium_desktop.ui.tools.page import ToolsPage
from cronium_desktop.ui.tray import app_icon
from cronium_desktop.ui.variables.page import VariablesPage
from cronium_desktop.ui.workflows.page import WorkflowsPage

PAGES = ("Dashboard", "Events", "Workflows", "Servers", "Terminal", "Variables", "Tools", "Runs", "Settings")


class MainWindow(QMainWindow):
    closedToTray = Signal()

    def __init__(self, engine: Any, bridge: EngineBridge) -> None:
        super().__init__()
        self.engine = engine
        self.bridge = bridge
        self.keep_running_in_tray = True
        self.quitting = False
        self.setWindowTitle(f"Cronium Desktop — {engine.data_dir}")
        self.setMinimumSize(960, 620)
        self.sidebar = QListWidget(self, objectName="sidebar")
        self.sidebar.setFixedWidth(190)
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stack = QStackedWidget(self)
        self.pages: dict[str, QWidget] = {
            "Dashboard": DashboardPage(engine, bridge),
            "Events": EventsPage(engine, bridge),
            "Workflows": WorkflowsPage(engine, bridge),
            "Servers": ServersPage(engine, bridge),
            "Terminal": TerminalPage(engine),
            "Variables": VariablesPage(engine, bridge),
            "Tools": ToolsPage(engine),
            "Runs": RunsPage(engine, bridge),
            "Settings": SettingsPage(engine, self.apply_theme),
        }
        for name in PAGES:
            self.sidebar.addItem(name)
            self.stack.addWidget(self.pages[name])
        self.sidebar.currentRowChanged.connect(self._show_page)
        brand = QWidget(self, objectName="brand")
        brand_row = QHBoxLayout(brand)
        brand_row.setContentsMargins(18, 14, 18, 8)
        logo = QLabel(brand)
        logo.setPixmap(app_icon().pixmap(24, 24))
        brand_row.addWidget(logo)
        brand_row.addWidget(QLabel("Cronium", brand, objectName="brandName"), 1)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(0)
        left_layout.addWidget(brand)
        left_layout.addWidget(self.sidebar, 1)
        central = QWidget(self)
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(left)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Scheduler running" if engine.scheduler is not None else "Scheduler not running here")

        events = self.pages["Events"]
        assert isinstance(events, EventsPage)
        events.runStarted.connect(self.show_run)
        QShortcut(QKeySequence.StandardKey.New, self, lambda: (self.open_page("Events"), events.new()))
        QShortcut(QKeySequence("Ctrl+R"), self, lambda: (self.open_page("Events"), events.run_now()))
        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_search)
        bridge.message.connect(lambda level, text: self.statusBar().showMessage(text, 8000))
        self._restore()

    def set_page(self, name: str, widget: QWidget) -> None:
        """Replace a view (e.g. a richer Workflows canvas or a Terminal)."""
        index = PAGES.index(name)
        old = self.stack.widget(index)
        self.stack.insertWidget(index, widget)
        self.stack.removeWidget(old)
        self.pages[name] = widget

    def open_page(self, name: str) -> None:
        self.sidebar.setCurrentRow(PAGES.index(name))

    def _show_page(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        page = self.stack.currentWidget()
        refresh = getattr(page, "refresh", None)
        if callable(refresh):
            refresh()

    def _focus_search(self) -> None:
        search = getattr(self.stack.currentWidget(), "search", None)
        if search is not None:
            search.setFocus()
            search.selectAll()

    def show_run(self, execution_id: int) -> None:
        runs = self.pages["Runs"]
        assert isinstance(runs, RunsPage)
        self.open_page("Runs")
        runs.show_run(execution_id)

    def apply_theme(self, choice: str) -> None:
        theme.apply(QApplication.instance(), choice)  # type: ignore[arg-type]

    def _restore(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1220, 780)
        last = settings.value("window/page", "Dashboard")
        self.open_page(last if last in PAGES else "Dashboard")

    def save_state(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/page", PAGES[self.stack.currentIndex()])

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        if self.keep_running_in_tray and not self.quitting:
            event.ignore()
            self.hide()
            self.closedToTray.emit()
            return
        event.accept()
