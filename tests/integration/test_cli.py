"""The command line as a user runs it (SPEC §9): shapes, exit codes, one-line errors."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable
from pathlib import Path

from cronium_desktop import __version__
from tests.conftest import Cli, CliResult
from tests.fixtures.http_server import RecordingServer, http_server_fixture  # noqa: F401 - fixture

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
    measured = {"queued_s", "cpu_user_s", "cpu_system_s", "max_rss_bytes", "read_bytes", "write_bytes", "signal"}
    base = {"execution_id", "event", "status", "attempt", "trigger", "started_at", "finished_at", "exit_code", "error",
            "workflow_execution_id"}
    assert base <= set(runs[0]) <= base | measured  # plus the figures where measured (SPEC §9)
    assert (runs[0]["event"], runs[0]["trigger"]) == ("Greet", "CLI")


def test_logs_json_lists_runs_with_their_lines(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_file(tmp_path)))
    cli("run", "Greet")
    cli("run", "Greet", "--input", '{"who": "Bo"}')
    logs = cli("logs", "Greet", "--last", "2", "--json").json()
    assert len(logs) == 2
    measured = {"queued_s", "cpu_user_s", "cpu_system_s", "max_rss_bytes", "read_bytes", "write_bytes", "signal"}
    assert {"execution_id", "status", "log"} <= set(logs[0]) <= {"execution_id", "status", "log"} | measured
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


def one_error_line(result: CliResult) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    return lines[0]


def test_runs_stop_at_once_when_the_passphrase_is_wrong_or_missing(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_file(tmp_path)))
    workflow = {"format": "cronium-desktop", "version": 1,
                "workflow": {"name": "Daily", "nodes": [{"id": "n1", "event": "Greet"}], "edges": []}}
    (tmp_path / "daily.cronium.json").write_text(json.dumps(workflow))
    cli("import", str(tmp_path / "daily.cronium.json"))
    assert cli("var", "set", "TOKEN", "s3cr3t", "--secret").code == 0  # every run reads the secret variables
    wrong, missing = Cli(cli.data_dir), Cli(cli.data_dir)
    wrong.env["CRONIUM_PASSPHRASE"] = "not the passphrase these secrets were saved with"
    del missing.env["CRONIUM_PASSPHRASE"]
    for user, words in ((wrong, "passphrase (CRONIUM_PASSPHRASE) is wrong"), (missing, "export CRONIUM_PASSPHRASE")):
        for args in (["run", "Greet"], ["run", "Greet", "--json"], ["run-workflow", "Daily", "--json"]):
            result = user(*args, timeout=30)  # it used to wait for the run for ever
            assert result.code == 2, args
            assert words in one_error_line(result) and result.stdout == ""
    assert cli("list", "runs", "--json").json() == []  # nothing was left queued


def test_setting_a_secret_variable_again_keeps_it_secret(cli: Cli) -> None:
    assert cli("var", "set", "API_TOKEN", "first-token", "--secret").code == 0
    again = cli("var", "set", "API_TOKEN", "second-token")
    assert again.code == 0 and "secret" in again.stderr
    assert cli("var", "get", "API_TOKEN").stdout.strip() == "••••••"
    assert cli("var", "get", "API_TOKEN", "--reveal").stdout.strip() == "second-token"
    assert cli("list", "variables", "--json").json() == [{"key": "API_TOKEN", "value": "••••••", "secret": True}]


def test_logs_of_an_event_that_never_ran_and_an_empty_file_say_so(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_file(tmp_path)))
    logs = cli("logs", "Fail")
    assert logs.code == 0 and "'Fail' has not run yet." in logs.stdout
    assert cli("logs", "Fail", "--json").json() == []
    empty = tmp_path / "empty.cronium.json"
    empty.write_text('{"format": "cronium-desktop", "version": 1}')
    imported = cli("import", str(empty))
    assert imported.code == 0 and "Nothing to import" in imported.stdout


def test_a_reader_that_stops_early_gets_no_error(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_file(tmp_path)))
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `cronium-desktop list events | head -1` once head has had its line
    process = subprocess.run([sys.executable, "-m", "cronium_desktop", "list", "events"], stdout=write_end,
                             stderr=subprocess.PIPE, text=True, env=cli.env, timeout=60)
    os.close(write_end)
    assert process.returncode == 1
    assert process.stderr == ""  # it printed "error: [Errno 32] Broken pipe"


def test_export_to_a_folder_that_does_not_exist_exits_2_naming_the_file(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_file(tmp_path)))
    target = tmp_path / "no-such-folder" / "out.cronium.json"
    result = cli("export", "--event", "Greet", "-o", str(target))
    assert result.code == 2
    line = one_error_line(result)
    assert str(target) in line and ".tmp" not in line


async def test_tool_add_fills_in_the_settings_of_an_imported_tool(
    cli: Cli, tmp_path: Path, http_server: RecordingServer
) -> None:
    url = http_server.reply("/services/T0/B0/hook", 200, "ok")
    document = {
        "format": "cronium-desktop", "version": 1,
        "tools": [{"name": "ops-slack", "type": "slack", "config": {}}],
        "events": [
            {"key": "ping", "name": "Ping", "type": "TOOL_ACTION",
             "tool_action": {"tool": "ops-slack", "action": "send_message", "params": {"body": "hi"}}},
            {"key": "job", "name": "Job", "type": "BASH", "content": "exit 1",
             "conditional_actions": [{"on": "ON_FAILURE", "action": "RUN_EVENT", "event": "ping"}]},
        ],
    }
    path = tmp_path / "ping.cronium.json"
    path.write_text(json.dumps(document))

    def run(*args: str) -> Awaitable[CliResult]:
        return asyncio.to_thread(cli, *args)  # the CLI reaches the HTTP server on this loop

    imported = await run("import", str(path))
    assert imported.code == 0 and "tool add ops-slack --type slack" in imported.stdout
    before = await run("run", "Ping")
    assert before.code == 1 and "no stored settings" in before.stdout
    other_type = await run("tool", "add", "ops-slack", "--type", "discord", "--config", json.dumps({"url": url}))
    assert other_type.code == 2 and "--type slack" in one_error_line(other_type)
    added = await run("tool", "add", "ops-slack", "--type", "slack", "--config", json.dumps({"url": url}))
    assert added.code == 0, added.stderr
    assert (await run("tool", "add", "ops-slack", "--type", "slack", "--config", json.dumps({"url": url}))).code == 2
    assert (await run("run", "Ping")).code == 0
    assert [request.json() for request in http_server.requests] == [{"text": "hi"}]

    exported = await run("export", "--event", "Job", "-o", str(tmp_path / "job.cronium.json"))
    assert "Included 'Ping'" in exported.stdout and "'ops-slack' without their settings" in exported.stdout
    written = json.loads((tmp_path / "job.cronium.json").read_text())
    assert written["tools"] == [{"name": "ops-slack", "type": "slack", "config": {}}]
    assert "hook" not in json.dumps(written)


def test_server_add_errors_name_the_option_to_fix(cli: Cli, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    locked_key = tmp_path / "id_locked"
    locked_key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(b"key passphrase")))
    add = ["server", "add", "db1", "--host", "127.0.0.1"]
    missing = cli(*add, "--user", "deploy", "--key", str(tmp_path / "id_missing"))
    assert missing.code == 2 and one_error_line(missing).startswith("error: --key: the file")
    locked = cli(*add, "--user", "deploy", "--key", str(locked_key))
    assert locked.code == 2
    assert one_error_line(locked).startswith("error: --key:") and "--agent" in locked.stderr
    bad_user = cli(*add, "--user", "two words", "--agent")
    assert bad_user.code == 2 and one_error_line(bad_user).startswith("error: --user:")
    assert cli("list", "servers", "--json").json() == []


def test_a_data_folder_that_cannot_be_used_is_one_error_line(cli: Cli, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    for data_dir, words in ((a_file, "is a file"), (a_file / "inside", "cannot create the data folder")):
        result = cli("list", "events", "--data-dir", str(data_dir))
        assert result.code == 2
        line = one_error_line(result)
        assert words in line and str(data_dir) in line and "Errno" not in line
