"""Microsoft Teams through an incoming webhook, as an Adaptive Card.

Teams documents Adaptive Cards for incoming webhooks ("Send Adaptive Cards using an Incoming
Webhook"): a `message` whose one attachment has content type
`application/vnd.microsoft.card.adaptive`. The same envelope is what the Workflows app's
"When a Teams webhook request is received" flow accepts, which replaces the retired Office 365
connectors, so one format serves both kinds of URL. The legacy MessageCard format does not work
with Workflows.
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

ADAPTIVE_CARD_VERSION = "1.4"  # rendered by Teams on desktop, web and mobile


def teams_payload(subject: str, body: str) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if subject:
        blocks.append({"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": True})
    blocks.append({"type": "TextBlock", "text": body, "wrap": True})
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": ADAPTIVE_CARD_VERSION,
                    "body": blocks,
                },
            }
        ],
    }


async def _send_message(config: Mapping[str, Any], params: Mapping[str, Any], log: Log) -> Any:
    log(f"Sending a Teams message through {public_location(config['url'])}.")
    return await post_json(config["url"], teams_payload(params.get("subject", ""), params["body"]), "Teams")


SEND_MESSAGE = Action(
    id="send_message",
    title="Send message",
    description="Post a message card to the Teams channel the webhook belongs to.",
    parameters=(SUBJECT, BODY),
    run=_send_message,
)

KIND = ToolKind(
    id="teams",
    title="Microsoft Teams",
    validate_config=lambda config: validate_webhook_url_config(
        config, "Teams", " Create one with the channel's Workflows → \"Post to a channel when a webhook request is received\"."
    ),
    secret_values=webhook_secret_values,
    actions={SEND_MESSAGE.id: SEND_MESSAGE},
)
