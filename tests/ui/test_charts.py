"""The Dashboard's and the trend's charts: a bar under the pointer says what it is, a click on it says
which one, the space between bars is no bar, and the value axis reads in round numbers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

from cronium_desktop.ui.charts import Chart, nice_ticks, tick_text, whole_step


def test_the_value_axis_reads_in_round_numbers() -> None:
    assert nice_ticks(0, 105) == [0, 25, 50, 75, 100]
    assert [tick_text(t, 0.2) for t in nice_ticks(0, 1.0)] == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert [tick_text(t, 200) for t in nice_ticks(380, 1260)] == ["400", "600", "800", "1000", "1200"]
    assert [tick_text(t, 0.25) for t in nice_ticks(0, 1.1)] == ["0.00", "0.25", "0.50", "0.75", "1.00"]
    assert nice_ticks(3, 3) == [3]


def test_the_runs_axis_counts_in_round_whole_numbers() -> None:
    # 50 runs in a day read 0, 20, 40 (it read 0, 13, 26, 39); a few runs read one by one
    assert [whole_step(top) for top in (0, 3, 7, 13, 50, 90, 200, 1000)] == [1, 1, 2, 5, 20, 25, 50, 250]


def test_a_bar_answers_the_pointer_and_the_click(qapp: QApplication) -> None:
    chart = Chart("Runs per day")
    chart.resize(400, 200)
    chart.set_x_range(-0.5, 4.5)
    chart.add("bars", [1, 3], [2, 5], "#2563eb")
    chart.tip = lambda index: f"bar {index}" if index in (1, 3) else ""
    chart.setToolTip("Click a bar.")
    chart.show()
    clicked: list[int] = []
    chart.barClicked.connect(clicked.append)

    on_bar = chart.point_of(3, 1).toPoint()
    between = chart.point_of(2.5, 1).toPoint()
    assert chart.bar_at(chart.point_of(3, 1)) == 3
    assert chart.bar_at(chart.point_of(2.5, 1)) is None
    assert chart.bar_at(chart.point_of(3, -1)) is None  # below the axis: outside the plot

    def tooltip_at(point: QPoint) -> str:
        QApplication.sendEvent(chart, QHelpEvent(QEvent.Type.ToolTip, point, chart.mapToGlobal(point)))
        return QToolTip.text() if QToolTip.isVisible() else ""

    assert tooltip_at(on_bar) == "bar 3"
    assert tooltip_at(between) == "Click a bar."  # off a bar: what the chart is for
    QTest.mouseClick(chart, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, between)
    QTest.mouseClick(chart, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, on_bar)
    assert clicked == [3]
    chart.close()


def test_a_line_and_its_marks_count_their_points(qapp: Any) -> None:
    chart = Chart("Duration (s)")
    chart.add("line", [0, 1, 2, 3], [20.0, 22.5, 21.0, 25.0], "#1a7f37")
    chart.add("marks", [2], [21.0], "#cf222e", marker="x")
    assert (chart.points("line"), chart.points("marks")) == (4, 1)
    frame = chart.frame()
    (x_low, x_high), (y_low, y_high) = frame.x_range, frame.y_range
    assert x_low < 0 < 3 < x_high and y_low < 20 < 25 < y_high  # fitted to the data, with a margin
    chart.clear()
    assert chart.points("line") == 0
