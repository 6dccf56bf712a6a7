"""The Timeline page: what runs when over the next 24 hours or 7 days, and what already ran.

Every active schedule (events and workflows) is a lane with a tick at each coming run; past runs
are bars coloured by result, overlapping runs stacked; clock changes (DST) are dashed lines named
on the axis. Ctrl+wheel zooms, dragging pans; a click on a bar opens the run, on a tick the event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QLabel, QPushButton, QVBoxLayout, QWidget

from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.common import header, spawn
from cronium_desktop.ui.timeline.scene import TimelineScene
from cronium_desktop.ui.timeline.view import TimelineView

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

SPANS = {"24 hours": timedelta(hours=24), "7 days": timedelta(days=7)}
PAST = {"24 hours": timedelta(hours=3), "7 days": timedelta(hours=12)}  # recent runs shown before now


class TimelinePage(QWidget):
    showRun = Signal(int)  # an event's execution
    showEvent = Signal(int)  # type: ignore[assignment]  # an event to open; shadows QWidget.showEvent, which the page does not handle
    showWorkflow = Signal(int)
    message = Signal(str)

    def __init__(self, engine: Engine, bridge: EngineBridge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.span = "24 hours"
        self.scene = TimelineScene(self)
        self.view = TimelineView(self.scene, self)
        self.view.runClicked.connect(self._run_clicked)
        self.view.laneClicked.connect(self._lane_clicked)
        self.buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        for name in SPANS:
            button = QPushButton(name, checkable=True, checked=name == self.span)  # type: ignore[call-overload]  # Qt property keyword
            button.clicked.connect(lambda _checked=False, name=name: self.set_span(name))
            group.addButton(button)
            self.buttons[name] = button
        now_button = QPushButton("Now")
        now_button.setToolTip("Scroll back to the present")
        now_button.clicked.connect(lambda: self.view.scroll_to(datetime.now(UTC) - PAST[self.span] / 3))
        self.summary = QLabel("", objectName="muted")  # type: ignore[call-overload]  # Qt property keyword
        hint = QLabel("Ctrl+wheel zooms · drag to pan · click a bar or a tick", objectName="muted")  # type: ignore[call-overload]  # Qt property keyword
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Timeline", *self.buttons.values(), now_button))
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addWidget(hint)
        self.loaded: Any = None
        if bridge is not None:
            bridge.eventsChanged.connect(self.refresh)
            bridge.workflowsChanged.connect(self.refresh)

    def set_span(self, name: str) -> None:
        self.span = name
        self.buttons[name].setChecked(True)
        self.refresh()

    def refresh(self) -> None:
        spawn(self.load(), self, "Loading the timeline")

    async def load(self, now: datetime | None = None) -> None:
        """Read the window for the chosen span from the engine and draw it."""
        now = now or datetime.now(UTC)
        start, end = now - PAST[self.span], now + SPANS[self.span]
        window = await self.engine.timeline.window(start, end, now=now)
        self.show_window(window)

    def show_window(self, window: Any) -> None:
        self.loaded = window
        self.scene.load(window)
        total = (window.end - window.start).total_seconds()
        self.view.show_span(window.start, total)
        self.view.axis.update()
        self.view.names.update()
        ticks = sum(len(lane.ticks) for lane in window.lanes)
        changes = f" · {len(window.clock_changes)} clock change(s)" if window.clock_changes else ""
        moved = sum(len(lane.shifted) for lane in window.lanes)
        moved_text = f" · {moved} moved off calendar days (dashed)" if moved else ""
        self.summary.setText(f"{len(window.lanes)} lanes · {ticks} coming runs · {len(window.runs)} past runs"
                             f"{moved_text}{changes}")

    def _run_clicked(self, kind: str, run_id: int, lane_id: int) -> None:
        if kind == "event":
            self.showRun.emit(run_id)
        else:  # a workflow run: its workflow, where its runs are
            self.showWorkflow.emit(lane_id)

    def _lane_clicked(self, kind: str, lane_id: int) -> None:
        (self.showEvent if kind == "event" else self.showWorkflow).emit(lane_id)
