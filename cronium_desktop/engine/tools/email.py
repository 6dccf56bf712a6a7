"""Email over SMTP with aiosmtplib: STARTTLS or implicit TLS, optional login.

Config (SPEC §9): `host`, `port`, `username`, `password`, `starttls`, `from`, `to`. Two optional
keys cover what a user of a real mail server meets: `tls` (implicit TLS, the usual setup on port
465; it defaults to true exactly when the port is 465) and `ca_file` (a PEM bundle for a server
whose certificate comes from a private CA). Certificates are always verified. STARTTLS defaults to
on unless implicit TLS is used, so a password never crosses the network in clear by accident.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.tools.base import (
    STRING_LIST,
    Action,
    Log,
    Parameter,
    ToolError,
    ToolKind,
    connection_reason,
)
from cronium_desktop.engine.tools.webhook import BODY, SUBJECT

if TYPE_CHECKING:
    import aiosmtplib

SMTP_TIMEOUT_SECONDS = 30.0
DEFAULT_SUBJECT = "Message from Cronium Desktop"
TLS_HINT = "Check that the TLS setting matches the port: tls for implicit TLS (usually 465), starttls otherwise (usually 587)."
CONFIG_KEYS = ("host", "port", "username", "password", "starttls", "tls", "from", "to", "ca_file")


def _address(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(where, "must be an email address like ops@example.com.")
    _name, address = parseaddr(value.strip())
    local, _, domain = address.partition("@")
    if not local or not domain or any(char.isspace() for char in address):
        raise ValidationError(where, f"{value!r} is not an email address like ops@example.com.")
    return value.strip()


def addresses(value: Any, where: str) -> list[str]:
    """A list of addresses, or one string holding them separated by commas."""
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise ValidationError(where, "must be a list of email addresses.")
    return [_address(item, where) for item in value]


def validate_config(config: Any) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise ValidationError(
            "config", 'must be a JSON object like {"host": "smtp.example.com", "port": 587, "from": "..."}.'
        )
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise ValidationError(f"config.{unknown[0]}", f"is not an email setting; they are: {', '.join(CONFIG_KEYS)}.")
    host = config.get("host")
    if not isinstance(host, str) or not host.strip() or any(char.isspace() for char in host.strip()):
        raise ValidationError("config.host", "is required: the SMTP server's host name, e.g. smtp.example.com.")
    for key in ("starttls", "tls"):
        if config.get(key) is not None and not isinstance(config[key], bool):
            raise ValidationError(f"config.{key}", "must be true or false.")
    port = config.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535):
        raise ValidationError("config.port", f"must be a port number 1–65535, not {port!r}.")
    tls = config.get("tls")
    if tls is None:
        tls = port == 465
    starttls = config.get("starttls")
    if starttls is None:
        starttls = not tls
    if tls and starttls:
        raise ValidationError(
            "config.starttls", "cannot be used with implicit TLS (tls: true, port 465); set one of them to false."
        )
    if port is None:
        port = 465 if tls else 587 if starttls else 25
    username, password = config.get("username"), config.get("password")
    for key, value in (("username", username), ("password", password)):
        if value is not None and not isinstance(value, str):
            raise ValidationError(f"config.{key}", "must be text.")
    if bool(username) != bool(password):
        missing = "password" if username else "username"
        raise ValidationError(f"config.{missing}", "is required when the other login field is set.")
    ca_file = config.get("ca_file")
    if ca_file is not None:
        if not isinstance(ca_file, str) or not Path(ca_file).expanduser().is_file():
            raise ValidationError("config.ca_file", f"must be the path of a PEM certificate file; {ca_file!r} is not a file.")
        ca_file = str(Path(ca_file).expanduser())
    return {
        "host": host.strip(),
        "port": port,
        "username": username or None,
        "password": password or None,
        "starttls": starttls,
        "tls": tls,
        "from": _address(config.get("from"), "config.from"),
        "to": addresses(config.get("to") or [], "config.to"),
        "ca_file": ca_file,
    }


def secret_values(config: Mapping[str, Any]) -> list[str]:
    return [config["password"]] if config.get("password") else []


def build_message(config: Mapping[str, Any], recipients: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config["from"]
    message["To"] = ", ".join(recipients)
    # A rendered subject may hold line breaks (a log line, an error); a header cannot.
    message["Subject"] = " ".join(subject.split()) or DEFAULT_SUBJECT
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(config["from"])[1].rpartition("@")[2] or None)
    message.set_content(body)
    return message


async def send_email(config: Mapping[str, Any], recipients: list[str], subject: str, body: str) -> dict[str, Any]:
    """Deliver one plain-text message; raise ToolError with a clear reason (never the password)."""
    import aiosmtplib  # loaded when a message is sent: a command that sends none starts without it

    where = f"The mail server {config['host']}:{config['port']}"
    message = build_message(config, recipients, subject, body)
    try:
        errors, response = await aiosmtplib.send(
            message,
            hostname=config["host"],
            port=config["port"],
            username=config.get("username"),
            password=config.get("password"),
            use_tls=bool(config.get("tls")),
            start_tls=bool(config.get("starttls")),
            cert_bundle=config.get("ca_file"),
            timeout=SMTP_TIMEOUT_SECONDS,
        )
    except aiosmtplib.SMTPAuthenticationError as error:
        raise ToolError(
            f"{where} refused the login for {config.get('username')!r} ({error.code} {error.message}). "
            "Check the username and password in Tools."
        ) from error
    except aiosmtplib.SMTPRecipientsRefused as error:
        refused = ", ".join(item.recipient for item in error.recipients)
        raise ToolError(f"{where} refused every recipient ({refused}).") from error
    except aiosmtplib.SMTPSenderRefused as error:
        raise ToolError(f"{where} refused the sender {error.sender!r} ({error.code} {error.message}).") from error
    except aiosmtplib.SMTPConnectTimeoutError as error:
        raise ToolError(f"{where} did not answer within {SMTP_TIMEOUT_SECONDS:g} s. {TLS_HINT}") from error
    except aiosmtplib.SMTPConnectError as error:
        if isinstance(error.__cause__, ssl.SSLError):
            raise ToolError(f"{where} could not be reached: {connection_reason(error.__cause__)}. {TLS_HINT}") from error
        reason = connection_reason(error.__cause__) if isinstance(error.__cause__, OSError) else _reason(error)
        raise ToolError(f"{where} could not be reached: {reason}. Check the host and port.") from error
    except aiosmtplib.SMTPTimeoutError as error:
        raise ToolError(
            f"{where} stopped answering (no reply within {SMTP_TIMEOUT_SECONDS:g} s). {TLS_HINT}"
        ) from error
    except ssl.SSLCertVerificationError as error:
        raise ToolError(
            f"{where} presented a TLS certificate that could not be verified ({error.verify_message}). "
            'If it comes from a private CA, set "ca_file" in the tool\'s config.'
        ) from error
    except ssl.SSLError as error:
        raise ToolError(f"{where} could not be reached: {connection_reason(error)}. {TLS_HINT}") from error
    except aiosmtplib.SMTPException as error:
        raise ToolError(f"{where} failed: {_reason(error)}.") from error
    except OSError as error:
        raise ToolError(f"{where} could not be reached: {connection_reason(error)}.") from error
    accepted = [address for address in recipients if address not in errors]
    return {"recipients": accepted, "refused": sorted(errors), "response": response}


def _reason(error: aiosmtplib.SMTPException) -> str:
    text = getattr(error, "message", "") or str(error)
    cause = error.__cause__
    if isinstance(cause, OSError) and cause.strerror:
        text = f"{text} ({cause.strerror})" if text else cause.strerror
    return text.rstrip(".")


async def _send_message(config: Mapping[str, Any], params: Mapping[str, Any], log: Log) -> Any:
    recipients = params.get("to") or list(config.get("to") or [])
    if not recipients:
        raise ToolError(
            'The email has no recipients: set "to" in the email tool\'s config or in the action\'s "to" parameter.'
        )
    recipients = addresses(recipients, "params.to")
    log(f"Sending an email to {', '.join(recipients)} through {config['host']}:{config['port']}.")
    return await send_email(config, recipients, params.get("subject") or DEFAULT_SUBJECT, params["body"])


SEND_MESSAGE = Action(
    id="send_message",
    title="Send email",
    description="Send a plain-text email to the given recipients, or to the tool's configured ones.",
    parameters=(
        SUBJECT,
        BODY,
        Parameter("to", STRING_LIST, False, "Recipients; when empty, the tool's configured \"to\" addresses."),
    ),
    run=_send_message,
)

KIND = ToolKind(
    id="email",
    title="Email (SMTP)",
    validate_config=validate_config,
    secret_values=secret_values,
    actions={SEND_MESSAGE.id: SEND_MESSAGE},
)
