"""The Run tab's optional limits of a local run: memory (MB) and CPU time (seconds), POSIX only.

Applied with `ulimit` by a shell that then becomes the script (every process of the run gets them); a run stopped by
one says so in words, as a container at its memory limit does. Settings → Runs says where they hold.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

HONOURED = sys.platform != "win32"
PLATFORMS_NOTE = ("Local run limits (memory, CPU seconds) are applied on Linux and macOS, to each process "
                  "of a run; Windows does not honour them. A run stopped by one says which limit it hit.")


class LocalLimits(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.memory_mb = QSpinBox(minimum=0, maximum=1024 * 1024, singleStep=128, suffix=" MB",  # type: ignore[call-arg]  # Qt property keyword
                                  specialValueText="no memory limit")
        self.cpu_seconds = QSpinBox(minimum=0, maximum=7 * 24 * 3600, singleStep=10, suffix=" s CPU",  # type: ignore[call-arg]  # Qt property keyword
                                    specialValueText="no CPU limit")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.memory_mb)
        row.addWidget(self.cpu_seconds)
        row.addStretch(1)
        if not HONOURED:
            row.addWidget(QLabel("(not honoured on Windows)", self, objectName="muted"))  # type: ignore[call-overload]  # Qt property keyword
            self.setEnabled(False)
        self.setToolTip(PLATFORMS_NOTE)

    def load(self, event: dict[str, Any]) -> None:
        self.memory_mb.setValue(int(event["limit_memory_mb"] or 0))
        self.cpu_seconds.setValue(int(event["limit_cpu_seconds"] or 0))

    def value(self) -> dict[str, int | None]:
        """0 in a box is no limit; below the smallest allowed memory limit is refused on save, by name."""
        return {"limit_memory_mb": self.memory_mb.value() or None, "limit_cpu_seconds": self.cpu_seconds.value() or None}
