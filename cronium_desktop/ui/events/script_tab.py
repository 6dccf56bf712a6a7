"""The event editor's Script tab: the code editor for script types, the request form for HTTP, the
tool, action and parameters for a tool action. Which one shows follows the event's type."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.ui import theme
from cronium_desktop.ui.editor import event_wiring
from cronium_desktop.ui.editor.code_editor import TEMPLATES, CodeEditor
from cronium_desktop.ui.events.fields import SCRIPT_TYPES, FieldForm, combo, set_combo

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

HINTS = {
    "BASH": "Bash script: `source cronium.sh` for cronium_input, cronium_output, cronium_setVariable…",
    "PYTHON": "Python script: `import cronium` for input(), output(), getVariable(), setCondition()…",
    "NODEJS": 'Node.js script: `const cronium = require("cronium")` (every helper is async).',
}


def starter(kind: str) -> str:
    """The script a new event of this type starts with."""
    return TEMPLATES.get(kind, {}).get("Hello", "")


def is_template(text: str) -> bool:
    """True when the text is empty or one of the offered templates, untouched: safe to swap silently."""
    stripped = text.strip()
    return not stripped or any(stripped == t.strip() for kind in TEMPLATES.values() for t in kind.values())


class ScriptTab(QWidget):
    changed = Signal()  # the script, the request or the tool action edited

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.event_id: int | None = None  # the saved event a draft runs as (set by the editor)
        self.templates = QPushButton("Insert a template…")
        self.templates.clicked.connect(self._show_templates)
        top = QHBoxLayout()
        self.content_hint = QLabel(objectName="muted", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        top.addWidget(self.content_hint, 1)
        top.addWidget(self.templates)
        self.code = CodeEditor(theme=theme.current(), settings=engine.settings)
        self.draft = event_wiring.draft_pane(engine, lambda: (self.event_id, self.code.text(), self.kind))
        self.code_error = QLabel(objectName="error", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        self.code_error.hide()
        self.kind = "BASH"

        self.http_method = combo(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"))
        self.http_url = QLineEdit(placeholderText="https://example.com/api")
        self.http_headers = QPlainTextEdit(placeholderText='{"Authorization": "Bearer …"}')
        self.http_body = QPlainTextEdit(placeholderText="Request body (text or JSON)")
        self.http_expected = QLineEdit(placeholderText="e.g. 200, 201 (empty: any 2xx)")
        self.http_box = QWidget()
        self.http_form = FieldForm(self.http_box)
        self.http_form.add("http.method", "Method", self.http_method)
        self.http_form.add("http.url", "URL", self.http_url)
        self.http_form.add("http.headers", "Headers (JSON)", self.http_headers)
        self.http_form.add("http.body", "Body", self.http_body)
        self.http_form.add("http.expected_status", "Expected status", self.http_expected)

        self.tool_name = QComboBox(editable=True)
        self.tool_action = QLineEdit("send_message")
        self.tool_params = QPlainTextEdit(placeholderText='{"subject": "…", "body": "…"}')
        self.tool_box = QWidget()
        self.tool_form = FieldForm(self.tool_box)
        self.tool_form.add("tool_action.tool", "Tool credential", self.tool_name)
        self.tool_form.add("tool_action.action", "Action", self.tool_action)
        self.tool_form.add("tool_action.params", "Parameters (JSON)", self.tool_params)
        layout.addLayout(top)
        layout.addWidget(event_wiring.script_area(self.code, self.draft), 1)
        layout.addWidget(self.code_error)
        layout.addWidget(self.http_box, 1)
        layout.addWidget(self.tool_box, 1)
        self._report_changes()

    def _report_changes(self) -> None:
        for line in (self.http_url, self.http_expected, self.tool_action):
            line.textChanged.connect(self.changed)
        for text in (self.http_headers, self.http_body, self.tool_params):
            text.textChanged.connect(self.changed)
        self.http_method.currentIndexChanged.connect(self.changed)
        self.code.textChanged.connect(self.changed)

    def raw_json_text(self) -> str:
        """The JSON fields as typed: what tells two half-typed, unparsable versions apart."""
        return self.http_headers.toPlainText() + self.tool_params.toPlainText()

    def set_kind(self, kind: str) -> None:
        """Show what this type of event needs; the script's language follows."""
        self.kind = kind
        script = kind in SCRIPT_TYPES
        self.code.setVisible(script)
        self.draft.setVisible(script)
        self.templates.setVisible(script)
        self.http_box.setVisible(kind == "HTTP_REQUEST")
        self.tool_box.setVisible(kind == "TOOL_ACTION")
        self.content_hint.setText(HINTS.get(kind, ""))
        if script:
            self.code.set_language(kind)

    def _show_templates(self) -> None:
        menu = QMenu(self)
        for title, text in TEMPLATES.get(self.kind, {}).items():
            menu.addAction(title).triggered.connect(lambda _checked=False, text=text: self.code.set_text(text))
        menu.exec(self.templates.mapToGlobal(self.templates.rect().bottomLeft()))

    def load(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        self.set_kind(kind)
        self.code.set_text(event["content"] or starter(kind))
        http = event["http"] or {}
        set_combo(self.http_method, http.get("method", "GET"))
        self.http_url.setText(http.get("url", ""))
        self.http_headers.setPlainText(json.dumps(http["headers"], indent=2) if http.get("headers") else "")
        body = http.get("body")
        self.http_body.setPlainText(json.dumps(body, indent=2) if isinstance(body, dict | list) else (body or ""))
        self.http_expected.setText(", ".join(str(c) for c in http.get("expected_status") or []))
        tool = event["tool_action"] or {}
        self.tool_name.setCurrentText(tool.get("tool", ""))
        self.tool_action.setText(tool.get("action", "send_message"))
        self.tool_params.setPlainText(json.dumps(tool.get("params", {}), indent=2) if tool else "")

    def fill(self, data: dict[str, Any]) -> None:
        """Raises ValidationError for JSON fields that do not parse."""
        kind = data["type"]
        data["content"] = self.code.text() if kind in SCRIPT_TYPES else ""
        if kind == "HTTP_REQUEST":
            data["http"] = {
                "method": self.http_method.currentData(),
                "url": self.http_url.text().strip(),
                "headers": _json(self.http_headers.toPlainText(), "http.headers", {}),
                "body": self._body(),
                "expected_status": self._codes(),
            }
        if kind == "TOOL_ACTION":
            data["tool_action"] = {"tool": self.tool_name.currentText().strip(), "action": self.tool_action.text().strip(),
                                   "params": _json(self.tool_params.toPlainText(), "tool_action.params", {})}

    def _body(self) -> Any:
        text = self.http_body.toPlainText()
        if not text.strip():
            return None
        try:
            value = json.loads(text)
            return value if isinstance(value, dict | list) else text
        except ValueError:
            return text

    def _codes(self) -> list[int] | None:
        parts = [p.strip() for p in self.http_expected.text().split(",") if p.strip()]
        if not parts:
            return None
        if not all(p.isdigit() for p in parts):
            raise ValidationError("http.expected_status", "must be status codes separated by commas, e.g. 200, 204.")
        return [int(p) for p in parts]


def _json(text: str, field: str, empty: Any) -> Any:
    if not text.strip():
        return empty
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValidationError(field, f"is not valid JSON ({error}).") from error
