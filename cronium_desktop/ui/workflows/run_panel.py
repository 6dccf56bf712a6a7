"""The Run tab beside the canvas: how the run goes, and the log and output of the node last clicked."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from cronium_desktop.ui.workflows.source import NodeRun


class RunPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Run the workflow, then click a node to see its log and output.", self,  # type: ignore[call-overload]  # Qt property keyword
                            objectName="muted", wordWrap=True)
        self.log = QPlainTextEdit(self, readOnly=True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setPlaceholderText("No log lines.")
        self.output = QPlainTextEdit(self, readOnly=True)
        self.output.setMaximumHeight(140)
        self.output.setPlaceholderText("No output.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(QLabel("Log", self, objectName="muted"))  # type: ignore[call-overload]  # Qt property keyword
        layout.addWidget(self.log, 1)
        layout.addWidget(QLabel("Output", self, objectName="muted"))  # type: ignore[call-overload]  # Qt property keyword
        layout.addWidget(self.output)

    def say(self, text: str) -> None:
        self.title.setText(text)

    def show_nothing(self, text: str) -> None:
        self.title.setText(text)
        self.log.clear()
        self.output.clear()

    def show_node_run(self, label: str, execution_id: int, run: NodeRun) -> None:
        error = f" — {run.error}" if run.error else ""
        self.title.setText(f"{label}: {run.status.title()} (Run #{execution_id}){error}")
        self.log.setPlainText("\n".join(("! " if stream == "stderr" else "") + text for stream, text in run.log))
        self.output.setPlainText("" if run.output is None else json.dumps(run.output, indent=2, ensure_ascii=False))
