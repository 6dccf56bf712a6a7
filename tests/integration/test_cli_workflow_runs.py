"""`workflow runs`, `workflow show-run` and `workflow webhook` through the real CLI on a real data folder.

The folder is filled through the engine in this process (faster than a command per step on a busy
machine); what is checked goes through the CLI.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from cronium_desktop.engine.engine import Engine
from tests.conftest import TEST_PASSPHRASE, Cli, CliResult

FILE = {
    "format": "cronium-desktop",
    "version": 1,
    "events": [
        {"key": "extract", "name": "Extract", "type": "PYTHON",
         "content": "import cronium\nprint('extracting')\ncronium.output({'rows': 3})\n"},
        {"key": "load", "name": "Load", "type": "BASH", "content": "echo loading; exit 5"},
        {"key": "cleanup", "name": "Cleanup", "type": "BASH", "content": "echo never"},
    ],
    "workflow": {
        "name": "Publish", "trigger": "MANUAL", "schedule": None,
        "nodes": [{"id": "n1", "event": "extract", "label": "Extract", "x": 0, "y": 0},
                  {"id": "n2", "event": "load", "label": "Load", "x": 200, "y": 0},
                  {"id": "n3", "event": "cleanup", "label": "Cleanup", "x": 400, "y": 0}],
        "edges": [{"from": "n1", "to": "n2", "type": "ON_SUCCESS"}, {"from": "n2", "to": "n3", "type": "ON_SUCCESS"}],
    },
}


def imported(cli: Cli, tmp_path: Path, document: dict[str, object] = FILE, runs: int = 0) -> list[int]:
    """Import `document` into the CLI's data folder and run its workflow `runs` times; the run ids."""

    async def fill() -> list[int]:
        engine = Engine(cli.data_dir, passphrase=TEST_PASSPHRASE)
        await engine.start()
        try:
            await engine.files.import_data(document)
            ids = []
            for _ in range(runs):
                ids.append(await engine.workflows.run("Publish", trigger="CLI"))
                await engine.workflows.wait(ids[-1], timeout=60)
            return ids
        finally:
            await engine.stop(grace_seconds=1)

    return asyncio.run(fill())


def assert_one_error_line(result: CliResult, *words: str) -> None:
    assert result.code == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_workflow_runs_lists_the_last_runs_newest_first(cli: Cli, tmp_path: Path) -> None:
    ids = imported(cli, tmp_path, runs=3)
    listed = cli("workflow", "runs", "Publish", "--json").json()
    assert [run["workflow_execution_id"] for run in listed] == ids[::-1]  # type: ignore[index]
    assert {run["status"] for run in listed} == {"FAILURE"}  # type: ignore[union-attr]
    assert all(run["trigger"] == "CLI" and run["duration_ms"] is not None for run in listed)  # type: ignore[index]
    last_two = cli("workflow", "runs", "Publish", "--last", "2", "--json").json()
    assert [run["workflow_execution_id"] for run in last_two] == ids[:0:-1]  # type: ignore[index]
    table = cli("workflow", "runs", "publish")  # names are case-insensitive
    assert table.code == 0
    assert table.stdout.splitlines()[0].split() == ["ID", "STATUS", "TRIGGER", "STARTED", "DURATION"]
    assert len(table.stdout.strip().splitlines()) == 4


def test_show_run_gives_each_nodes_state_times_and_output(cli: Cli, tmp_path: Path) -> None:
    [run_id] = imported(cli, tmp_path, runs=1)
    shown = cli("workflow", "show-run", str(run_id), "--json").json()
    assert shown["status"] == "FAILURE" and shown["workflow"] == "Publish"  # type: ignore[index]
    nodes = {node["label"]: node for node in shown["nodes"]}  # type: ignore[index]
    assert [node["label"] for node in shown["nodes"]] == ["Extract", "Load", "Cleanup"]  # type: ignore[index]
    assert nodes["Extract"]["status"] == "SUCCESS" and nodes["Extract"]["output"] == {"rows": 3}
    assert nodes["Extract"]["started_at"] and nodes["Extract"]["finished_at"] and nodes["Extract"]["exit_code"] == 0
    assert nodes["Load"]["status"] == "FAILURE" and nodes["Load"]["exit_code"] == 5
    assert nodes["Cleanup"]["status"] == "SKIPPED" and nodes["Cleanup"]["execution_id"] is None
    text = cli("workflow", "show-run", str(run_id))
    assert text.code == 0
    assert f"Workflow run {run_id} of 'Publish': FAILURE" in text.stdout
    assert 'Extract output: {"rows": 3}' in text.stdout
    assert any(line.split()[:2] == ["Cleanup", "SKIPPED"] for line in text.stdout.splitlines())


def test_workflow_runs_refuses_an_unknown_name_or_a_bad_count_with_one_error_line(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path)
    assert_one_error_line(cli("workflow", "runs", "Nope"), "No workflow named 'Nope'")
    assert_one_error_line(cli("workflow", "runs", "Publish", "--last", "0"), "--last")
    assert_one_error_line(cli("workflow", "runs", "Publish", "--last", "many"), "--last", "'many'")
    assert cli("workflow", "runs", "Publish", "--json").json() == []  # nothing ran, nothing changed


def test_show_run_and_webhook_refuse_bad_input_with_one_error_line(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path)
    assert_one_error_line(cli("workflow", "show-run", "999"), "No workflow run with id 999")
    assert_one_error_line(cli("workflow", "show-run", "abc"), "ID", "'abc'")
    assert_one_error_line(cli("workflow", "webhook", "Nope"), "No workflow named 'Nope'")
    assert_one_error_line(cli("workflow", "frobnicate", "Publish"))


def test_workflow_webhook_prints_the_url_and_rotate_makes_a_new_token(cli: Cli, tmp_path: Path) -> None:
    hooked = json.loads(json.dumps(FILE))
    hooked["workflow"]["trigger"] = "WEBHOOK"
    imported(cli, tmp_path, hooked)
    first = cli("workflow", "webhook", "Publish")
    assert first.code == 0
    url = first.stdout.strip()
    assert url.startswith("http://127.0.0.1:8787/webhooks/") and len(url.rsplit("/", 1)[1]) >= 24
    assert cli("workflow", "webhook", "Publish").stdout.strip() == url  # printing changes nothing
    rotated = cli("workflow", "webhook", "Publish", "--rotate", "--json").json()
    assert rotated["workflow"] == "Publish" and rotated["url"] != url  # type: ignore[index]
    assert rotated["url"].endswith(rotated["token"])  # type: ignore[index]
    assert cli("workflow", "webhook", "Publish").stdout.strip() == rotated["url"]  # type: ignore[index]


def test_workflow_webhook_of_a_manual_workflow_is_refused_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path)
    assert_one_error_line(cli("workflow", "webhook", "Publish", "--rotate"), "'Publish'", "MANUAL")
    listed = cli("list", "workflows", "--json").json()
    assert listed[0]["trigger"] == "MANUAL"  # type: ignore[index]
