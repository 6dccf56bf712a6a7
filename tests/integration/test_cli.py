"""The command line as a user runs it (SPEC §9): shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from cronium_desktop import __version__
from tests.conftest import Cli

FILE = {
    "format": "cronium-desktop",
    "version": 1,
    "events": [
        {"key": "greet", "name": "Greet", "type": "PYTHON",
         "content": "import cronium, sys\nprint('hello', cronium.input().get('who', 'world'))\n"
                    "print('careful', file=sys.stderr)\ncronium.output({'ok': True})\n"},
        {"key": "fail", "name": "Fail", "type": "BASH", "content": "echo broken; exit 4"},
        {"key": "tick", "name": "Tick", "type": "BASH", "content": "true", "trigger": "SCHEDULE",
         "status": "ACTIVE", "schedule": {"cron": "0 9 * * *"}, "timezone": "UTC"},
    ],
}


def write_file(tmp_path: Path) -> Path:
    path = tmp_path / "set.cronium.json"
    path.write_text(json.dumps(FILE))
    return path


def test_version_and_help(cli: Cli) -> None:
    assert cli("--version").stdout.strip() == f"cronium-desktop {__version__}"
    helped = cli("--help")
    assert helped.code == 0
    for command in ("headless", "import", "export", "run", "run-workflow", "list", "logs", "var", "server", "tool"):
        assert command in helped.stdout


def test_run_streams_the_log_and_exits_by_result(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", str(write_file(tmp_path))).code == 0
    ok = cli("run", "Greet", "--input", '{"who": "Ada"}')
    assert ok.code == 0
    assert "hello Ada" in ok.stdout and "careful" in ok.stdout
    failed = cli("run", "Fail")
    assert failed.code == 1
    assert "broken" in failed.stdout


def test_run_json_prints_only_the_result_object(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_file(tmp_path)))
    result = cli("run", "Greet", "--json")
    assert result.code == 0
    data = result.json()
    assert set(data) == {"execution_id", "status", "exit_code", "attempts", "duration_ms", "output"}
    assert (data["status"], data["exit_code"], data["attempts"], data["output"]) == ("SUCCESS", 0, 1, {"ok": True})
    assert "hello world" in result.stderr  # the log went to stderr


def test_bad_usage_and_bad_input_exit_2_with_one_error_line(cli: Cli, tmp_path: Path) -> None:
    for args in (["run", "Nope"], ["run"], ["frobnicate"], ["import", str(tmp_path / "missing.json")],
                 ["run", "Greet", "--input", "{bad"], ["var", "set", "1bad", "x"]):
        result = cli(*args)
        assert result.code == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(cli: Cli) -> None:
    result = cli("--debug", "run", "Nope")
    assert result.code == 2
    assert "Traceback" in result.stderr


def test_list_json_shapes(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_file(tmp_path)))
    cli("run", "Greet")
    events = cli("list", "events", "--json").json()
    assert [e["name"] for e in events] == ["Fail", "Greet", "Tick"]
    assert set(events[0]) == {"name", "type", "status", "trigger", "next_run", "last_status", "execution_count"}
    greet = next(e for e in events if e["name"] == "Greet")
    assert (greet["last_status"], greet["execution_count"]) == ("SUCCESS", 1)
    tick = next(e for e in events if e["name"] == "Tick")
    assert tick["next_run"].endswith("09:00:00+00:00")
    runs = cli("list", "runs", "--json").json()
    assert set(runs[0]) == {"execution_id", "event", "status", "attempt", "trigger", "started_at", "finished_at",
                            "exit_code", "error", "workflow_execution_id"}
    assert (runs[0]["event"], runs[0]["trigger"]) == ("Greet", "CLI")


def test_logs_json_lists_runs_with_their_lines(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_file(tmp_path)))
    cli("run", "Greet")
    cli("run", "Greet", "--input", '{"who": "Bo"}')
    logs = cli("logs", "Greet", "--last", "2", "--json").json()
    assert len(logs) == 2
    assert set(logs[0]) == {"execution_id", "status", "log"}
    assert [line["text"] for line in logs[1]["log"] if line["stream"] == "stdout"] == ["hello Bo"]
    assert {"ts", "stream", "text"} == set(logs[1]["log"][0])
    assert "hello Bo" in cli("logs", "Greet").stdout


def test_export_writes_a_file_that_imports_elsewhere(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_file(tmp_path)))
    out = tmp_path / "out.cronium.json"
    assert cli("export", "--event", "Greet", "Tick", "-o", str(out)).code == 0
    other = Cli(tmp_path / "second")
    assert other("import", str(out)).code == 0
    assert other("run", "Greet").code == 0
    assert cli("import", str(out)).code == 2
    assert cli("import", str(out), "--replace").code == 0


def test_var_set_and_get(cli: Cli) -> None:
    assert cli("var", "set", "REGION", "eu-west").code == 0
    assert cli("var", "get", "REGION").stdout.strip() == "eu-west"
    assert cli("var", "get", "MISSING").code == 2
