"""Discord through a channel webhook (https://discord.com/developers/docs/resources/webhook).

Discord's execute-webhook format is `{"content": ...}` (Markdown, at most 2000 characters); the
subject is shown in bold on the first line. Mentions are switched off so that a log tail quoting
"@everyone" does not ping a whole server.
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

MAX_CONTENT = 2000  # Discord refuses longer messages with HTTP 400


def discord_payload(subject: str, body: str) -> dict[str, Any]:
    content = f"**{subject}**\n{body}" if subject else body
    if len(content) > MAX_CONTENT:
        content = content[: MAX_CONTENT - 1] + "…"
    return {"content": content, "allowed_mentions": {"parse": []}}


async def _send_message(config: Mapping[str, Any], params: Mapping[str, Any], log: Log) -> Any:
    log(f"Sending a Discord message through {public_location(config['url'])}.")
    return await post_json(config["url"], discord_payload(params.get("subject", ""), params["body"]), "Discord")


SEND_MESSAGE = Action(
    id="send_message",
    title="Send message",
    description=f"Post a message (at most {MAX_CONTENT} characters; longer ones are cut) to the webhook's channel.",
    parameters=(SUBJECT, BODY),
    run=_send_message,
)

KIND = ToolKind(
    id="discord",
    title="Discord",
    validate_config=lambda config: validate_webhook_url_config(
        config, "Discord", " Create one in the channel's settings under Integrations → Webhooks."
    ),
    secret_values=webhook_secret_values,
    actions={SEND_MESSAGE.id: SEND_MESSAGE},
)
