"""Slack through an incoming webhook (https://api.slack.com/messaging/webhooks).

Slack's incoming-webhook format is `{"text": ...}` in Slack's mrkdwn; the subject is shown in bold
on the first line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cronium_desktop.engine.tools.base import (
    Action,
    Log,
    ToolKind,
    public_location,
    validate_webhook_url_config,
    webhook_secret_values,
)
from cronium_desktop.engine.tools.webhook import BODY, SUBJECT, post_json


def slack_payload(subject: str, body: str) -> dict[str, Any]:
    return {"text": f"*{subject}*\n{body}" if subject else body}


async def _send_message(config: Mapping[str, Any], params: Mapping[str, Any], log: Log) -> Any:
    log(f"Sending a Slack message through {public_location(config['url'])}.")
    return await post_json(config["url"], slack_payload(params.get("subject", ""), params["body"]), "Slack")


SEND_MESSAGE = Action(
    id="send_message",
    title="Send message",
    description="Post a message to the Slack channel the webhook belongs to.",
    parameters=(SUBJECT, BODY),
    run=_send_message,
)

KIND = ToolKind(
    id="slack",
    title="Slack",
    validate_config=lambda config: validate_webhook_url_config(
        config, "Slack", " Create one in Slack under Apps → Incoming Webhooks."
    ),
    secret_values=webhook_secret_values,
    actions={SEND_MESSAGE.id: SEND_MESSAGE},
)
