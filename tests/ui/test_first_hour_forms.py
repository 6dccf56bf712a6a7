"""Forms a new user fills in on the first day, by mouse and keyboard: a tool credential from its own
form (no JSON) tested against a real HTTP server on 127.0.0.1, and an SSH server edited after adding."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from tests.fixtures.http_server import RecordingServer
from tests.ui.conftest import run, wait_until

LEFT = Qt.MouseButton.LeftButton


def click(widget: Any) -> None:
    QTest.mouseClick(widget, LEFT, Qt.KeyboardModifier.NoModifier, widget.rect().center())


def test_a_webhook_tool_is_typed_into_its_form_tested_saved_and_edited(application: Any, loop: Any) -> None:
    server = RecordingServer()
    run(loop, server.start())
    try:
        window = application.window
        window.open_page("Tools")
        tools = window.pages["Tools"]
        form = tools.form
        wait_until(loop, lambda: tools.body.showing_empty)
        QTest.keyClicks(form.name, "ops-hook")
        form.kind.setFocus()
        QTest.keyClick(form.kind, Qt.Key.Key_End)  # Email (SMTP): its own fields, the password masked
        assert form.kind.currentData() == "email"
        assert form.email_form.isVisibleTo(tools) and not form.url_form.isVisibleTo(tools)
        assert form.email_form.password.echoMode() == QLineEdit.EchoMode.Password
        assert form.email_form.starttls.isChecked() and form.email_form.port.value() == 587
        QTest.keyClick(form.kind, Qt.Key.Key_Up)  # Webhook: one URL field
        assert form.kind.currentData() == "webhook" and form.url_form.isVisibleTo(tools)
        QTest.keyClicks(form.url_form.url, "not a url")
        click(tools.test_button)
        url_error = form.url_form.form.fields["config.url"].error
        wait_until(loop, lambda: url_error.isVisibleTo(tools))
        assert url_error.text().startswith("Webhook URL must be an http:// or https:// URL")
        assert not server.requests
        form.url_form.url.selectAll()
        QTest.keyClicks(form.url_form.url, server.url("/hook"))
        click(tools.test_button)
        wait_until(loop, lambda: tools.result.text() == "✓ Test message sent.")
        assert len(server.requests) == 1 and server.requests[0].path == "/hook"
        assert not url_error.isVisibleTo(tools)
        click(tools.save_button)
        # The list may refresh on the store's change before the save reports back: wait for both.
        wait_until(loop, lambda: window.statusBar().currentMessage() == "Tool 'ops-hook' added.")
        wait_until(loop, lambda: tools.table.rowCount() == 1 and not tools.body.showing_empty)
        assert tools.table.item(0, 0).text() == "ops-hook" and tools.table.item(0, 1).text() == "Webhook"
        tools.table.selectRow(0)
        click(next(b for b in tools.findChildren(type(tools.test_button)) if b.text() == "Edit"))
        wait_until(loop, lambda: tools.save_button.text() == "Save changes")
        assert form.url_form.url.text() == server.url("/hook") and form.name.text() == "ops-hook"
        form.url_form.url.selectAll()
        QTest.keyClicks(form.url_form.url, server.url("/other"))
        click(tools.save_button)
        wait_until(loop, lambda: tools.save_button.text() == "Add tool")
        config = run(loop, application.engine.tools.get_config("ops-hook"))
        assert config == {"url": server.url("/other")}
    finally:
        run(loop, server.stop())


def test_a_server_can_be_edited_after_it_was_added(application: Any, loop: Any) -> None:
    window = application.window
    window.open_page("Servers")
    servers = window.pages["Servers"]
    wait_until(loop, lambda: servers.body.showing_empty)
    QTest.keyClicks(servers.name, "db1")
    QTest.keyClicks(servers.host, "db1.example.com")
    QTest.keyClicks(servers.user, "deploy")
    servers.auth.setCurrentIndex(servers.auth.findData("PASSWORD"))
    QTest.keyClicks(servers.secret, "pw-one")
    click(servers.add_button)
    wait_until(loop, lambda: servers.table.rowCount() == 1)
    servers.table.selectRow(0)
    click(next(b for b in servers.findChildren(type(servers.add_button)) if b.text() == "Edit"))
    assert servers.add_button.text() == "Save changes" and servers.host.text() == "db1.example.com"
    assert servers.secret.text() == "" and servers.secret.placeholderText() == "stored — type to replace"
    servers.port.selectAll()
    QTest.keyClicks(servers.port, "2222")
    click(servers.add_button)
    wait_until(loop, lambda: servers.table.rowCount() == 1 and ":2222" in servers.table.item(0, 1).text())
    assert window.statusBar().currentMessage() == "Server 'db1' saved."
    spec = run(loop, application.engine.servers.load_spec("db1"))
    assert spec.port == 2222 and spec.password == "pw-one"  # the stored password was kept
