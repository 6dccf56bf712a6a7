"""What every tool is made of: its config check, the actions it offers and their parameters.

An action declares its parameters so the event editor can build a form from them and so a bad
parameter is refused when the event is saved, not when it runs at 3 a.m.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cronium_desktop.engine.errors import CroniumError, ValidationError

# Parameter types the editor knows how to show.
STRING = "string"  # one line
TEXT = "text"  # several lines
OBJECT = "object"  # a JSON object
STRING_LIST = "string_list"  # a list of strings (a single string is taken as a one-item list)


class ToolError(CroniumError):
    """A tool could not do its job. The message never holds a webhook's secret path or a password."""


Log = Callable[[str], None]


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # STRING, TEXT, OBJECT, STRING_LIST
    required: bool
    description: str


@dataclass(frozen=True)
class Action:
    """One thing a tool can do, e.g. Slack's `send_message`.

    `run(config, params, log)` gets the tool's decrypted config and already validated parameters,
    reports progress through `log` (one line each, never a secret) and returns the run's output.
    """

    id: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    run: Callable[[Mapping[str, Any], Mapping[str, Any], Log], Awaitable[Any]]

    def describe(self) -> dict[str, Any]:
        """Plain data for a form: id, title, description and each parameter's name, type, required."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "parameters": [
                {"name": p.name, "type": p.type, "required": p.required, "description": p.description}
                for p in self.parameters
            ],
        }


@dataclass(frozen=True)
class ToolKind:
    """A type of tool credential (slack, discord, teams, webhook, email)."""

    id: str
    title: str
    validate_config: Callable[[Any], dict[str, Any]]  # raises ValidationError(field "config.KEY")
    secret_values: Callable[[Mapping[str, Any]], list[str]]  # what the log masker must hide
    actions: dict[str, Action] = field(default_factory=dict)


def validate_params(action: Action, params: Any, field_prefix: str = "params") -> dict[str, Any]:
    """Check parameters against an action's declaration and return them normalised.

    Unknown names are errors (a typo would otherwise be silently ignored); missing optional ones
    are left out.
    """
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValidationError(field_prefix, f"must be an object of parameters for {action.id}.")
    declared = {p.name: p for p in action.parameters}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise ValidationError(
            f"{field_prefix}.{unknown[0]}", f"{action.id} has no parameter {unknown[0]!r}; its parameters are: {names}."
        )
    clean: dict[str, Any] = {}
    for parameter in action.parameters:
        value = params.get(parameter.name)
        where = f"{field_prefix}.{parameter.name}"
        if value is None or (parameter.type in (STRING, TEXT) and value == "") or value == []:
            if parameter.required:
                raise ValidationError(where, f"is required by {action.id}.")
            continue
        clean[parameter.name] = _check_type(parameter, value, where)
    return clean


def _check_type(parameter: Parameter, value: Any, where: str) -> Any:
    if parameter.type in (STRING, TEXT):
        if not isinstance(value, str):
            raise ValidationError(where, f"must be text, not {type(value).__name__}.")
        if parameter.type == STRING and ("\n" in value or "\r" in value):
            raise ValidationError(where, "must be a single line.")
        return value
    if parameter.type == OBJECT:
        if not isinstance(value, dict):
            raise ValidationError(where, f"must be a JSON object, not {type(value).__name__}.")
        return value
    if parameter.type == STRING_LIST:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
            raise ValidationError(where, "must be a list of non-empty strings.")
        return [item.strip() for item in items]
    raise AssertionError(f"unknown parameter type {parameter.type!r}")


# -- config helpers shared by the webhook-style tools ----------------------------------------------------


def validate_webhook_url_config(config: Any, service: str, hint: str = "") -> dict[str, Any]:
    """`{"url": "https://..."}`, nothing else: the shape of every incoming-webhook tool."""
    if not isinstance(config, dict):
        raise ValidationError("config", f'must be a JSON object like {{"url": "https://..."}} for {service}.')
    unknown = sorted(set(config) - {"url"})
    if unknown:
        raise ValidationError(f"config.{unknown[0]}", f"is not a {service} setting; only \"url\" is.")
    url = config.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("config.url", f"is required: the {service} incoming-webhook URL.{hint}")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("config.url", f"must be an http:// or https:// URL for the {service} incoming webhook.")
    if any(char.isspace() for char in url):
        raise ValidationError("config.url", "must not contain spaces.")
    return {"url": url}


def webhook_secret_values(config: Mapping[str, Any]) -> list[str]:
    """The whole URL and its path: the path is the webhook's secret."""
    url = str(config.get("url") or "")
    parts = urlsplit(url)
    values = [url]
    if len(parts.path) > 1:
        values.append(parts.path)
    if parts.query:
        values.append(parts.query)
    return values


def public_location(url: str) -> str:
    """Scheme, host and port of a URL: safe to show, unlike the path that holds the webhook's secret."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def connection_reason(error: OSError | None) -> str:
    """Why a connection failed, in words: "Connection refused" rather than asyncio's "Connect call failed"."""
    if error is None:
        return "connection failed"
    if isinstance(error, ssl.SSLError):  # its errno is OpenSSL's, not the OS's
        return f"the TLS handshake failed ({error.reason or error})"
    if error.errno:
        return os.strerror(error.errno)
    return error.strerror or str(error) or type(error).__name__
