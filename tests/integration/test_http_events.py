"""HTTP_REQUEST events against a real HTTP server on 127.0.0.1 (SPEC §1, §2, §8)."""

from __future__ import annotations

from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.executors.http import LOGGED_BODY_BYTES, validate_http
from tests.fixtures.http_server import RecordingServer, closed_port, http_server_fixture  # noqa: F401 - fixture
from tests.fixtures.tools import wire_tools


async def run_http(engine: Engine, http: dict[str, Any], timeout_seconds: float = 30) -> tuple[Any, list[str]]:
    wire_tools(engine)
    await engine.events.create(
        {"name": "Probe", "type": "HTTP_REQUEST", "http": http, "timeout_seconds": timeout_seconds}
    )
    execution_id = await engine.runs.start("Probe")
    summary = await engine.runs.wait(execution_id, timeout=30)
    log = [record.text for record in await engine.runs.log(execution_id)]
    return summary, log


async def test_2xx_succeeds_with_json_body_parsed(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/health", 200, {"ok": True, "checks": [1, 2]}, headers={"X-Version": "7"})
    summary, _ = await run_http(engine, {"method": "GET", "url": url})
    assert summary.status == "SUCCESS"
    assert summary.output["status"] == 200
    assert summary.output["body"] == {"ok": True, "checks": [1, 2]}
    assert summary.output["headers"]["X-Version"] == "7"


async def test_text_body_is_kept_as_text(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/text", 201, '{"looks": "like json"} but is text/plain')
    summary, _ = await run_http(engine, {"method": "GET", "url": url})
    assert summary.status == "SUCCESS"
    assert summary.output["body"] == '{"looks": "like json"} but is text/plain'


async def test_post_sends_method_headers_and_json_body(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/items", 201, {"id": 5})
    http = {"method": "POST", "url": url + "?dry=1", "headers": {"X-Token": "abc"}, "body": {"name": "widget"}}
    summary, _ = await run_http(engine, http)
    assert summary.status == "SUCCESS"
    [request] = http_server.requests
    assert (request.method, request.path, request.query) == ("POST", "/items", {"dry": "1"})
    assert request.headers["X-Token"] == "abc"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"name": "widget"}


async def test_text_body_is_sent_as_is(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/raw", 200, "fine")
    await run_http(engine, {"method": "PUT", "url": url, "body": "line one\nline two"})
    [request] = http_server.requests
    assert request.body == b"line one\nline two"
    assert request.headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("status", [404, 500, 503])
async def test_4xx_and_5xx_fail_naming_the_status(engine: Engine, http_server: RecordingServer, status: int) -> None:
    url = http_server.reply("/broken", status, {"error": "nope"})
    summary, _ = await run_http(engine, {"method": "GET", "url": url})
    assert summary.status == "FAILURE"
    assert f"HTTP {status}" in summary.error
    assert "expected any 2xx" in summary.error
    assert summary.output == {"status": status, "headers": summary.output["headers"], "body": {"error": "nope"}}


async def test_expected_status_list_accepts_a_listed_code(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/gone", 404, "not here")
    summary, _ = await run_http(engine, {"method": "DELETE", "url": url, "expected_status": [204, 404]})
    assert summary.status == "SUCCESS"
    assert summary.output["status"] == 404


async def test_expected_status_list_refuses_an_unlisted_2xx(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/made", 200, "ok")
    summary, _ = await run_http(engine, {"method": "POST", "url": url, "body": "x", "expected_status": [201]})
    assert summary.status == "FAILURE"
    assert "expected 201" in summary.error


async def test_slow_server_times_out(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/slow", 200, "late", delay=5)
    summary, _ = await run_http(engine, {"method": "GET", "url": url}, timeout_seconds=0.5)
    assert summary.status == "TIMEOUT"
    assert "0.5 s" in summary.error
    assert summary.duration_ms < 4000


async def test_connection_refused_fails_with_the_reason(engine: Engine) -> None:
    port = closed_port()
    summary, log = await run_http(engine, {"method": "GET", "url": f"http://127.0.0.1:{port}/"})
    assert summary.status == "FAILURE"
    assert f"127.0.0.1:{port}" in summary.error
    assert "refused" in summary.error.lower()
    assert summary.error in log


async def test_response_is_logged_with_status_headers_and_body_start(
    engine: Engine, http_server: RecordingServer
) -> None:
    body = "".join(f"line {n:06d}\n" for n in range(20000))  # 240 KB
    url = http_server.reply("/big", 200, body, headers={"X-Trace": "t-1"})
    summary, log = await run_http(engine, {"method": "GET", "url": url})
    assert summary.status == "SUCCESS"
    assert summary.output["body"] == body
    assert log[0] == f"GET {url}"
    assert log[1] == "HTTP/1.1 200 OK"
    assert "X-Trace: t-1" in log
    body_lines = [line for line in log if line.startswith("line ")]
    assert body_lines[0] == "line 000000"
    assert sum(len(line) + 1 for line in body_lines) <= LOGGED_BODY_BYTES
    assert len(body_lines) < 20000
    assert any("first 64 KB" in line for line in log)


async def test_http_event_is_retried_as_the_event_says(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/flaky", 502, "bad gateway")
    wire_tools(engine)
    await engine.events.create(
        {"name": "Flaky", "type": "HTTP_REQUEST", "http": {"url": url}, "retries": 1, "retry_backoff_seconds": 0}
    )
    summary = await engine.runs.wait(await engine.runs.start("Flaky"), timeout=30)
    assert summary.status == "FAILURE"
    assert summary.attempt == 2
    assert len(http_server.requests) == 2


# -- the validator -------------------------------------------------------------------------------------


def test_validator_normalises_method_and_defaults() -> None:
    assert validate_http({"method": "post", "url": " https://example.com/a "}) == {
        "method": "POST",
        "url": "https://example.com/a",
        "headers": {},
        "body": None,
        "expected_status": None,
    }


@pytest.mark.parametrize(
    ("http", "field"),
    [
        ({"url": "https://example.com", "verb": "GET"}, "http.verb"),
        ({"method": "FETCH", "url": "https://example.com"}, "http.method"),
        ({"method": "GET"}, "http.url"),
        ({"url": "ftp://example.com/file"}, "http.url"),
        ({"url": "https://exa mple.com"}, "http.url"),
        ({"url": "http://example.com:99999/"}, "http.url"),
        ({"url": "https://example.com", "headers": ["Accept"]}, "http.headers"),
        ({"url": "https://example.com", "headers": {"Bad Name": "x"}}, "http.headers"),
        ({"url": "https://example.com", "headers": {"X-A": 5}}, "http.headers.X-A"),
        ({"url": "https://example.com", "headers": {"X-A": "a\r\nInjected: 1"}}, "http.headers.X-A"),
        ({"url": "https://example.com", "body": 42}, "http.body"),
        ({"url": "https://example.com", "expected_status": 200}, "http.expected_status"),
        ({"url": "https://example.com", "expected_status": []}, "http.expected_status"),
        ({"url": "https://example.com", "expected_status": [200, 999]}, "http.expected_status"),
        ({"url": "https://example.com", "expected_status": [True]}, "http.expected_status"),
    ],
)
def test_validator_names_the_bad_field(http: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_http(http)
    assert caught.value.field == field


async def test_request_headers_are_sent_but_never_logged(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/private", 200, "ok")
    summary, log = await run_http(engine, {"url": url, "headers": {"Authorization": "Bearer tok-93f1c2"}})
    assert summary.status == "SUCCESS"
    assert http_server.requests[0].headers["Authorization"] == "Bearer tok-93f1c2"
    assert not any("tok-93f1c2" in line for line in log)
