"""The main window: a sidebar of views over one engine (SPEC §10), a menu bar holding every command
with its shortcut, and a status bar where each action says what it did.

The window is shown before the engine exists: its frame (sidebar, menus, status bar) needs no engine,
so it appears as soon as Qt is up, and `attach(engine, bridge)` brings the pages and commands once
the engine has started. Until then a page shown is an empty placeholder and the commands are greyed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui import theme
from cronium_desktop.ui.common import spawn
from cronium_desktop.ui.lazy_pages import LazyPages
from cronium_desktop.ui.menus import build_menu_bar, shortcut_rows
from cronium_desktop.ui.shortcuts import ShortcutsDialog
from cronium_desktop.ui.tray import app_icon

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine
    from cronium_desktop.ui.bridge import EngineBridge
    from cronium_desktop.ui.dashboard.page import DashboardPage
    from cronium_desktop.ui.events.page import EventsPage
    from cronium_desktop.ui.imports import ImportSchedulesDialog
    from cronium_desktop.ui.runs.page import RunsPage
    from cronium_desktop.ui.timeline.page import TimelinePage

# The views of SPEC §10 keep their places (and their Ctrl+1…8); the Timeline looks ahead and back
# beside Runs (Ctrl+9), Settings has Ctrl+, as on every desktop.
PAGES = ("Dashboard", "Events", "Workflows", "Servers", "Terminal", "Variables", "Tools", "Runs", "Timeline", "Settings")
PAGE_MODULES = {name: f"cronium_desktop.ui.{name.lower()}.page" for name in PAGES}


class MainWindow(QMainWindow):
    closedToTray = Signal()
    quitRequested = Signal()  # File → Quit: the application stops the engine and exits
    import_schedules_dialog: ImportSchedulesDialog  # the last one File → Import schedules… opened

    engine: Engine  # set by `attach`
    bridge: EngineBridge

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.attached = False
        self.keep_running_in_tray = True
        self.quitting = False
        self.setWindowTitle(f"Cronium Desktop — {data_dir}")
        self.setMinimumSize(900, 600)
        self.sidebar = QListWidget(self, objectName="sidebar")  # type: ignore[call-arg]  # Qt property keyword
        self.sidebar.setFixedWidth(190)
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stack = QStackedWidget(self)
        # Each page is built (and its module imported) on its first visit: start-up builds one.
        self.pages = LazyPages(PAGES, self.stack, {}, self._page_built)
        for name in PAGES:
            self.sidebar.addItem(name)
        self.sidebar.currentRowChanged.connect(self._show_page)
        brand = QWidget(self, objectName="brand")  # type: ignore[call-arg]  # Qt property keyword
        brand_row = QHBoxLayout(brand)
        brand_row.setContentsMargins(18, 14, 18, 8)
        logo = QLabel(brand)
        logo.setPixmap(app_icon().pixmap(24, 24))
        brand_row.addWidget(logo)
        brand_row.addWidget(QLabel("Cronium", brand, objectName="brandName"), 1)  # type: ignore[call-overload]  # Qt property keyword
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
        self.statusBar().showMessage("Starting the scheduler…")

        self.shortcuts_dialog: ShortcutsDialog | None = None
        self._commands = [action for menu in build_menu_bar(self).findChildren(QMenu) for action in menu.actions()
                          if action.text() not in ("Close window", "Quit", "Keyboard shortcuts")]
        for action in self._commands:
            action.setEnabled(False)  # until the engine is attached
        self._restore()

    def opening_page_module(self) -> str:
        """The module of the page the window opens on (start-up can load it beside the engine)."""
        return PAGE_MODULES[PAGES[self.stack.currentIndex()]]

    def attach(self, engine: Engine, bridge: EngineBridge) -> None:
        """Give the shown window its engine: the pages and commands work from here on."""
        self.engine, self.bridge, self.attached = engine, bridge, True
        self.pages.set_factories(_page_factories(self, engine, bridge))
        for action in self._commands:
            action.setEnabled(True)
        self.statusBar().showMessage("Scheduler running" if engine.scheduler is not None else "Scheduler not running here")
        bridge.message.connect(lambda level, text: self.say(text))
        self._show_page(self.stack.currentIndex())  # the page the window opened on, built now

    def say(self, text: str) -> None:
        """A short note in the status bar about what just happened."""
        self.statusBar().showMessage(text, 8000)

    def set_page(self, name: str, widget: QWidget) -> None:
        """Replace a view (e.g. a richer Workflows canvas or a Terminal)."""
        self.pages[name] = widget
        self._connect_page(widget)

    def _connect_page(self, page: QWidget) -> None:
        """A page may say what it did (`message`) and ask for another page (`openPage`)."""
        message = getattr(page, "message", None)
        if message is not None:
            message.connect(self.say)
        open_page = getattr(page, "openPage", None)
        if open_page is not None:
            open_page.connect(self.open_page)
        run_started = getattr(page, "runStarted", None)
        if run_started is not None:  # the Events page's Run now opens the run
            run_started.connect(self.show_run)
        # Changes another process made (the CLI) show here too (engine/folder_changes.py).
        if type(page).__name__ == "SettingsPage":
            self.bridge.settingsChanged.connect(page.refresh_unless_editing)  # type: ignore[attr-defined]
        if type(page).__name__ == "ToolsPage":
            self.bridge.toolsChanged.connect(page.refresh)  # type: ignore[attr-defined]
        if type(page).__name__ == "DashboardPage":
            dashboard = cast("DashboardPage", page)
            dashboard.showRun.connect(self.show_run)
            dashboard.showEventRuns.connect(self.show_event_runs)
            dashboard.newEventRequested.connect(self.new_event)
        if type(page).__name__ == "TimelinePage":
            timeline = cast("TimelinePage", page)
            timeline.showRun.connect(self.show_run)
            timeline.showEvent.connect(self.show_event)
            timeline.showWorkflow.connect(self.show_workflow)

    def show_event(self, event_id: int) -> None:
        """Open an event's editor (a tick on the Timeline)."""
        self.open_page("Events")
        events = self._events()
        spawn(events._edit(event_id), events, "Opening the event")

    def show_workflow(self, workflow_id: int) -> None:
        workflows = self.pages["Workflows"]
        self.open_page("Workflows")
        if hasattr(workflows, "open_workflow"):
            spawn(workflows.open_workflow(workflow_id), workflows, "Opening the workflow")

    def show_event_runs(self, event_id: int | None, day: object = None) -> None:
        self.open_page("Runs")
        runs: RunsPage = self.pages["Runs"]  # type: ignore[assignment]
        runs.show_event_runs(event_id, day)

    def open_page(self, name: str) -> None:
        self.sidebar.setCurrentRow(PAGES.index(name))

    def _page_built(self, page: QWidget) -> None:
        """A page built on first use loads what it shows, as every page did when all were built at start."""
        self._connect_page(page)
        refresh = getattr(page, "refresh", None)
        if callable(refresh):
            refresh()

    def _show_page(self, row: int) -> None:
        if not self.attached:
            self.stack.setCurrentIndex(row)  # its placeholder; `attach` builds it
            return
        fresh = self.pages.get(PAGES[row]) is None
        page = self.pages[PAGES[row]]  # built (and loaded) on its first visit
        self.stack.setCurrentIndex(row)
        refresh = getattr(page, "refresh", None)
        if callable(refresh) and not fresh:
            refresh()

    def focus_search(self) -> None:
        search = getattr(self.stack.currentWidget(), "search", None)
        if search is not None:
            search.setFocus()
            search.selectAll()
        else:
            self.say("This view has no search field.")

    _focus_search = focus_search

    def _events(self) -> EventsPage:
        events: EventsPage = self.pages["Events"]  # type: ignore[assignment]
        return events

    def new_event(self) -> None:
        self.open_page("Events")
        self._events().new()

    def edit_event(self) -> None:
        self.open_page("Events")
        self._events().edit()

    def delete_event(self) -> None:
        self.open_page("Events")
        self._events().delete()

    def run_now(self) -> None:
        """F5: run what the current view shows: its workflow on the canvas, else the selected event."""
        page = self.stack.currentWidget()
        if PAGES[self.stack.currentIndex()] == "Workflows" and page is not None and hasattr(page, "run"):
            page.run()
            return
        self.open_page("Events")
        self._events().run_now()

    def quit_app(self) -> None:
        self.quitRequested.emit()

    def show_shortcuts(self) -> None:
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(shortcut_rows(self.menuBar()), self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()

    def show_about(self) -> None:
        from cronium_desktop import __version__

        box = QMessageBox(QMessageBox.Icon.Information, "About Cronium Desktop",
                          f"<b>Cronium Desktop</b> {__version__}<br>Schedules and runs scripts, HTTP requests and "
                          f"messages on this computer, in containers and over SSH.<br><br>Data folder: "
                          f"{self.engine.data_dir}", QMessageBox.StandardButton.Ok, self)
        box.setIconPixmap(app_icon().pixmap(48, 48))
        box.open()  # not exec(): the engine's loop keeps running while it shows

    def show_run(self, execution_id: int) -> None:
        self.open_page("Runs")
        runs: RunsPage = self.pages["Runs"]  # type: ignore[assignment]
        runs.show_run(execution_id)

    def apply_theme(self, choice: str) -> None:
        theme.apply(QApplication.instance(), choice)  # type: ignore[arg-type]
        QSettings().setValue("window/theme", choice)  # app.THEME_KEY: the next start shows in it at once

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


def _page_factories(window: MainWindow, engine: Engine, bridge: EngineBridge) -> dict[str, Any]:
    """How each page is built; its module is imported only then."""

    def dashboard() -> QWidget:
        from cronium_desktop.ui.dashboard.page import DashboardPage
        return DashboardPage(engine, bridge)

    def timeline() -> QWidget:
        from cronium_desktop.ui.timeline.page import TimelinePage
        return TimelinePage(engine, bridge)

    def events() -> QWidget:
        from cronium_desktop.ui.events.page import EventsPage
        return EventsPage(engine, bridge)

    def workflows() -> QWidget:
        from cronium_desktop.ui.workflows.page import WorkflowsPage
        return WorkflowsPage(engine, bridge)

    def servers() -> QWidget:
        from cronium_desktop.ui.servers.page import ServersPage
        return ServersPage(engine, bridge)

    def terminal() -> QWidget:
        from cronium_desktop.ui.terminal.page import TerminalPage
        return TerminalPage(engine)

    def variables() -> QWidget:
        from cronium_desktop.ui.variables.page import VariablesPage
        return VariablesPage(engine, bridge)

    def tools() -> QWidget:
        from cronium_desktop.ui.tools.page import ToolsPage
        return ToolsPage(engine)

    def runs() -> QWidget:
        from cronium_desktop.ui.runs.page import RunsPage
        return RunsPage(engine, bridge)

    def settings() -> QWidget:
        from cronium_desktop.ui.settings.page import SettingsPage
        return SettingsPage(engine, window.apply_theme)

    return {"Dashboard": dashboard, "Timeline": timeline, "Events": events, "Workflows": workflows, "Servers": servers,
            "Terminal": terminal, "Variables": variables, "Tools": tools, "Runs": runs, "Settings": settings}
