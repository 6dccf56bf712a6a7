"""Event webhooks: any event can be run by a POST to the local webhook listener (SPEC §5's rules).

An event has a webhook when it has a token; the URL is `http://127.0.0.1:PORT/webhooks/TOKEN`, on
the same listener as workflow webhooks (engine/workflows/webhooks.py), and the JSON body becomes the run's
input. The token is a credential: files never carry it (an exported event only says it has a
webhook, and an import makes a new token), as for workflow webhooks.
"""

from __future__ import annotations

import secrets as token_source

from sqlalchemy import select

from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.events import EventService
from cronium_desktop.engine.notices import EventsChanged
from cronium_desktop.engine.store.models import Event

# States in which a webhook call is refused: the user stopped the event.
REFUSED_STATUSES = ("PAUSED", "ARCHIVED")


def new_token() -> str:
    return token_source.token_urlsafe(24)


def webhook_url(port: int | None, token: str) -> str:
    return f"http://127.0.0.1:{port if port else 'PORT'}/webhooks/{token}"


class EventWebhooks:
    """Turns an event's webhook on or off, rotates its token and finds the event a token belongs to."""

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    def _change(self, event: int | str, make_token: bool, keep_existing: bool) -> str | None:
        with self._ctx.db.write() as session:
            row = EventService.find(session, event)
            if not make_token:
                row.webhook_token = None
            elif not (keep_existing and row.webhook_token):
                row.webhook_token = new_token()
            token, event_id = row.webhook_token, row.id
        self._ctx.bus.publish(EventsChanged((event_id,)))
        return token

    @in_thread
    def token(self, event: int | str) -> str | None:
        """The event's webhook token, or None when it has no webhook (an unknown event raises NotFound)."""
        with self._ctx.db.read() as session:
            return EventService.find(session, event).webhook_token

    @in_thread
    def enable(self, event: int | str) -> str:
        """Give the event a webhook (keeping its token if it has one); returns the token."""
        token = self._change(event, make_token=True, keep_existing=True)
        assert token is not None
        return token

    @in_thread
    def rotate(self, event: int | str) -> str:
        """A new token: the old URL stops working at once."""
        token = self._change(event, make_token=True, keep_existing=False)
        assert token is not None
        return token

    @in_thread
    def disable(self, event: int | str) -> None:
        self._change(event, make_token=False, keep_existing=False)

    def find_by_token(self, token: str) -> tuple[int, str, str] | None:
        """(event id, name, status) of the event with this token, or None. Blocking: a worker thread."""
        with self._ctx.db.read() as session:
            row = session.execute(
                select(Event.id, Event.name, Event.status).where(Event.webhook_token == token)
            ).first()
            return None if row is None else (int(row[0]), str(row[1]), str(row[2]))
