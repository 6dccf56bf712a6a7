"""`event webhook NAME [--enable | --rotate | --disable]`: an event's webhook URL (SPEC §5's rules).

`event webhook` joins the `event` command's other actions when they are registered first (it adds
itself to their sub-commands), or makes the `event` command itself.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cronium_desktop.cli.common import UsageError

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine


def _event_actions(sub: Any, common: argparse.ArgumentParser) -> Any:
    """The sub-commands of `event`, made here if no other module made them."""
    existing = sub.choices.get("event")
    if existing is not None:
        for action in existing._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
    p = sub.add_parser("event", parents=[common], help="act on one event")
    return p.add_subparsers(dest="event_command", metavar="ACTION", required=True, parser_class=type(p))


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    q = _event_actions(sub, common).add_parser(
        "webhook", parents=[common], help="print the URL that runs the event (POST, JSON body = the run's input)")
    q.add_argument("name", metavar="NAME", help="the event's name")
    change = q.add_mutually_exclusive_group()
    change.add_argument("--enable", action="store_true", help="give the event a webhook (keeps an existing token)")
    change.add_argument("--rotate", action="store_true", help="a new token: the old URL stops working")
    change.add_argument("--disable", action="store_true", help="remove the webhook: its URL stops working")
    q.add_argument("--json", action="store_true", help='print {"event", "url", "token"}')


async def cmd_event_webhook(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli.workflow_runs import print_webhook

    event = await engine.events.get(args.name)
    name = event["name"]
    if args.disable:
        await engine.event_webhooks.disable(event["id"])
        print(f"The event {name!r} has no webhook now; its URL stops working.")
        return 0
    token: str | None
    if args.rotate or args.enable:
        change = engine.event_webhooks.rotate if args.rotate else engine.event_webhooks.enable
        token = await change(event["id"])
    else:
        token = await engine.event_webhooks.token(event["id"])
        if token is None:
            raise UsageError(f"the event {name!r} has no webhook; give it one with "
                             f"`event webhook {name!r} --enable` or in the event editor.")
    print_webhook(engine, args, "event", name, token)
    return 0
