"""The event editor's container settings (SPEC §1 `container`), shown when an event runs in Docker.

The image combo lists the engine's local images and stays editable; "Pull image" pulls the named
image in a worker thread and shows each step beside the button. Docker is asked only off the GUI
thread, and a Docker that does not answer is a line of text here, never a stalled window.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)

from cronium_desktop.engine.docker_engine import DockerUnavailable, PullFailed
from cronium_desktop.engine.executors.container_config import (
    DEFAULT_IMAGES,
    DEFAULTS,
    MAX_CPUS,
    MAX_MEMORY_MB,
    MAX_PIDS,
    MIN_MEMORY_MB,
    NETWORKS,
)
from cronium_desktop.ui.common import spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

# Local images whose name says they suit the type come first in the image list.
TYPE_WORDS = {"BASH": ("bash", "busybox", "alpine", "debian", "ubuntu"), "PYTHON": ("python",), "NODEJS": ("node",)}
NETWORK_TITLES = {"none": "None (no network)", "bridge": "Bridge (Docker's default)", "host": "Host's network"}


class ContainerSettings(QWidget):
    """Image, memory, CPUs, PIDs and network of one event; `value()` is its `container` dict."""

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.event_type = "BASH"
        self.image = QComboBox(editable=True)
        self.image.setMinimumWidth(260)
        self.memory = QSpinBox(minimum=MIN_MEMORY_MB, maximum=MAX_MEMORY_MB, value=DEFAULTS["memory_mb"], suffix=" MB")
        self.cpus = QDoubleSpinBox(minimum=0.01, maximum=MAX_CPUS, decimals=2, value=DEFAULTS["cpus"], singleStep=0.5)
        self.pids = QSpinBox(minimum=1, maximum=MAX_PIDS, value=DEFAULTS["pids"])
        self.network = QComboBox()
        for network in NETWORKS:
            self.network.addItem(NETWORK_TITLES[network], network)
        self.network.setCurrentIndex(self.network.findData(DEFAULTS["network"]))
        self.pull_button = QPushButton("Pull image")
        self.pull_button.clicked.connect(self.pull)
        self.progress = QProgressBar(maximumWidth=120, textVisible=False)  # type: ignore[call-arg]  # Qt property keyword
        self.progress.setRange(0, 0)  # busy: a pull reports steps, not a total
        self.progress.hide()
        self.status = QLabel(wordWrap=True)
        image_row = QWidget()
        row = QHBoxLayout(image_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.image, 1)
        row.addWidget(self.pull_button)
        row.addWidget(self.progress)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Image", image_row)
        form.addRow("", self.status)
        form.addRow("Memory", self.memory)
        form.addRow("CPUs", self.cpus)
        form.addRow("Processes (PIDs)", self.pids)
        form.addRow("Network", self.network)
        self._pulling: asyncio.Future[Any] | None = None

    def load(self, container: dict[str, Any] | None, event_type: str) -> None:
        given = container or {}
        self.set_type(event_type)
        self.image.setEditText(given.get("image", ""))
        self.memory.setValue(int(given.get("memory_mb", DEFAULTS["memory_mb"])))
        self.cpus.setValue(float(given.get("cpus", DEFAULTS["cpus"])))
        self.pids.setValue(int(given.get("pids", DEFAULTS["pids"])))
        self.network.setCurrentIndex(max(0, self.network.findData(given.get("network", DEFAULTS["network"]))))

    def set_type(self, event_type: str) -> None:
        """The placeholder names the default image for the type (from Settings)."""
        self.event_type = event_type
        images = dict(self.engine.settings.get("container_images") or {})
        default = images.get(event_type) or DEFAULT_IMAGES.get(event_type, "")
        line = self.image.lineEdit()
        if line is not None:
            line.setPlaceholderText(f"default: {default}" if default else "")

    def value(self) -> dict[str, Any]:
        container: dict[str, Any] = {}
        if self.image.currentText().strip():
            container["image"] = self.image.currentText().strip()
        container.update(memory_mb=self.memory.value(), cpus=round(self.cpus.value(), 2), pids=self.pids.value(),
                         network=self.network.currentData())
        return container

    def refresh_images(self) -> None:
        """List the engine's local images in the combo (in the background)."""

        async def refresh() -> None:
            try:
                images = await asyncio.to_thread(self.engine.docker.local_images)
            except DockerUnavailable as error:
                self.status.setText(str(error))
                return
            words = TYPE_WORDS.get(self.event_type, ())
            images = sorted(images, key=lambda name: not any(word in name.rsplit("/", 1)[-1] for word in words))
            typed = self.image.currentText()
            self.image.blockSignals(True)
            self.image.clear()
            self.image.addItems(images)
            self.image.setEditText(typed)
            self.image.blockSignals(False)
            if not self.status.text():
                self.status.setText(f"{len(images)} local image(s)." if images else "No local images yet.")

        spawn(refresh(), self, "Listing Docker images")

    def pull(self) -> None:
        if self._pulling is not None and not self._pulling.done():
            return
        line_edit = self.image.lineEdit()
        assert line_edit is not None  # the image box is editable
        image = self.image.currentText().strip() or line_edit.placeholderText().removeprefix("default: ")
        if not image:
            self.status.setText("Name an image to pull.")
            return
        loop = asyncio.get_running_loop()

        def progress(line: str) -> None:  # called in the worker thread: hand the text to the GUI thread
            loop.call_soon_threadsafe(self.status.setText, line)

        async def pull() -> None:
            self.pull_button.setEnabled(False)
            self.progress.show()
            try:
                await asyncio.to_thread(self.engine.docker.pull, image, progress)
            except (DockerUnavailable, PullFailed) as error:
                self.status.setText(str(error))
            finally:
                self.pull_button.setEnabled(True)
                self.progress.hide()
            self.refresh_images()

        self._pulling = spawn(pull(), self, f"Pulling {image}")
