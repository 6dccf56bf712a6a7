"""`cronium-desktop event …` and `logs` through the real CLI on a real data folder (SPEC §9).

Bad input is one `error:` line naming the field, exit code 2, and the event as it was.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.fixtures.sshd import SshServer, sshd_fixture
from tests.integration.headless_process import import_events

__all__ = ["sshd_fixture"]
pytestmark = pytest.mark.timeout(600)  # many real CLI processes each; slow on a busy machine

HELLO = {"name": "Hello", "type": "BASH", "content": "echo \"hi $MODE $TOKEN\"", "env": {"MODE": "fast"},
         "trigger": "SCHEDULE", "schedule": {"cron": "*/5 * * * *"}, "retries": 1, "tags": ["a"]}


def event(cli: Cli, name: str = "Hello") -> dict[str, object]:
    result = cli("event", "show", name, "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return data


def refused(result: object, *words: str) -> None:
    assert result.code == 2, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr  # type: ignore[attr-defined]
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def hello(cli: Cli, tmp_path: Path) -> dict[str, object]:
    import_events(cli, tmp_path, HELLO)
    return event(cli)


def test_event_show_prints_the_event_as_text_and_as_json(cli: Cli, hello: dict[str, object]) -> None:
    assert hello["name"] == "Hello" and hello["schedule"] == {"cron": "*/5 * * * *"} and "id" not in hello
    text = cli("event", "show", "hello")
    assert text.code == 0 and "name: Hello" in text.stdout and "  echo \"hi $MODE $TOKEN\"" in text.stdout
    refused(cli("event", "show", "Nope"), "Nope")


def test_event_activate_and_pause_change_its_status(cli: Cli, hello: dict[str, object]) -> None:
    result = cli("event", "activate", "Hello", "--json")
    assert result.code == 0 and result.json() == {"name": "Hello", "status": "ACTIVE"}
    listed = {e["name"]: e for e in cli("list", "events", "--json").json()}  # type: ignore[union-attr]
    assert listed["Hello"]["status"] == "ACTIVE" and listed["Hello"]["next_run"]
    assert cli("event", "pause", "Hello").code == 0
    assert event(cli)["status"] == "PAUSED"
    refused(cli("event", "pause", "Nope"), "Nope")


def test_event_clone_makes_a_draft_copy_and_delete_removes_it(cli: Cli, hello: dict[str, object]) -> None:
    result = cli("event", "clone", "Hello", "--json")
    assert result.code == 0, result.stderr
    clone = result.json()
    assert clone == {"name": "Hello (copy)", "status": "DRAFT"}
    assert event(cli, "Hello (copy)")["content"] == hello["content"]
    assert cli("event", "delete", "Hello (copy)").code == 0
    refused(cli("event", "show", "Hello (copy)"), "Hello (copy)")
    refused(cli("event", "delete", "Hello (copy)"), "Hello (copy)")
    assert event(cli) == hello


def test_event_set_changes_simple_fields(cli: Cli, hello: dict[str, object]) -> None:
    result = cli("event", "set", "Hello", "retries=3", "overlap=QUEUE", "schedule=every 10 MINUTES",
                 "tags=etl,nightly", "description=Says hello", "timeout_seconds=90")
    assert result.code == 0, result.stderr
    after = event(cli)
    assert (after["retries"], after["overlap"], after["schedule"], after["tags"], after["description"],
            after["timeout_seconds"]) == (3, "QUEUE", {"every": 10, "unit": "MINUTES"}, ["etl", "nightly"],
                                          "Says hello", 90)
    assert cli("event", "set", "Hello", "schedule=0 3 * * *").code == 0
    assert event(cli)["schedule"] == {"cron": "0 3 * * *"}


BAD_ASSIGNMENTS = [
    ("retries=11", "retries"), ("retries=many", "retries"), ("schedule=not a cron", "schedule"),
    ("timezone=Mars/Olympus", "timezone"), ("overlap=SOMETIMES", "overlap"), ("colour=red", "colour"),
    ("retries", "retries"), ("run_location=REMOTE", "server"),
]


def test_event_set_refuses_bad_values_and_changes_nothing(cli: Cli, hello: dict[str, object]) -> None:
    for assignment, field in BAD_ASSIGNMENTS:  # with a good change beside it: that one must not be kept either
        refused(cli("event", "set", "Hello", "description=changed", assignment), field)
    refused(cli("event", "set", "Nope", "retries=1"), "Nope")
    assert event(cli) == hello


def test_event_env_sets_plain_and_secret_values_from_stdin(cli: Cli, hello: dict[str, object]) -> None:
    assert cli("event", "env", "Hello", "TOKEN", "--secret", stdin="s3cret-value\n").code == 0
    assert cli("event", "env", "Hello", "MODE", stdin="slow\n").code == 0
    after = event(cli)
    assert after["secret_env"] == ["TOKEN"] and after["env"] == {"MODE": "slow", "TOKEN": ""}
    assert "s3cret-value" not in cli("event", "show", "Hello").stdout
    run = cli("run", "Hello")
    assert run.code == 0 and "hi slow ••••••" in run.stdout  # the secret reached the script, masked in the log
    refused(cli("event", "env", "Hello", "TOKEN", stdin=""), "env.TOKEN", "empty")
    refused(cli("event", "env", "Hello", "BAD-NAME", stdin="x"), "env.BAD-NAME")
    assert event(cli) == after


def write_editor(tmp_path: Path, change: str) -> str:
    """An $EDITOR that changes the JSON file it is given with a line of Python."""
    script = tmp_path / "editor.py"
    script.write_text("import json, sys\npath = sys.argv[1]\ndata = json.load(open(path))\n"
                      f"{change}\njson.dump(data, open(path, 'w'))\n")
    return f"{sys.executable} {script}"


def test_event_edit_applies_what_was_saved_in_the_editor(cli: Cli, hello: dict[str, object], tmp_path: Path) -> None:
    cli.env["EDITOR"] = write_editor(tmp_path, "data['retries'] = 4; data['content'] = 'echo edited'")
    result = cli("event", "edit", "Hello")
    assert result.code == 0, result.stderr
    after = event(cli)
    assert (after["retries"], after["content"]) == (4, "echo edited")


BAD_EDITS = [
    ("data['retries'] = 11", "retries"), ("data['colour'] = 'red'", "colour"),
    ("data = [data]", "event"), ("data['schedule'] = {'cron': 'nope'}", "schedule"),
]


def test_event_edit_refuses_a_bad_edit_and_changes_nothing(cli: Cli, hello: dict[str, object], tmp_path: Path) -> None:
    for change, field in BAD_EDITS:
        cli.env["EDITOR"] = write_editor(tmp_path, "data['description'] = 'changed'; " + change)
        refused(cli("event", "edit", "Hello"), field)
    assert event(cli) == hello


def test_event_edit_with_an_editor_that_fails_changes_nothing(cli: Cli, hello: dict[str, object]) -> None:
    cli.env["EDITOR"] = "false"
    refused(cli("event", "edit", "Hello"), "EDITOR")
    assert event(cli) == hello


def test_logs_of_a_multi_server_run_name_the_server_of_each_line(
        cli: Cli, tmp_path: Path, sshd: SshServer) -> None:
    for name in ("web1", "web2"):
        added = cli("server", "add", name, "--host", sshd.host, "--port", str(sshd.port), "--user", sshd.user,
                    "--key", str(sshd.key_path), "--accept-host-key")
        assert added.code == 0, added.stderr
    import_events(cli, tmp_path, {"name": "Fleet", "type": "BASH", "content": "echo up", "run_location": "REMOTE",
                                  "servers": ["web1", "web2"]})
    assert cli("run", "Fleet").code == 0
    text = cli("logs", "Fleet").stdout
    assert "[web1] up" in text and "[web2] up" in text
    lines = json.loads(cli("logs", "Fleet", "--json").stdout)[0]["log"]
    assert {(line.get("server"), line["text"]) for line in lines if line["text"] == "up"} == {("web1", "up"), ("web2", "up")}
