"""A 1-second schedule on a long script keeps one SKIPPED record per burst of skipped fires, with
their count and time span, instead of one a second (SPEC §1 overlap SKIP)."""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime
from pathlib import Path

from tests.conftest import Cli
from tests.integration.test_headless import headless  # noqa: F401 - fixture


def test_skipped_fires_of_one_long_run_make_one_record_with_count_and_span(cli: Cli, headless, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    path = tmp_path / "events.cronium.json"
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": [
        {"key": "long", "name": "Long", "type": "BASH", "content": "sleep 120", "status": "ACTIVE",
         "trigger": "SCHEDULE", "schedule": {"every": 1, "unit": "SECONDS"}}]}))
    assert cli("import", str(path)).code == 0
    running = headless()
    running.wait_running()
    time.sleep(8)
    runs = cli("list", "runs", "--json").json()
    assert [r["status"] for r in runs] == ["SKIPPED", "RUNNING"], runs  # type: ignore[index, union-attr]
    burst = runs[0]  # type: ignore[index]
    assert burst["skipped_count"] >= 4
    first, last = datetime.fromisoformat(burst["started_at"]), datetime.fromisoformat(burst["skipped_until"])
    assert (last - first).total_seconds() >= burst["skipped_count"] - 2
    table = cli("list", "runs").stdout
    assert f"SKIPPED ×{burst['skipped_count']}" in table or "SKIPPED ×" in table
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=20) == 0
