"""The Timeline page: ticks of a known schedule land at the right instants across a clock change,
past runs are bars that open their run, overlapping runs do not hide each other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QPointF, Qt

from cronium_desktop.engine.timeline import PastRun, TimelineWindow
from cronium_desktop.ui.timeline.page import TimelinePage
from cronium_desktop.ui.timeline.scene import LANE_HEIGHT
from tests.ui.conftest import SCREENSHOTS, run

# Europe/Berlin goes to summer time on Sunday 28 March 2027 at 01:00 UTC (02:00 → 03:00 local).
START = datetime(2027, 3, 27, 0, 0, tzinfo=UTC)
END = datetime(2027, 3, 30, 0, 0, tzinfo=UTC)


def noon_in_berlin(name: str = "Berlin noon") -> dict[str, Any]:
    return {"name": name, "type": "BASH", "content": "true", "status": "ACTIVE", "trigger": "SCHEDULE",
            "schedule": {"cron": "0 12 * * *"}, "timezone": "Europe/Berlin"}


def test_ticks_of_a_schedule_land_at_their_instants_across_the_clock_change(application: Any, loop: Any, qtbot: Any) -> None:
    engine = application.engine
    event_id = run(loop, engine.events.create(noon_in_berlin()))
    run(loop, engine.events.create({"name": "Every six hours", "type": "BASH", "content": "true", "status": "ACTIVE",
                                    "trigger": "SCHEDULE", "schedule": {"every": 6, "unit": "HOURS"},
                                    "start_time": "2027-03-26T22:00:00+00:00", "timezone": "Europe/Berlin"}))
    page = TimelinePage(engine)
    qtbot.addWidget(page)
    page.resize(1200, 500)
    page.show()
    window = run(loop, engine.timeline.window(START, END, now=START))
    page.show_window(window)

    lane = page.scene.by_key[("event", event_id)]
    # Noon in Berlin is 11:00 UTC in winter time and 10:00 UTC once summer time has started.
    expected = [datetime(2027, 3, 27, 11, tzinfo=UTC), datetime(2027, 3, 28, 10, tzinfo=UTC),
                datetime(2027, 3, 29, 10, tzinfo=UTC)]
    assert lane.tick_times == expected
    assert lane.tick_x == [(moment - START).total_seconds() for moment in expected]
    # On screen: the gap across the change is an hour shorter than a day, drawn to scale.
    xs = [page.view.mapFromScene(QPointF(x, 0)).x() for x in lane.tick_x]
    pixels_per_hour = page.view.pixels_per_second * 3600
    assert abs((xs[1] - xs[0]) - 23 * pixels_per_hour) <= 1
    assert abs((xs[2] - xs[1]) - 24 * pixels_per_hour) <= 1

    # An interval of hours is absolute time: every six hours, whatever the clock says.
    six = page.scene.by_key[("event", run(loop, engine.events.get("Every six hours"))["id"])].tick_x
    gaps = {round(b - a) for a, b in zip(six, six[1:], strict=False)}
    assert gaps == {6 * 3600}

    [change] = window.clock_changes
    assert change.at == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert "summer time starts (+1 h)" in change.label
    [line] = page.scene.clock_lines
    assert line.line().x1() == (change.at - START).total_seconds()
    assert page.summary.text().endswith("1 clock change(s)")


def test_a_click_on_a_tick_opens_the_event_and_on_a_bar_the_run(application: Any, loop: Any, qtbot: Any) -> None:
    engine = application.engine
    event_id = run(loop, engine.events.create(noon_in_berlin()))
    page = TimelinePage(engine)
    qtbot.addWidget(page)
    page.resize(1200, 400)
    page.show()
    window: TimelineWindow = run(loop, engine.timeline.window(START, END, now=START))
    # Two past runs that overlap, and one after them, drawn on the event's lane.
    window.runs = [PastRun("event", event_id, 41, "SUCCESS", START + timedelta(hours=1), START + timedelta(hours=3)),
                   PastRun("event", event_id, 42, "FAILURE", START + timedelta(hours=2), START + timedelta(hours=4)),
                   PastRun("event", event_id, 43, "TIMEOUT", START + timedelta(hours=5), START + timedelta(hours=6))]
    page.show_window(window)
    lane = page.scene.by_key[("event", event_id)]
    bars = lane.bars
    assert bars[0].rect.top() != bars[1].rect.top()  # overlapping runs stack: both visible
    assert bars[0].rect.top() == bars[2].rect.top()
    assert lane.colours[bars[1].status] != lane.colours[bars[0].status]  # coloured by result

    with qtbot.waitSignal(page.showRun) as opened:
        qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=page.view.mapFromScene(bars[1].rect.center()))
    assert opened.args == [42]
    with qtbot.waitSignal(page.showEvent) as opened:
        qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=page.view.mapFromScene(QPointF(lane.tick_x[0], LANE_HEIGHT / 2)))
    assert opened.args == [event_id]


def test_timeline_screenshot(application: Any, loop: Any, qtbot: Any) -> None:
    """The page as a user sees it, saved to be looked at: lanes, ticks, bars, a clock change."""
    engine = application.engine
    names = ["Berlin noon", "Nightly backup", "Sales report", "Health ping", "Invoices", "Log rotation"]
    schedules = [{"cron": "0 12 * * *"}, {"cron": "30 2 * * *"}, {"cron": "0 9 * * 1-5"}, {"every": 45, "unit": "MINUTES"},
                 {"cron": "15 */4 * * *"}, {"cron": "0 0 * * *"}]
    ids = [run(loop, engine.events.create({**noon_in_berlin(name), "schedule": schedule}))
           for name, schedule in zip(names, schedules, strict=True)]
    page = TimelinePage(engine)
    qtbot.addWidget(page)
    page.resize(1400, 420)
    page.show()
    now = datetime(2027, 3, 27, 18, 0, tzinfo=UTC)
    window = run(loop, engine.timeline.window(START, END, now=now))
    statuses = ["SUCCESS", "FAILURE", "SUCCESS", "TIMEOUT", "SUCCESS", "PARTIAL"]
    window.runs = [PastRun("event", ids[i % len(ids)], i, statuses[i % 6], START + timedelta(minutes=50 * i),
                           START + timedelta(minutes=50 * i + 20 + 40 * (i % 3))) for i in range(21)]
    page.show_window(window)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "timeline-dst.png"
    assert page.grab().save(str(path))


def test_calendar_days_are_shaded_and_a_run_moved_off_one_is_marked(application: Any, loop: Any, qtbot: Any) -> None:
    engine = application.engine
    run(loop, engine.calendars.save({"name": "Plant", "country": None}))
    run(loop, engine.calendars.add_dates("Plant", [{"start": "2027-03-29", "end": "2027-03-29",
                                                     "name": "Plant shutdown"}]))
    event_id = run(loop, engine.events.create({
        **noon_in_berlin("Monday report"),
        "schedule": {"cron": "0 9 * * 1", "calendar": "Plant", "on_calendar_day": "NEXT_BUSINESS_DAY"}}))
    start, end = datetime(2027, 3, 27, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)
    window = run(loop, engine.timeline.window(start, end, now=start))
    [lane] = [lane for lane in window.lanes if lane.id == event_id]
    # Monday 29 March is a plant shutdown: the run moves to Tuesday 09:00 in Berlin (07:00 UTC, summer time).
    tuesday = datetime(2027, 3, 30, 7, tzinfo=UTC)
    assert lane.ticks == [tuesday] and lane.shifted == [tuesday]
    assert lane.calendar_days == [(datetime(2027, 3, 28, 22, tzinfo=UTC), datetime(2027, 3, 29, 22, tzinfo=UTC),
                                   "Plant shutdown")]
    page = TimelinePage(engine)
    qtbot.addWidget(page)
    page.resize(1400, 300)
    page.show()
    page.show_window(window)
    item = page.scene.by_key[("event", event_id)]
    assert item.day_spans == [((datetime(2027, 3, 28, 22, tzinfo=UTC) - start).total_seconds(),
                               (datetime(2027, 3, 29, 22, tzinfo=UTC) - start).total_seconds(), "Plant shutdown")]
    assert item.shifted_x == {(tuesday - start).total_seconds()}
    assert "Plant shutdown" in item.toolTip()
    assert "1 moved off calendar days" in page.summary.text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert page.grab().save(str(SCREENSHOTS / "timeline-calendar.png"))
