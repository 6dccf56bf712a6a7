"""The email tool against a real SMTP server (aiosmtpd) with STARTTLS, implicit TLS and AUTH."""

from __future__ import annotations

from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.tools import email
from cronium_desktop.engine.tools.base import ToolError
from cronium_desktop.engine.tools.service import ToolService
from tests.fixtures.smtp import (  # noqa: F401 - fixtures
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpServer,
    smtp_starttls_fixture,
    smtp_tls_files_fixture,
    smtp_tls_fixture,
)
from tests.fixtures.tools import engine_context_fixture, tool_service_fixture, wire_tools  # noqa: F401 - fixtures

# The implicit-TLS server is TLS from the first byte, which aiosmtpd's AUTH-over-TLS check cannot see.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


async def test_starttls_with_login_delivers_subject_and_body(
    tool_service: ToolService, smtp_starttls: SmtpServer
) -> None:
    await tool_service.add("mail", "email", smtp_starttls.config())
    result = await tool_service.send_message("mail", "Backup failed", "exit code 3\nsee the log")
    [mail] = smtp_starttls.mails
    assert mail.tls is True
    assert mail.login == SMTP_USER
    assert mail.mail_from == "cronium@example.com"
    assert mail.rcpt_tos == ["ops@example.com"]
    assert mail.message["Subject"] == "Backup failed"
    assert mail.message["To"] == "ops@example.com"
    assert mail.message.get_content().replace("\r\n", "\n") == "exit code 3\nsee the log\n"
    assert result["recipients"] == ["ops@example.com"]


async def test_implicit_tls_delivers(tool_service: ToolService, smtp_tls: SmtpServer) -> None:
    await tool_service.add("mail", "email", smtp_tls.config())
    await tool_service.send_message("mail", "Hello", "over TLS")
    [mail] = smtp_tls.mails
    assert mail.tls is True
    assert mail.login == SMTP_USER


async def test_recipients_given_to_the_action_replace_the_configured_ones(
    tool_service: ToolService, smtp_starttls: SmtpServer
) -> None:
    await tool_service.add("mail", "email", smtp_starttls.config())
    await tool_service.run_action(
        "mail", "send_message", {"subject": "Hi", "body": "x", "to": ["a@example.com", "b@example.com"]}
    )
    assert smtp_starttls.mails[0].rcpt_tos == ["a@example.com", "b@example.com"]


async def test_subject_with_line_breaks_is_folded_into_one_line(
    tool_service: ToolService, smtp_starttls: SmtpServer
) -> None:
    await tool_service.add("mail", "email", smtp_starttls.config())
    await tool_service.send_message("mail", "Failed:\nBcc: victim@example.com", "x")
    [mail] = smtp_starttls.mails
    assert mail.message["Subject"] == "Failed: Bcc: victim@example.com"
    assert mail.message["Bcc"] is None
    assert mail.rcpt_tos == ["ops@example.com"]


async def test_wrong_password_is_a_clear_error_without_the_password(
    tool_service: ToolService, smtp_starttls: SmtpServer
) -> None:
    await tool_service.add("mail", "email", smtp_starttls.config(password="wrong-password-42"))
    with pytest.raises(ToolError) as caught:
        await tool_service.send_message("mail", "x", "y")
    message = str(caught.value)
    assert "refused the login" in message
    assert "wrong-password-42" not in message
    assert smtp_starttls.mails == []


async def test_untrusted_certificate_is_refused(tool_service: ToolService, smtp_starttls: SmtpServer) -> None:
    await tool_service.add("mail", "email", smtp_starttls.config(ca_file=None))
    with pytest.raises(ToolError, match="could not be verified"):
        await tool_service.send_message("mail", "x", "y")
    assert smtp_starttls.mails == []


async def test_server_requiring_starttls_refuses_a_plain_session(
    tool_service: ToolService, smtp_starttls: SmtpServer
) -> None:
    await tool_service.add("mail", "email", smtp_starttls.config(starttls=False))
    with pytest.raises(ToolError, match=f"127.0.0.1:{smtp_starttls.port}"):
        await tool_service.send_message("mail", "x", "y")
    assert smtp_starttls.mails == []


async def test_no_recipients_anywhere_is_a_clear_error(tool_service: ToolService, smtp_starttls: SmtpServer) -> None:
    await tool_service.add("mail", "email", smtp_starttls.config(to=None))
    with pytest.raises(ToolError, match="no recipients"):
        await tool_service.send_message("mail", "x", "y")


async def test_email_tool_action_event_keeps_the_password_out_of_the_log(
    engine: Engine, smtp_starttls: SmtpServer
) -> None:
    tools = wire_tools(engine)
    await tools.add("mail", "email", smtp_starttls.config(password="wrong-" + SMTP_PASSWORD))
    await engine.events.create(
        {"name": "Mail", "type": "TOOL_ACTION",
         "tool_action": {"tool": "mail", "action": "send_message", "params": {"body": f"pw {SMTP_PASSWORD}"}}}
    )
    execution_id = await engine.runs.start("Mail")
    summary = await engine.runs.wait(execution_id, timeout=30)
    assert summary.status == "FAILURE"
    log = [record.text for record in await engine.runs.log(execution_id)]
    assert any("refused the login" in line for line in log)
    assert not any(SMTP_PASSWORD in line for line in [*log, summary.error or ""])


# -- config rules ----------------------------------------------------------------------------------------


def test_ports_and_tls_defaults_follow_the_usual_setups() -> None:
    base = {"host": "smtp.example.com", "from": "a@example.com"}
    assert email.validate_config(base) | {} == {
        **base, "port": 587, "starttls": True, "tls": False, "username": None, "password": None, "to": [], "ca_file": None,
    }
    assert (email.validate_config({**base, "port": 465})["tls"], email.validate_config({**base, "port": 465})["starttls"]) == (True, False)
    assert email.validate_config({**base, "starttls": False})["port"] == 25
    assert email.validate_config({**base, "to": "a@example.com, b@example.com"})["to"] == ["a@example.com", "b@example.com"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tls": True, "starttls": True}, "config.starttls"),
        ({"username": "u"}, "config.password"),
        ({"password": "p"}, "config.username"),
        ({"to": ["nobody"]}, "config.to"),
        ({"starttls": "yes"}, "config.starttls"),
        ({"ca_file": "/nonexistent/ca.pem"}, "config.ca_file"),
        ({"sender": "x"}, "config.sender"),
    ],
)
def test_bad_email_config_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        email.validate_config({"host": "smtp.example.com", "from": "a@example.com", **changes})
    assert caught.value.field == field
