"""Draw a Timeline of 2,000 schedules and pan across it.

Lanes get fire times from the engine's own expansion (engine/timeline.py: cron and interval
schedules in several zones, over 24 hours or 7 days) and a few past runs each, some overlapping.
Prints the time to expand and draw, and the frame time while panning (horizontally and
vertically, as Qt paints it and as a full redraw of the viewport), beside a floor measured in the
same run: the same view with an empty timeline. Target: ≤ 16 ms per frame.

    ./dev bench timeline [--events 2000] [--frames 120] [--span 24|168]
    xvfb-run -a env QT_QPA_PLATFORM=xcb .venv/bin/python bench/timeline.py   # the real platform
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

SCHEDULES = ({"cron": "0 * * * *"}, {"cron": "*/15 * * * *"}, {"cron": "30 2 * * *"}, {"every": 45, "unit": "MINUTES"},
             {"cron": "0 9 * * 1-5"}, {"every": 4, "unit": "HOURS"}, {"cron": "*/5 8-18 * * *"})
ZONES = ("Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo")
STATUSES = ("SUCCESS", "SUCCESS", "SUCCESS", "FAILURE", "TIMEOUT", "PARTIAL")


def build_window(events: int, span_hours: int) -> object:
    from cronium_desktop.engine.timeline import Expander, Lane, PastRun, TimelineWindow, clock_changes

    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(hours=3), now + timedelta(hours=span_hours)
    lanes, runs = [], []
    expander = Expander(now, end)  # as TimelineService.window: a cron schedule expanded once per zone
    for i in range(events):
        zone = ZONES[i % len(ZONES)]
        ticks, truncated = expander.fires(SCHEDULES[i % len(SCHEDULES)], zone, anchor=now - timedelta(minutes=i % 60))
        lanes.append(Lane("event", i, f"Event {i:04d}", zone, ticks, truncated))
        for r in range(4):  # a few past runs, the second overlapping the first
            begin = start + timedelta(minutes=20 + 35 * r + i % 17)
            runs.append(PastRun("event", i, i * 10 + r, STATUSES[(i + r) % len(STATUSES)], begin,
                                begin + timedelta(minutes=25 if r == 0 else 6)))
    changes = [c for zone in ZONES for c in clock_changes(zone, start, end)]
    return TimelineWindow(start, end, now, lanes, runs, changes)


def pan(app: QApplication, view: object, frames: int, dx: int, dy: int, full: bool) -> list[float]:
    times = []
    for frame in range(frames):
        sign = 1 if (frame // 40) % 2 == 0 else -1
        begin = time.perf_counter()
        bar_x, bar_y = view.horizontalScrollBar(), view.verticalScrollBar()  # type: ignore[attr-defined]
        bar_x.setValue(bar_x.value() + sign * dx)
        bar_y.setValue(bar_y.value() + sign * dy)
        if full:  # the worst case: every pixel of the viewport painted again
            view.viewport().repaint()  # type: ignore[attr-defined]
        app.processEvents()
        times.append((time.perf_counter() - begin) * 1000)
    return sorted(times)


def describe(times: list[float]) -> str:
    p95 = times[int(len(times) * 0.95) - 1]
    return f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, worst {times[-1]:.1f} ms"


def main(events: int, frames: int, span_hours: int) -> None:
    from cronium_desktop.engine.timeline import Lane, TimelineWindow
    from cronium_desktop.ui import theme
    from cronium_desktop.ui.timeline.scene import TimelineScene
    from cronium_desktop.ui.timeline.view import TimelineView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app, "light")
    began = time.perf_counter()
    window = build_window(events, span_hours)
    expand_ms = (time.perf_counter() - began) * 1000
    assert isinstance(window, TimelineWindow)
    ticks = sum(len(lane.ticks) for lane in window.lanes)

    views = {}
    # The floor: the same lanes with nothing on them (names, stripes, scrolling), in the same view.
    bare = [Lane(lane.kind, lane.id, lane.name, lane.zone) for lane in window.lanes]
    for name, shown in (("floor (the lanes, empty)", TimelineWindow(window.start, window.end, window.now, bare, [], [])),
                        (f"{events} schedules", window)):
        scene = TimelineScene()
        view = TimelineView(scene)
        view.resize(1600, 900)
        view.show()
        app.processEvents()
        began = time.perf_counter()
        scene.load(shown)
        view.show_span(window.start, 6 * 3600)  # six hours across the screen: zoomed in, as one reads it
        view.viewport().repaint()
        draw_ms = (time.perf_counter() - began) * 1000
        views[name] = (scene, view, draw_ms)

    print(f"platform: {app.platformName()}; {events} lanes, {ticks} coming runs, {len(window.runs)} past runs, "
          f"{len(window.clock_changes)} clock changes over {span_hours} h")
    print(f"expand the schedules (engine/timeline.py): {expand_ms:.0f} ms")
    for name, (_scene, _view, draw_ms) in views.items():
        print(f"build items + first frame, {name}: {draw_ms:.0f} ms")
    for how, full in (("as Qt paints it", False), ("full redraw", True)):
        for direction, dx, dy in (("across time", 24, 0), ("down the lanes", 0, 18)):
            floor = pan(app, views["floor (the lanes, empty)"][1], frames, dx, dy, full)
            loaded = pan(app, views[f"{events} schedules"][1], frames, dx, dy, full)
            print(f"pan {direction}, {how}: {describe(loaded)} per frame "
                  f"(floor {describe(floor)}; target ≤ 16 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--span", type=int, default=24, help="hours ahead: 24 or 168 (7 days)")
    arguments = parser.parse_args()
    main(arguments.events, arguments.frames, arguments.span)
