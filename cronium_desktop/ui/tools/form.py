"""The form for one tool credential: a URL for Slack, Discord, Teams and webhooks; host, port, login,
STARTTLS and addresses for email (SPEC §9 tool configs). Errors appear under the field they name."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QStackedWidget, QWidget

from cronium_desktop.ui.forms import FieldForm

TYPE_TITLES = {"slack": "Slack", "discord": "Discord", "teams": "Microsoft Teams", "webhook": "Webhook", "email": "Email (SMTP)"}
URL_EXAMPLES = {
    "slack": "https://hooks.slack.com/services/…",
    "discord": "https://discord.com/api/webhooks/…",
    "teams": "https://…webhook.office.com/…",
    "webhook": "https://example.com/hook",
}


class UrlForm(QWidget):
    """Every incoming-webhook tool: one URL."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = FieldForm(self)
        self.url = QLineEdit(placeholderText=URL_EXAMPLES["slack"])
        self.form.add("config.url", "Webhook URL", self.url)
        self.form.setContentsMargins(0, 0, 0, 0)

    def load(self, config: dict[str, Any]) -> None:
        self.url.setText(config.get("url", ""))

    def fill(self) -> dict[str, Any]:
        return {"url": self.url.text().strip()}


class EmailForm(QWidget):
    """An SMTP server and who the messages go to; the password is masked."""

    # The From field; the name shadows QObject.sender(), unused here.
    sender: QLineEdit  # type: ignore[assignment]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = FieldForm(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.host = QLineEdit(placeholderText="smtp.example.com")
        self.port = QSpinBox(minimum=1, maximum=65535, value=587)
        self.port.setMaximumWidth(120)
        self.username = QLineEdit(placeholderText="optional")
        self.password = QLineEdit(placeholderText="optional", echoMode=QLineEdit.EchoMode.Password)
        self.starttls = QCheckBox("Use STARTTLS", checked=True)  # type: ignore[call-overload]  # Qt property keyword
        self.sender = QLineEdit(placeholderText="cronium@example.com")
        self.to = QLineEdit(placeholderText="ops@example.com, oncall@example.com")
        for key, label, widget in (("config.host", "SMTP host", self.host), ("config.port", "Port", self.port),
                                   ("config.username", "User", self.username), ("config.password", "Password", self.password),
                                   ("config.starttls", "", self.starttls), ("config.from", "From", self.sender),
                                   ("config.to", "To", self.to)):
            self.form.add(key, label, widget)

    def load(self, config: dict[str, Any]) -> None:
        self.host.setText(config.get("host", ""))
        self.port.setValue(int(config.get("port", 587)))
        self.username.setText(config.get("username") or "")
        self.password.setText(config.get("password") or "")
        self.starttls.setChecked(bool(config.get("starttls", True)))
        self.sender.setText(config.get("from", ""))
        to = config.get("to") or []
        self.to.setText(", ".join(to) if isinstance(to, list) else str(to))

    def fill(self) -> dict[str, Any]:
        config: dict[str, Any] = {"host": self.host.text().strip(), "port": self.port.value(),
                                  "starttls": self.starttls.isChecked(), "from": self.sender.text().strip(),
                                  "to": [a.strip() for a in self.to.text().split(",") if a.strip()]}
        if self.username.text().strip() or self.password.text():
            config.update(username=self.username.text().strip(), password=self.password.text())
        return config


class ToolForm(QWidget):
    """Name, type and the type's own settings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = FieldForm(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.name = QLineEdit(placeholderText="e.g. ops-slack")
        self.kind = QComboBox()
        for value, title in TYPE_TITLES.items():
            self.kind.addItem(title, value)
        self.url_form = UrlForm()
        self.email_form = EmailForm()
        self.settings = QStackedWidget()
        self.settings.addWidget(self.url_form)
        self.settings.addWidget(self.email_form)
        self.form.add("name", "Name", self.name)
        self.form.add("type", "Type", self.kind)
        self.form.addRow(self.settings)
        self.kind.currentIndexChanged.connect(self._kind_changed)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.settings.setCurrentWidget(self.email_form if kind == "email" else self.url_form)
        self.url_form.url.setPlaceholderText(URL_EXAMPLES.get(kind, ""))
        self.show_error(None, "")

    def current(self) -> UrlForm | EmailForm:
        return self.email_form if self.kind.currentData() == "email" else self.url_form

    def config(self) -> dict[str, Any]:
        return self.current().fill()

    def load(self, name: str, kind: str, config: dict[str, Any]) -> None:
        self.name.setText(name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.current().load(config)

    def clear(self) -> None:
        self.name.clear()
        self.url_form.load({})
        self.email_form.load({})

    def show_error(self, field: str | None, text: str) -> None:
        """Under the field the engine named ('config.url', 'name'); '' clears every message."""
        for form in (self.form, self.url_form.form, self.email_form.form):
            form.show_error(field if field in form.fields else None, text)

    def label_of(self, field: str) -> str:
        for form in (self.form, self.url_form.form, self.email_form.form):
            if field in form.fields:
                return form.fields[field].label or "STARTTLS"
        return "Settings"
