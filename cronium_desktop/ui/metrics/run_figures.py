"""A run's figures (CPU, peak memory, I/O, the ending signal) and a bar of its phases drawn to scale."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cronium_desktop.engine.metrics import human_bytes, human_seconds
from cronium_desktop.ui.theme import colour

# phase → (label, colour): queued waits, start-up is until the first output, then running, then actions
PHASES = {"queued": ("Queued", "#9aa5b1"), "starting": ("Start-up", "#f0b429"),
          "running": ("Running", "#3e7bfa"), "actions": ("Actions", "#8e5cd9")}


class PhaseBar(QWidget):
    """One horizontal bar split into the run's phases, each as wide as its share of the total time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spans: dict[str, float] = {}
        self.setMinimumHeight(22)

    def sizeHint(self) -> QSize:
        return QSize(400, 22)

    def set_spans(self, spans: dict[str, float]) -> None:
        self.spans = spans
        self.setToolTip(" · ".join(f"{PHASES[name][0]} {seconds:.2f} s" for name, seconds in spans.items()))
        self.update()

    def widths(self, total_width: float) -> dict[str, float]:
        """Each phase's width in pixels for a bar `total_width` wide (to scale)."""
        total = sum(self.spans.values())
        if total <= 0:
            return {name: 0.0 for name in self.spans}
        return {name: total_width * seconds / total for name, seconds in self.spans.items()}

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour("border")))
        painter.drawRoundedRect(QRectF(0, 0, self.width(), self.height()), 4, 4)
        x = 0.0
        for name, width in self.widths(self.width()).items():
            if width <= 0:
                continue
            painter.setBrush(QColor(PHASES[name][1]))
            painter.drawRect(QRectF(x, 0, width, self.height()))
            x += width
        painter.end()


class RunFigures(QWidget):
    """The Resources tab of a run: phases (bar + seconds each) and the figures, "—" where not measured."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel(self, objectName="muted", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        self.bar = PhaseBar(self)
        self.legend: dict[str, QLabel] = {}
        legend = QHBoxLayout()
        for name, (label, tint) in PHASES.items():
            text = QLabel(self)
            text.setText(f"<span style='color:{tint}'>■</span> {label}")
            self.legend[name] = text
            legend.addWidget(text)
        legend.addStretch(1)
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, title in (("cpu", "CPU"), ("memory", "Peak memory"), ("io", "I/O"), ("signal", "Ended by"),
                           ("limit", "Limit")):
            value = QLabel("—", self, wordWrap=True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            form.addRow(title, value)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.note)
        layout.addWidget(self.bar)
        layout.addLayout(legend)
        layout.addLayout(form)
        layout.addStretch(1)
        self.show_run(None)

    def show_run(self, measured: Any) -> None:
        """`measured`: the run's `MeasuredRun` (its last attempt), or None while running / not measured."""
        if measured is None:
            self.note.setText("Figures appear when the run has finished.")
            self.bar.set_spans({})
            for name in PHASES:
                self.legend[name].setText(f"<span style='color:{PHASES[name][1]}'>■</span> {PHASES[name][0]}")
            for value in self.values.values():
                value.setText("—")
            return
        spans = measured.phases.spans()
        self.note.setText(f"Attempt {measured.attempt}: where the time went, and what the run used "
                          "(— : not told where it ran).")
        self.bar.set_spans(spans)
        for name, seconds in spans.items():
            self.legend[name].setText(f"<span style='color:{PHASES[name][1]}'>■</span> {PHASES[name][0]} {seconds:.2f} s")
        f = measured.figures
        self.values["cpu"].setText(f"{human_seconds(f.get('cpu_user_s'))} user, {human_seconds(f.get('cpu_system_s'))} system")
        self.values["memory"].setText(human_bytes(f.get("max_rss_bytes")))
        self.values["io"].setText(f"{human_bytes(f.get('read_bytes'))} read, {human_bytes(f.get('write_bytes'))} written")
        self.values["signal"].setText(f.get("signal") or "—")
        self.values["limit"].setText(measured.limit_reason or "—")
