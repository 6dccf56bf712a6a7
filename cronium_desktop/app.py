"""Window bootstrap: one QApplication, one asyncio loop (qasync), one engine, one instance per folder."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

from cronium_desktop import heap

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer

    from cronium_desktop.engine.engine import Engine
    from cronium_desktop.ui.bridge import EngineBridge
    from cronium_desktop.ui.main_window import MainWindow
    from cronium_desktop.ui.settings.page import SettingsPage
    from cronium_desktop.ui.tray import Tray

log = logging.getLogger(__name__)
# A file the app writes to (bench, tests): a line with the time the window was shown, then a line
# "ready TIME" once the engine has started and the first page is built.
STARTUP_PROBE = "CRONIUM_STARTUP_PROBE"
THEME_KEY = "window/theme"  # the theme setting as last applied: the window shows in it before the engine is up


def instance_name(data_dir: Path) -> str:
    from cronium_desktop.engine.folder import folder_digest

    return f"cronium-desktop-{folder_digest(data_dir)}"


def activate_running_instance(data_dir: Path) -> bool:
    """Ask a window already open on this data folder to come to the front; True if one answered."""
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(instance_name(data_dir))
    if not socket.waitForConnected(500):
        return False
    socket.write(b"activate\n")
    socket.waitForBytesWritten(500)
    socket.disconnectFromServer()
    return True


async def load_modules(*names: str) -> None:
    """Import modules in a thread of their own while the loop (and the shown window) goes on.

    A plain thread polled from the loop, not the loop's executor: nothing else waits behind it."""
    import importlib
    import threading

    missing = [name for name in names if name not in sys.modules]
    if not missing:
        return
    done, failed = threading.Event(), []

    def load() -> None:
        try:
            for name in missing:
                importlib.import_module(name)
        except BaseException as error:  # handed to the loop below
            failed.append(error)
        finally:
            done.set()

    threading.Thread(target=load, name="cronium-start-imports", daemon=True).start()
    while not done.is_set():
        await asyncio.sleep(0.02)
    if failed:
        raise failed[0]


class Application:
    """Everything the window needs, built in order and torn down in reverse."""

    def __init__(self, data_dir: Path, passphrase: str | None = None, start_hidden: bool = False) -> None:
        self.data_dir = data_dir
        self.passphrase = passphrase
        self.start_hidden = start_hidden  # `--tray`: only the tray icon until the user opens the window
        self.engine: Engine | None = None
        self.window: MainWindow | None = None
        self.tray: Tray | None = None
        self.bridge: EngineBridge | None = None
        self.server: QLocalServer | None = None
        self.quit_event = asyncio.Event()
        self.ask_at_quit = True  # False once the system, not the user, asked to quit
        self.engine_settings: dict[str, object] = {}

    async def start(self) -> None:
        """Show the window, then start the engine and give the window its pages.

        The window's frame needs no engine: it is shown first, in the theme it had last time, while
        the engine's modules load in a worker thread (the window paints and answers meanwhile)."""
        from PySide6.QtCore import QSettings, QTimer
        from PySide6.QtNetwork import QLocalServer
        from PySide6.QtWidgets import QApplication, QSystemTrayIcon

        from cronium_desktop.ui import theme
        from cronium_desktop.ui.main_window import MainWindow
        from cronium_desktop.ui.tray import app_icon

        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.setWindowIcon(app_icon())
        app.setQuitOnLastWindowClosed(False)  # the tray keeps the scheduler going
        shown_theme = str(QSettings().value(THEME_KEY, "system"))
        theme.apply(app, shown_theme)
        self.window = window = MainWindow(self.data_dir)
        window.quitRequested.connect(self.request_quit)
        # With no tray to open it from, a hidden window could never be reached: show it anyway.
        if not (self.start_hidden and QSystemTrayIcon.isSystemTrayAvailable()):
            window.show()
        if os.environ.get(STARTUP_PROBE):
            QTimer.singleShot(0, self._report_shown)
        await load_modules("cronium_desktop.engine.engine", window.opening_page_module())

        from cronium_desktop.engine.engine import Engine
        from cronium_desktop.engine.lock import FolderLocked
        from cronium_desktop.ui.bridge import EngineBridge
        from cronium_desktop.ui.tray import Tray

        self.engine = engine = Engine(self.data_dir, passphrase=self.passphrase)
        for key, value in self.engine_settings.items():
            engine.settings.set(key, value)
        try:
            await engine.start(scheduler=True)
        except FolderLocked:
            await engine.start(scheduler=False)  # a headless scheduler owns the folder: be its window
        if self.start_hidden and engine.triggers is not None:
            # `--tray` is how the autostart entry starts the app at login: run the login triggers.
            await engine.triggers.run_login_triggers()
        chosen = str(engine.settings.get("theme"))
        if chosen != shown_theme:
            window.apply_theme(chosen)
        self.bridge = EngineBridge(engine.bus)
        window.attach(engine, self.bridge)
        self.tray = tray = Tray(engine, self.bridge, self.show_window, self.request_quit, open_run=self.open_run)
        tray.show()
        window.closedToTray.connect(tray.window_closed)
        window.keep_running_in_tray = engine.scheduler is not None and tray.isSystemTrayAvailable()
        self.server = server = QLocalServer()
        QLocalServer.removeServer(instance_name(self.data_dir))
        server.listen(instance_name(self.data_dir))
        server.newConnection.connect(self._activation_request)
        if engine.secrets.mode == "passphrase":  # unlocked at start, else asked on the Settings page
            cast("SettingsPage", window.pages["Settings"]).unlock_at_start()
        if os.environ.get(STARTUP_PROBE):
            QTimer.singleShot(0, self._report_ready)

    def _report_shown(self) -> None:
        """bench/startup.py and the bundle's tests: write when the shown window got its first turn of
        the event loop (they stop the app with SIGTERM)."""
        Path(os.environ[STARTUP_PROBE]).write_text(f"{time.time():.6f}\n")

    def _report_ready(self) -> None:
        with Path(os.environ[STARTUP_PROBE]).open("a") as probe:
            probe.write(f"ready {time.time():.6f}\n")

    def _activation_request(self) -> None:
        assert self.server is not None
        connection = self.server.nextPendingConnection()
        if connection is not None:
            connection.readyRead.connect(self.show_window)
            connection.disconnected.connect(connection.deleteLater)
        self.show_window()

    def show_window(self) -> None:
        if self.window is not None:
            self.window.show()
            self.window.setWindowState(self.window.windowState() & ~self.window.windowState().WindowMinimized)
            self.window.raise_()
            self.window.activateWindow()

    def open_run(self, execution_id: int) -> None:
        self.show_window()
        if self.window is not None:
            self.window.show_run(execution_id)

    def request_quit(self) -> None:
        """Quit as the user asked (the menu, the tray): runs going on are the subject of a question."""
        self.quit_event.set()

    def request_quit_unasked(self) -> None:
        """Quit as the system asked (SIGTERM, SIGINT, the session ending): nobody may be there to
        answer, so the remembered answer decides about runs going on, else the `on_stop` setting."""
        self.ask_at_quit = False
        self.quit_event.set()

    async def stop(self) -> None:
        let_finish = None
        if self.window is not None and self.engine is not None and self.engine.running_count:
            from cronium_desktop.ui.runs import quit_choice

            if self.ask_at_quit:
                let_finish = await quit_choice.ask(self.window, self.engine.running_count)
            else:  # None: the engine's `on_stop` setting decides
                let_finish = quit_choice.remembered_answer()
        if self.window is not None:
            terminal = self.window.pages.get("Terminal")
            if terminal is not None and hasattr(terminal, "close_all"):
                terminal.close_all()
            self.window.quitting = True
            self.window.save_state()
            self.window.close()
            # Its signal connections hold the window from C++, out of the collector's sight: only an
            # explicit delete frees it (and stops its timers) when the process goes on, as the tests' does.
            self.window.deleteLater()
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
        # The app's other QObjects without a parent go the same way, here on the GUI thread. Left to the
        # collector they are destroyed on whichever thread collects (an editor's completion worker):
        # there Qt's signal lock and Python's GIL are taken in opposite orders, and the window hangs.
        if self.server is not None:
            self.server.close()
            self.server.deleteLater()
        if self.bridge is not None:
            self.bridge.close()
            self.bridge.deleteLater()
        if self.engine is not None:
            await self.engine.stop(let_runs_finish=let_finish)


def run_gui(data_dir: Path, tray: bool = False) -> int:
    from PySide6.QtWidgets import QApplication

    from cronium_desktop.ui.qt_loop import QtLoop

    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv))
    app.setApplicationName("Cronium Desktop")
    app.setOrganizationName("Cronium")
    app.setQuitOnLastWindowClosed(False)
    if activate_running_instance(data_dir):
        print(f"Cronium Desktop is already open on {data_dir}; brought it to the front.")
        return 0
    from cronium_desktop.ui.collector import GuiCollector

    GuiCollector(app)  # Qt objects in garbage cycles are destroyed on this thread only (heap.py)
    loop = QtLoop(app)
    asyncio.set_event_loop(loop)
    application = Application(data_dir, start_hidden=tray)

    async def main() -> None:
        # A logout or `kill` ends the app like Quit does (runs told, the store closed, no traceback;
        # asked while it starts, it stops once started), but asks nothing: see request_quit_unasked.
        import signal

        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, application.request_quit_unasked)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # Windows has no loop signal handlers; a console Ctrl+C stops the app there
        app.aboutToQuit.connect(application.request_quit_unasked)
        await application.start()
        # The process's start-up heap is frozen here, where the process is known to be the app's:
        # a start inside a longer-lived process (the tests start many) must leave its objects collectable.
        heap.settle(collect=True)
        await application.quit_event.wait()
        await application.stop()

    with loop:
        loop.run_until_complete(main())
    return 0
