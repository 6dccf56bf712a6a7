"""EngineBridge: engine notices → queued Qt signals, log lines coalesced every 50 ms.

The engine publishes on the asyncio loop (which, under qasync, is the GUI thread); a script printing
100,000 lines a second still reaches the widgets as a handful of batches per second.
"""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QObject, QTimer, Signal

from cronium_desktop.engine import notices as n
from cronium_desktop.engine.alerts import RunAlerted
from cronium_desktop.ui.runs.log_model import LineColumns

FLUSH_MS = 50


class EngineBridge(QObject):
    runQueued = Signal(int)  # execution id
    runStarted = Signal(int)
    runFinished = Signal(int, str, str)  # execution id, status, event name
    # execution id, LineColumns: an object, not a list, so Qt hands it over instead of converting
    # each line into a QVariant (100,000 lines took 370 ms).
    logLines = Signal(int, object)
    eventsChanged = Signal()
    workflowsChanged = Signal()
    variablesChanged = Signal()
    settingsChanged = Signal()  # by another process (the CLI)
    toolsChanged = Signal()
    nodeStateChanged = Signal(int, str, str, int)  # workflow execution, node key, status, execution id (0 = none)
    workflowRunFinished = Signal(int, str)
    serverStatusChanged = Signal(int, str)
    message = Signal(str, str)  # level, text
    runAlerted = Signal(object)  # engine.alerts.RunAlerted: a late or slow run

    def __init__(self, bus: n.NoticeBus) -> None:
        super().__init__()
        self._pending: dict[int, LineColumns] = defaultdict(LineColumns)
        self._timer = QTimer(self, interval=FLUSH_MS, singleShot=True)
        self._timer.timeout.connect(self.flush)
        self._unsubscribe = bus.subscribe(self._on_notice)

    def close(self) -> None:
        self._unsubscribe()

    def _on_notice(self, notice: n.Notice) -> None:
        if isinstance(notice, n.LogLines):
            pending = self._pending[notice.execution_id]
            for segment in notice.segments:
                pending.add(segment.ts, segment.stream, segment.texts)
            if not self._timer.isActive():
                self._timer.start()
        elif isinstance(notice, n.RunQueued):
            self.runQueued.emit(notice.execution_id)
        elif isinstance(notice, n.RunStarted):
            self.runStarted.emit(notice.execution_id)
        elif isinstance(notice, n.RunFinished):
            self.flush()
            self.runFinished.emit(notice.execution_id, notice.status, notice.event_name)
        elif isinstance(notice, n.EventsChanged | n.EventPaused | n.ScheduleChanged):
            self.eventsChanged.emit()
        elif isinstance(notice, n.WorkflowsChanged):
            self.workflowsChanged.emit()
        elif isinstance(notice, n.VariablesChanged):
            self.variablesChanged.emit()
        elif isinstance(notice, n.SettingsChanged):
            self.settingsChanged.emit()
        elif isinstance(notice, n.ToolsChanged):
            self.toolsChanged.emit()
        elif isinstance(notice, n.NodeStateChanged):
            self.nodeStateChanged.emit(notice.workflow_execution_id, notice.node_key, notice.status, notice.execution_id or 0)
        elif isinstance(notice, n.WorkflowRunFinished):
            self.workflowRunFinished.emit(notice.workflow_execution_id, notice.status)
        elif isinstance(notice, n.ServerStatusChanged):
            self.serverStatusChanged.emit(notice.server_id, notice.status)
        elif isinstance(notice, n.Message):
            self.message.emit(notice.level, notice.text)
        elif isinstance(notice, RunAlerted):
            self.runAlerted.emit(notice)

    def flush(self) -> None:
        pending, self._pending = self._pending, defaultdict(LineColumns)
        for execution_id, lines in pending.items():
            self.logLines.emit(execution_id, lines)
