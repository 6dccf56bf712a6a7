"""HTTP_REQUEST events: one request, judged by its status (SPEC §1, §2, §8).

The run's output is `{"status", "headers", "body"}` with a JSON body parsed; the log shows the
request line, the status line, the response headers and the first 64 KB of the body. The event's
timeout bounds the whole exchange; retries are the runner's job, like for every other event type.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.executors.base import FAILURE, SUCCESS, TIMEOUT, ExecResult, Job, Sink
from cronium_desktop.engine.tools.base import connection_reason

if TYPE_CHECKING:  # aiohttp loads when a request is made: a command that makes none starts without it
    import aiohttp

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
HTTP_KEYS = ("method", "url", "headers", "body", "expected_status")
LOGGED_BODY_BYTES = 64 * 1024
# SPEC §3 refuses outputs over 10 MB; a larger body is logged (in part) but not kept as output.
MAX_OUTPUT_BYTES = 10 * 1024 * 1024
# Connecting is quick or it is not happening; the event's timeout still bounds the whole request.
CONNECT_TIMEOUT_SECONDS = 30.0
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def validate_http(http: Any, field: str = "http") -> dict[str, Any]:
    """Check an HTTP_REQUEST event's `http` and return it normalised (method upper-case, defaults set).

    Raises ValidationError naming the exact field, e.g. ``http.expected_status``.
    """
    if not isinstance(http, dict):
        raise ValidationError(field, 'must be an object: {"method", "url", "headers", "body", "expected_status"}.')
    unknown = sorted(set(http) - set(HTTP_KEYS))
    if unknown:
        raise ValidationError(f"{field}.{unknown[0]}", f"is not an HTTP request setting; they are: {', '.join(HTTP_KEYS)}.")

    method = http.get("method") or "GET"
    if not isinstance(method, str) or method.strip().upper() not in HTTP_METHODS:
        raise ValidationError(f"{field}.method", f"must be one of {', '.join(HTTP_METHODS)}, not {method!r}.")
    method = method.strip().upper()

    url = http.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(f"{field}.url", "is required: the address to request, e.g. https://example.com/health.")
    url = url.strip()
    if any(char.isspace() for char in url):
        raise ValidationError(f"{field}.url", "must not contain spaces; encode them as %20.")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise ValidationError(f"{field}.url", f"has a bad port: {error}.") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{field}.url", f"must be an http:// or https:// URL with a host, not {url!r}.")

    headers = http.get("headers") or {}
    if not isinstance(headers, dict):
        raise ValidationError(f"{field}.headers", 'must be an object of header names and values, e.g. {"Accept": "application/json"}.')
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ValidationError(f"{field}.headers", f"{name!r} is not a valid header name.")
        if not isinstance(value, str):
            raise ValidationError(f"{field}.headers.{name}", f"must be text, not {type(value).__name__}.")
        if "\r" in value or "\n" in value:
            raise ValidationError(f"{field}.headers.{name}", "must be a single line.")

    body = http.get("body")
    if body is not None and not isinstance(body, str | dict | list):
        raise ValidationError(f"{field}.body", "must be text, a JSON object or a JSON list.")

    expected = http.get("expected_status")
    if expected is not None:
        if not isinstance(expected, list) or not expected:
            raise ValidationError(f"{field}.expected_status", "must be null (any 2xx) or a non-empty list of status codes.")
        for code in expected:
            if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
                raise ValidationError(f"{field}.expected_status", f"{code!r} is not an HTTP status code (100–599).")
        expected = sorted(set(expected))
    return {"method": method, "url": url, "headers": dict(headers), "body": body, "expected_status": expected}


def status_expected(status: int, expected: list[int] | None) -> bool:
    return 200 <= status < 300 if expected is None else status in expected


def _describe_expected(expected: list[int] | None) -> str:
    return "any 2xx" if expected is None else ", ".join(str(code) for code in expected)


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    """The body, or its first MAX_OUTPUT_BYTES + 1 bytes: enough to know it is too large."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_OUTPUT_BYTES:
            break
    return b"".join(chunks)


class HttpExecutor:
    """Implements `Executor` for HTTP_REQUEST events with aiohttp."""

    async def run(self, job: Job, sink: Sink) -> ExecResult:
        try:
            request = validate_http(job.http)
        except ValidationError as error:
            message = f"The HTTP request is not valid: {error}"
            sink.line("system", message)
            return ExecResult(status=FAILURE, error=message)
        try:
            return await asyncio.wait_for(self._exchange(request, sink), job.timeout_seconds)
        except TimeoutError:
            message = f"No complete answer from {request['url']} within {job.timeout_seconds:g} s."
            sink.line("system", message)
            return ExecResult(status=TIMEOUT, error=message)

    async def _exchange(self, request: dict[str, Any], sink: Sink) -> ExecResult:
        method, url, expected = request["method"], request["url"], request["expected_status"]
        headers = dict(request["headers"])
        body = request["body"]
        data: bytes | None = None
        if isinstance(body, dict | list):
            data = json.dumps(body).encode("utf-8")
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "application/json"
        elif isinstance(body, str) and body:
            data = body.encode("utf-8")
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "text/plain; charset=utf-8"

        import aiohttp

        sink.line("system", f"{method} {url}")
        timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_TIMEOUT_SECONDS)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.request(method, url, headers=headers, data=data) as response:
                    raw = await _read_body(response)
                    too_large = len(raw) > MAX_OUTPUT_BYTES
                    status, reason = response.status, response.reason or ""
                    version = f"HTTP/{response.version.major}.{response.version.minor}" if response.version else "HTTP"
                    response_headers: dict[str, str] = {}
                    for name, value in response.headers.items():
                        response_headers[name] = f"{response_headers[name]}, {value}" if name in response_headers else value
                    charset = response.charset or "utf-8"
                    content_type = response.content_type
        except aiohttp.ClientConnectorCertificateError as error:
            return self._failed(sink, f"The TLS certificate of {url} could not be verified: {error.certificate_error}.")
        except aiohttp.ClientConnectorError as error:
            reason = connection_reason(error.os_error)
            return self._failed(sink, f"Could not connect to {error.host}:{error.port}: {reason}.")
        except aiohttp.InvalidURL:
            return self._failed(sink, f"{url!r} is not a URL aiohttp can request.")
        except aiohttp.ClientError as error:
            return self._failed(sink, f"The request to {url} failed: {type(error).__name__}: {error}.")

        self._log_response(sink, version, status, reason, response_headers, raw, charset, too_large)
        output: dict[str, Any] = {"status": status, "headers": response_headers, "body": None}
        if not too_large:
            text = raw.decode(charset, errors="replace")
            output["body"] = text
            if _is_json(content_type) and text.strip():
                try:
                    output["body"] = json.loads(text)
                except ValueError:
                    sink.line("system", "The body is marked as JSON but does not parse; it is kept as text.")
        if status_expected(status, expected):
            return ExecResult(status=SUCCESS, output=output)
        message = f"HTTP {status} {reason}".rstrip() + f"; expected {_describe_expected(expected)}."
        sink.line("system", message)
        return ExecResult(status=FAILURE, error=message, output=output)

    @staticmethod
    def _log_response(
        sink: Sink,
        version: str,
        status: int,
        reason: str,
        headers: dict[str, str],
        raw: bytes,
        charset: str,
        too_large: bool,
    ) -> None:
        sink.line("stdout", f"{version} {status} {reason}".rstrip())
        for name, value in headers.items():
            sink.line("stdout", f"{name}: {value}")
        if not raw:
            return
        sink.line("stdout", "")
        shown = raw[:LOGGED_BODY_BYTES].decode(charset, errors="replace")
        for line in shown.splitlines():
            sink.line("stdout", line)
        if len(raw) > LOGGED_BODY_BYTES:
            size = f"more than {MAX_OUTPUT_BYTES // (1024 * 1024)} MB" if too_large else f"{len(raw)} bytes"
            sink.line("system", f"(body is {size}; the first {LOGGED_BODY_BYTES // 1024} KB are shown)")
        if too_large:
            sink.line("system", f"The body is larger than {MAX_OUTPUT_BYTES // (1024 * 1024)} MB, so it is not kept as the run's output.")

    @staticmethod
    def _failed(sink: Sink, message: str) -> ExecResult:
        sink.line("system", message)
        return ExecResult(status=FAILURE, error=message)
