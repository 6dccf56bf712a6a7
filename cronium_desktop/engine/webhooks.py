"""The local webhook listener: `POST /webhooks/<token>` starts a WEBHOOK workflow (SPEC §5).

It binds to 127.0.0.1 only. The JSON body (an object or a list; empty means `{}`) becomes the
workflow's input. Unknown tokens get 404, bodies over 1 MB 413, bodies that are not JSON (or
nest deeper than real data does) 400.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from cronium_desktop.engine.validation import MAX_JSON_DEPTH, json_depth_exceeds
from cronium_desktop.engine.workflows import WorkflowService

MAX_BODY_BYTES = 1024 * 1024


class WebhookListener:
    def __init__(self, workflows: WorkflowService, port: int) -> None:
        self._workflows = workflows
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
        if workflow_id is None:
            return web.json_response({"error": "No workflow has this webhook token."}, status=404)
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
        execution_id = await self._workflows.run(workflow_id, input=payload, trigger="WEBHOOK")
        return web.json_response({"workflow_execution_id": execution_id}, status=202)
