"""The schedule builder: interval or cron, the expression in words and the next five run times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.scheduling import UNITS, next_runs

PRESETS = ("*/5 * * * *", "0 * * * *", "0 9 * * 1-5", "30 2 * * *", "0 0 1 * *", "@daily", "*/30 * * * * *")


def describe(expression: str) -> str:
    """The cron expression in words (cron-descriptor), or '' when it cannot say."""
    from cron_descriptor import ExpressionDescriptor

    text = expression.strip()
    aliases = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
               "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"}
    text = aliases.get(text.lower(), text)
    try:
        return str(ExpressionDescriptor(text, use_24hour_time_format=True))
    except Exception:  # the engine's parser gives the real error message
        return ""


class ScheduleBuilder(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = QComboBox(self)
        self.mode.addItems(["Cron expression", "Every…"])
        self.cron = QComboBox(self, editable=True)
        self.cron.addItems(PRESETS)
        self.cron.setCurrentText("0 9 * * 1-5")
        self.cron.setMinimumWidth(220)
        self.every = QSpinBox(self, minimum=1, maximum=100000, value=15)
        self.unit = QComboBox(self)
        self.unit.addItems([unit.title() for unit in UNITS])
        self.unit.setCurrentIndex(1)
        interval = QWidget(self)
        interval_row = QHBoxLayout(interval)
        interval_row.setContentsMargins(0, 0, 0, 0)
        interval_row.addWidget(self.every)
        interval_row.addWidget(self.unit)
        interval_row.addStretch(1)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.cron)
        self.pages.addWidget(interval)
        self.pages.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.pages.setFixedHeight(self.cron.sizeHint().height())
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.words = QLabel(self, wordWrap=True)
        self.upcoming = QLabel(self, wordWrap=True)
        self.upcoming.setObjectName("muted")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.mode)
        row.addWidget(self.pages, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.words)
        layout.addWidget(self.upcoming)
        self.timezone: str | None = None
        self.start_time: datetime | None = None
        self.end_time: datetime | None = None
        self.mode.currentIndexChanged.connect(self.pages.setCurrentIndex)
        for signal in (self.mode.currentIndexChanged, self.cron.currentTextChanged, self.every.valueChanged,
                       self.unit.currentIndexChanged):
            signal.connect(self._update)
        self._update()

    def schedule(self) -> dict[str, Any]:
        if self.mode.currentIndex() == 0:
            return {"cron": self.cron.currentText().strip()}
        return {"every": self.every.value(), "unit": UNITS[self.unit.currentIndex()]}

    def set_schedule(self, schedule: dict[str, Any] | None) -> None:
        if schedule and "cron" in schedule:
            self.mode.setCurrentIndex(0)
            self.cron.setCurrentText(schedule["cron"])
        elif schedule:
            self.mode.setCurrentIndex(1)
            self.every.setValue(int(schedule["every"]))
            self.unit.setCurrentIndex(UNITS.index(schedule["unit"]))
        self._update()

    def set_context(self, timezone: str | None, start: datetime | None = None, end: datetime | None = None) -> None:
        self.timezone, self.start_time, self.end_time = timezone, start, end
        self._update()

    def _update(self) -> None:
        schedule = self.schedule()
        if "cron" in schedule:
            self.words.setText(describe(schedule["cron"]) or "")
        else:
            self.words.setText(f"Every {schedule['every']} {schedule['unit'].lower()}")
        try:
            runs = next_runs(schedule, self.timezone, 5, start_time=self.start_time, end_time=self.end_time)
        except ValidationError as error:
            self.upcoming.setText(f"⚠ {error.message}")
        else:
            zone_name = self.timezone or "this computer's zone"
            listed = "\n".join(r.strftime("%a %d %b %Y, %H:%M:%S") for r in runs) or "no run within the window"
            self.upcoming.setText(f"Next runs ({zone_name}):\n{listed}")
        self.changed.emit()

    @staticmethod
    def utc_now() -> datetime:
        return datetime.now(UTC)
