"""The schedule builder: cron, interval or business day of the month, an optional calendar, the
schedule in words and the next ten runs, with the days a calendar skips or shifts marked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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
from cronium_desktop.engine.scheduling.calendar_schedules import describe as describe_calendar
from cronium_desktop.engine.scheduling.calendar_schedules import preview_runs
from cronium_desktop.engine.scheduling.schedules import UNITS, build_trigger, validate_schedule, zone
from cronium_desktop.ui.editor.schedule_calendar import BusinessDayPage, CalendarRow, NextRunsList

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

NEXT_RUNS = 10

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
        self.mode.addItems(["Cron expression", "Every…", "Business day of the month", "Last business day"])
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
        self.nth_business_day = BusinessDayPage(last=False, parent=self)
        self.last_business_day = BusinessDayPage(last=True, parent=self)
        self.pages.addWidget(self.nth_business_day)
        self.pages.addWidget(self.last_business_day)
        self.calendar = CalendarRow(self)
        self.calendars: dict[str, Any] = {}  # name → CalendarDays, from the engine (set_calendars)
        self.pages.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.pages.setFixedHeight(self.cron.sizeHint().height())
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.words = QLabel(self, wordWrap=True)
        self.upcoming = QLabel(self, wordWrap=True)
        self.upcoming.setObjectName("muted")
        self.next_runs = NextRunsList(self)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.mode)
        row.addWidget(self.pages, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.calendar)
        layout.addWidget(self.words)
        layout.addWidget(self.upcoming)
        layout.addWidget(self.next_runs)
        self.timezone: str | None = None
        self.start_time: datetime | None = None
        self.end_time: datetime | None = None
        self.mode.currentIndexChanged.connect(self.pages.setCurrentIndex)
        for signal in (self.mode.currentIndexChanged, self.cron.currentTextChanged, self.every.valueChanged,
                       self.unit.currentIndexChanged, self.nth_business_day.changed, self.last_business_day.changed,
                       self.calendar.changed):
            signal.connect(self._update)
        self._update()

    def schedule(self) -> dict[str, Any]:
        mode = self.mode.currentIndex()
        if mode >= 2:
            page = self.nth_business_day if mode == 2 else self.last_business_day
            return self.calendar.apply(page.schedule(), with_policy=False)
        if mode == 0:
            base: dict[str, Any] = {"cron": self.cron.currentText().strip()}
        else:
            base = {"every": self.every.value(), "unit": UNITS[self.unit.currentIndex()]}
        return self.calendar.apply(base, with_policy=True)

    def set_calendars(self, calendars: dict[str, Any]) -> None:
        """The calendars a schedule may name (name → days), loaded from the engine by the editor."""
        self.calendars = dict(calendars)
        self.calendar.set_names(list(calendars))
        self._update()

    def load_calendars(self, engine: Engine) -> None:
        """Fetch the engine's calendars off the GUI thread, then redraw the next runs with them."""
        service = engine.calendars
        from cronium_desktop.ui.common import spawn

        async def load() -> None:
            self.set_calendars(await service.all_days())

        spawn(load(), self, "Loading the calendars")

    def set_schedule(self, schedule: dict[str, Any] | None) -> None:
        if schedule:
            self.calendar.select(schedule.get("calendar"))
            policy = self.calendar.policy.findData(schedule.get("on_calendar_day", "SKIP"))
            self.calendar.policy.setCurrentIndex(max(policy, 0))
        if schedule and "business_day" in schedule:
            last = int(schedule["business_day"]) < 0
            self.mode.setCurrentIndex(3 if last else 2)
            (self.last_business_day if last else self.nth_business_day).load(schedule)
        elif schedule and "cron" in schedule:
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

    def _days(self, name: str) -> Any:
        from cronium_desktop.engine.calendar_days import EMPTY

        wanted = name.lower()
        return next((days for known, days in self.calendars.items() if known.lower() == wanted), EMPTY)

    def _update(self) -> None:
        self.calendar.set_policy_shown(self.mode.currentIndex() < 2)
        schedule = self.schedule()
        if "cron" in schedule:
            words = describe(schedule["cron"]) or ""
        elif "every" in schedule:
            words = f"Every {schedule['every']} {schedule['unit'].lower()}"
        else:
            words = ""
        extra = describe_calendar(schedule)
        self.words.setText("; ".join(part for part in (words, extra) if part))
        try:
            timezone = zone(self.timezone)
            spec = validate_schedule(schedule, timezone) or schedule
            trigger = build_trigger(spec, self.timezone, start_time=self.start_time, end_time=self.end_time,
                                    calendars=self._days)
            entries = preview_runs(trigger, datetime.now(timezone), NEXT_RUNS, self._days(spec.get("calendar") or ""))
        except ValidationError as error:
            self.upcoming.setText(f"⚠ {error.message}")
            self.next_runs.show_message("")
        else:
            zone_name = self.timezone or "this computer's zone"
            self.upcoming.setText(f"Next runs ({zone_name}):" if entries else "No run within the window.")
            self.next_runs.show_entries(entries, timezone, self._days(spec.get("calendar") or ""))
        self.changed.emit()

    @staticmethod
    def utc_now() -> datetime:
        return datetime.now(UTC)
