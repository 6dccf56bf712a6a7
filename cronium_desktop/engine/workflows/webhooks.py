"""The local webhook listener: `POST /webhooks/<token>` starts a WEBHOOK workflow (SPEC §5), or runs
the event whose webhook has that token (engine/event_webhooks.py).

It binds to 127.0.0.1 only. The JSON body (an object or a list; empty means `{}`) becomes the
workflow's (or the event run's) input. Unknown tokens get 404, bodies over 1 MB 413, bodies that are not JSON (or
nest deeper than real data does) 400.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from cronium_desktop.engine.event_webhooks import REFUSED_STATUSES, EventWebhooks
from cronium_desktop.engine.states import RunTrigger
from cronium_desktop.engine.validation import MAX_JSON_DEPTH, json_depth_exceeds
from cronium_desktop.engine.workflows.service import WorkflowService

MAX_BODY_BYTES = 1024 * 1024


class WebhookListener:
    def __init__(self, workflows: WorkflowService, port: int, event_webhooks: EventWebhooks | None = None,
                 start_run: Callable[..., Awaitable[int]] | None = None) -> None:
        self._workflows = workflows
        self._event_webhooks = event_webhooks
        self._start_run = start_run  # RunService.start, for event webhooks
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/webhooks/{token}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        server = site._server  # the bound port, when 0 asked for a free one
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/"

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        workflow_id = await asyncio.to_thread(self._workflows.find_by_token, token)
        event = None
        if workflow_id is None and self._event_webhooks is not None:
            event = await asyncio.to_thread(self._event_webhooks.find_by_token, token)
        if workflow_id is None and event is None:
            return web.json_response({"error": "No workflow or event has this webhook token."}, status=404)
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.json_response({"error": "The body is over the 1 MB limit."}, status=413)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"error": "The body is over the 1 MB limit."}, status=413)
        payload: Any = {}
        if raw.strip():
            too_deep = f"The body nests lists or objects more than {MAX_JSON_DEPTH} levels deep."
            try:
                payload = json.loads(raw)
            except RecursionError:
                return web.json_response({"error": too_deep}, status=400)
            except ValueError as error:
                return web.json_response({"error": f"The body is not valid JSON: {error}."}, status=400)
            if json_depth_exceeds(payload):
                return web.json_response({"error": too_deep}, status=400)
            if not isinstance(payload, dict | list):
                return web.json_response({"error": "The body must be a JSON object or list."}, status=400)
        if workflow_id is None:
            assert event is not None
            return await self._run_event(event, payload)
        execution_id = await self._workflows.run(workflow_id, input=payload, trigger=RunTrigger.WEBHOOK)
        return web.json_response({"workflow_execution_id": execution_id}, status=202)

    async def _run_event(self, event: tuple[int, str, str], payload: Any) -> web.Response:
        event_id, name, status = event
        if status in REFUSED_STATUSES:
            return web.json_response({"error": f"The event {name!r} is {status.lower()}; activate it to run it "
                                               "by webhook."}, status=409)
        assert self._start_run is not None
        execution_id = await self._start_run(event_id, input=payload, trigger=RunTrigger.WEBHOOK)
        return web.json_response({"execution_id": execution_id, "event": name}, status=202)
