"""Posting JSON to webhooks: the generic webhook tool, and the delivery Slack, Discord and Teams share.

A webhook URL is a credential: whoever knows its path can post. So errors name only the scheme,
host and port (`public_location`), and anything the server answers is scrubbed of the URL first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cronium_desktop.engine.tools.base import (
    OBJECT,
    STRING,
    TEXT,
    Action,
    Log,
    Parameter,
    ToolError,
    ToolKind,
    connection_reason,
    public_location,
    validate_webhook_url_config,
    webhook_secret_values,
)

# A notification should arrive in seconds; a webhook that takes longer is down for our purposes.
WEBHOOK_TIMEOUT_SECONDS, CONNECT_TIMEOUT_SECONDS = 30.0, 10.0
# Enough of an error answer to explain it ("invalid_token", "channel_not_found"), not a whole page.
ERROR_BODY_CHARS = 300


def scrub(text: str, url: str) -> str:
    """Remove the URL and its secret parts from text that may quote them (server errors, exceptions)."""
    for secret in sorted(webhook_secret_values({"url": url}), key=len, reverse=True):
        if len(secret) > 1:
            text = text.replace(secret, "••••••")
    return text


async def post_json(url: str, payload: Any, service: str) -> dict[str, Any]:
    """POST `payload` as JSON and return `{"status", "body"}`; raise ToolError unless the answer is 2xx."""
    import aiohttp  # loaded when something is sent: a command that sends nothing starts without it

    where = f"{service} webhook at {public_location(url)}"
    timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(url, json=payload) as response:
                text = await response.text(errors="replace")
                status, reason, content_type = response.status, response.reason or "", response.content_type
    except TimeoutError as error:
        raise ToolError(f"The {where} did not answer within {WEBHOOK_TIMEOUT_SECONDS:g} s. Check that it is up.") from error
    except aiohttp.ClientConnectorCertificateError as error:
        raise ToolError(
            f"The {where} presented a TLS certificate that could not be verified ({error.certificate_error})."
        ) from error
    except aiohttp.ClientConnectorError as error:
        raise ToolError(f"The {where} could not be reached: {connection_reason(error.os_error)}. Check the URL and the network.") from error
    except aiohttp.InvalidURL as error:
        raise ToolError(f"The {service} webhook URL is not a valid URL. Edit the tool in Tools.") from error
    except aiohttp.ClientError as error:
        detail = scrub(str(error), url) or type(error).__name__
        raise ToolError(f"The {where} failed: {detail}.") from error
    if not 200 <= status < 300:
        snippet = scrub(text.strip(), url)[:ERROR_BODY_CHARS]
        hint = " The webhook may have been removed; check its URL in Tools." if status in (401, 403, 404, 410) else ""
        answer = f": {snippet}" if snippet else ""
        raise ToolError(f"The {where} answered HTTP {status} {reason}{answer}.{hint}")
    body: Any = text
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = json.loads(text)
        except ValueError:
            pass
    return {"status": status, "body": body}


# -- the generic JSON webhook tool --------------------------------------------------------------------


async def _send_message(config: Mapping[str, Any], params: Mapping[str, Any], log: Log) -> Any:
    payload = {"subject": params.get("subject", ""), "body": params["body"]}
    log(f"Posting a message to the webhook at {public_location(config['url'])}.")
    return await post_json(config["url"], payload, "JSON")


async def _post_json(config: Mapping[str, Any], params: Mapping[str, Any], log: Log) -> Any:
    log(f"Posting JSON to the webhook at {public_location(config['url'])}.")
    return await post_json(config["url"], params["payload"], "JSON")


SUBJECT = Parameter("subject", STRING, False, "A title shown above the message.")
BODY = Parameter("body", TEXT, True, "The message text.")

SEND_MESSAGE = Action(
    id="send_message",
    title="Send message",
    description='POST {"subject": ..., "body": ...} as JSON to the webhook.',
    parameters=(SUBJECT, BODY),
    run=_send_message,
)

POST_JSON = Action(
    id="post_json",
    title="Post JSON",
    description="POST the given JSON object to the webhook as it is.",
    parameters=(Parameter("payload", OBJECT, True, "The JSON object to send."),),
    run=_post_json,
)

KIND = ToolKind(
    id="webhook",
    title="Webhook (JSON)",
    validate_config=lambda config: validate_webhook_url_config(config, "webhook"),
    secret_values=webhook_secret_values,
    actions={SEND_MESSAGE.id: SEND_MESSAGE, POST_JSON.id: POST_JSON},
)
