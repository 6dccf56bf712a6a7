"""The log model keeps every line in order across its storage chunks, and out of the cycle collector's way."""

from __future__ import annotations

import gc
import os
from datetime import datetime

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402

from cronium_desktop.ui.runs.log_model import CHUNK_ROWS, LineColumns, LogModel  # noqa: E402


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
