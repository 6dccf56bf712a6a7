"""Message templates cannot hang or exhaust the app (SPEC §4): each renders in a child process with a
deadline and a memory cap, and a template past a bound is logged on its run like any template error."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from cronium_desktop.engine.messages import TemplateError
from cronium_desktop.engine.template_process import RENDER_SECONDS, render_bounded
from tests.conftest import Cli
from tests.integration.test_headless import headless  # noqa: F401 - fixture

NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
SCOPE = {"event": {"name": "Backup"}, "execution": {"status": "SUCCESS"}, "output": {"n": 3}, "variables": {}}


async def test_a_template_renders_in_its_bounded_process() -> None:
    assert await render_bounded("{{ event.name }}: {{ output.n * 2 }}", SCOPE) == "Backup: 6"


async def test_endless_loops_are_stopped_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError, match="longer than 2 s"):
        await render_bounded(NESTED_LOOPS, SCOPE, "body")
    assert time.monotonic() - started < RENDER_SECONDS + 3


@pytest.mark.parametrize("template", ["{{ '%01000000000d' % 1 }}", "{{ 'x' | center(1e9) }}", "{{ 'x' | center(1000000000) }}",
                                      "{{ '{:>1000000000}'.format(1) }}", "{{ 'x' | indent(1000000000, true) }}"])
async def test_gigabyte_allocations_fail_as_template_errors(template: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError) as raised:
        await render_bounded(template, SCOPE, "subject")
    assert raised.value.template_name == "subject"
    assert time.monotonic() - started < RENDER_SECONDS + 3


def _set_up(cli: Cli, tmp_path: Path, schedule: dict[str, object] | None, body: str) -> None:
    assert cli("tool", "add", "hook", "--type", "webhook", "--config", '{"url": "http://127.0.0.1:9/hook"}').code == 0
    event: dict[str, object] = {
        "key": "tick", "name": "Tick", "type": "BASH", "content": "echo tick",
        "conditional_actions": [{"on": "ALWAYS", "action": "SEND_MESSAGE", "tool": "hook", "subject": "s", "body": body}],
    }
    if schedule:
        event.update(trigger="SCHEDULE", status="ACTIVE", schedule=schedule)
    path = tmp_path / "events.cronium.json"
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": [event]}))
    assert cli("import", str(path)).code == 0


@pytest.mark.parametrize("body", [NESTED_LOOPS, "{{ '%01000000000d' % 1 }}"])
def test_cli_run_returns_and_logs_the_template_error(cli: Cli, tmp_path: Path, body: str) -> None:
    _set_up(cli, tmp_path, None, body)
    result = cli("run", "Tick", timeout=30)
    assert result.code == 0
    assert "Conditional action ALWAYS → SEND_MESSAGE failed: The message body template" in result.stdout
    logs = cli("logs", "Tick").stdout
    assert "The message body template" in logs and ("longer than 2 s" in logs or "memory" in logs)


def test_a_looping_template_does_not_stall_headless_or_its_shutdown(cli: Cli, headless, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _set_up(cli, tmp_path, {"every": 1, "unit": "SECONDS"}, NESTED_LOOPS)
    running = headless()
    running.wait_running()
    # Each fire's message runs into its 2 s deadline; before, six stuck renders filled the thread
    # pool and every later run stayed RUNNING for good.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        runs = cli("list", "runs", "--json").json()
        if len([r for r in runs if r["status"] == "SUCCESS"]) >= 8:  # type: ignore[union-attr, index]
            break
        time.sleep(1)
    else:
        raise AssertionError(f"runs stalled: {runs}")
    assert not [r for r in runs[3:] if r["status"] in ("RUNNING", "PENDING")]  # type: ignore[index]
    assert "longer than 2 s" in cli("logs", "Tick", "--last", "10").stdout  # the newest may still be rendering
    stopping = time.monotonic()
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=20) == 0
    assert time.monotonic() - stopping < 12
