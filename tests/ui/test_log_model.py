"""The log model keeps every line in order across its storage chunks, and out of the cycle collector's way;
the log view shows a flood a frame at a time and keeps every line."""

from __future__ import annotations

import gc
import os
from datetime import datetime
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402

from cronium_desktop.ui.runs.log_model import CHUNK_ROWS, LineColumns, LogModel, StreamRole, TimeRole  # noqa: E402
from cronium_desktop.ui.runs.log_view import LINES_PER_FRAME, LogView  # noqa: E402


def test_lines_across_chunk_boundaries_show_search_and_copy_in_order(qapp: object) -> None:
    model = LogModel()
    total = CHUNK_ROWS * 2 + 10
    stamp = datetime(2026, 12, 1, 8, 0, 0)
    for start in range(0, total, 1000):  # batches as the bridge delivers them
        model.append_lines(LineColumns.of((stamp, "stderr" if n % 7 == 0 else "stdout", f"line {n}")
                                          for n in range(start, min(start + 1000, total))))
    assert model.rowCount() == total
    for row in (0, CHUNK_ROWS - 1, CHUNK_ROWS, CHUNK_ROWS * 2, total - 1):
        assert model.data(model.index(row, 1), Qt.ItemDataRole.DisplayRole) == f"line {row}"
    assert model.find("line 8200", 0) == 8200
    assert model.find("line 3", CHUNK_ROWS * 2, forward=True) == 3  # wraps around to the start
    assert model.text_of([CHUNK_ROWS - 1, CHUNK_ROWS]) == f"line {CHUNK_ROWS - 1}\nline {CHUNK_ROWS}"
    gc.collect()
    sealed = model._texts._sealed  # a million lines must not be walked at every full collection
    assert len(sealed) == 2 and not any(gc.is_tracked(chunk) for chunk in sealed)


def test_a_flood_is_shown_a_frame_at_a_time_keeping_every_line_in_order(qtbot: Any) -> None:
    """Batches bigger than a frame are cut across frames; a line keeps its stream and time."""
    view = LogView()
    qtbot.addWidget(view)
    first, second = datetime(2026, 12, 1, 8, 0, 0), datetime(2026, 12, 1, 8, 0, 1)
    total = LINES_PER_FRAME * 2 + 123
    sent = LineColumns()
    sent.add(first, "stdout", [f"out {n}" for n in range(LINES_PER_FRAME + 7)])
    view.append(sent)
    rest = LineColumns()
    rest.add(second, "stderr", [f"err {n}" for n in range(total - LINES_PER_FRAME - 7)])
    view.append(rest)
    assert view.model.rowCount() < total  # not all in one go: the window stays responsive
    qtbot.waitUntil(lambda: view.queued == 0, timeout=5000)
    model = view.model
    assert model.rowCount() == total and view.count.text() == f"{total:,} lines"
    texts = [model.data(model.index(row, 1)) for row in range(total)]
    assert texts == [f"out {n}" for n in range(LINES_PER_FRAME + 7)] + [f"err {n}" for n in range(total - LINES_PER_FRAME - 7)]
    assert model.data(model.index(LINES_PER_FRAME + 6, 1), StreamRole) == "stdout"
    assert model.data(model.index(LINES_PER_FRAME + 7, 1), StreamRole) == "stderr"
    assert model.data(model.index(total - 1, 1), TimeRole) == second
