"""Where the event editor shows a validation error: under the field the engine named, with the field's
label, and which tab to bring forward on Save. The engine names fields by key (`http.url`,
`env[2].name`); the tabs' forms know each key's label and widget."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from cronium_desktop.ui.forms import FieldForm

# Fields the engine may name that live outside the tabs' forms: their label and their tab.
OTHER_FIELDS = {"content": ("Script", 1), "http": ("Request", 1), "tool_action": ("Tool action", 1),
                "env": ("Environment", 3), "secret_env": ("Secret environment", 3),
                "conditional_actions": ("Conditional actions", 4), "event": ("Event", 0),
                "file_triggers": ("Watched folders", 5), "run_at_login": ("At login", 5),
                "conditions": ("Conditions", 5), "misfire_cap": ("Catch-up runs", 5)}


def _form_key(form: FieldForm, field: str) -> str | None:
    """The form's key that `field` is, or is part of (the longest wins: `http.url` before `http`)."""
    return next((key for key in sorted(form.fields, key=len, reverse=True)
                 if field == key or field.startswith(key + ".")), None)


class FieldErrors:
    """The editor's forms, each with its tab index, plus the script editor (the `content` field)."""

    def __init__(self, forms: list[tuple[FieldForm, int]], code: QWidget, code_error: QLabel) -> None:
        self.forms = forms
        self.code = code
        self.code_error = code_error

    def locate(self, field: str) -> tuple[str, int, QWidget | None]:
        """The field's label, its tab, and the widget to focus (None when no single widget holds it)."""
        for form, tab in self.forms:
            key = _form_key(form, field)
            if key is not None:
                return form.fields[key].label, tab, form.fields[key].widget
        label, tab = OTHER_FIELDS.get(field.split(".")[0].split("[")[0], (field, 0))
        return label, tab, self.code if field == "content" else None

    def mark(self, field: str | None, text: str = "") -> None:
        """Show `text` under `field` and outline it; every other field is cleared. None clears all."""
        for form, _tab in self.forms:
            key = None if field is None else _form_key(form, field)
            form.show_error(key, text)
            for name, entry in form.fields.items():
                entry.widget.setProperty("invalid", name == key)
                entry.widget.style().unpolish(entry.widget)
                entry.widget.style().polish(entry.widget)
        self.code_error.setText(text if field == "content" else "")
        self.code_error.setVisible(field == "content")
