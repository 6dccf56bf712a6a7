"""The store is never lost or left readable by others (SPEC §7, §9): a damaged store is refused and
left as it is, naming the newest backup; `backup` and `restore` through the real CLI; rolling backups;
a private data folder."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.integration.test_headless import headless  # noqa: F401 - fixture


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_events(cli: Cli, tmp_path: Path, *names: str) -> None:
    path = tmp_path / "events.cronium.json"
    events = [{"key": f"e{i}", "name": name, "type": "BASH", "content": "echo " + "x" * 2000} for i, name in enumerate(names)]
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": events}))
    assert cli("import", str(path)).code == 0


def event_names(cli: Cli) -> list[str]:
    return [e["name"] for e in cli("list", "events", "--json").json()]  # type: ignore[union-attr, index]


def settle(data_dir: Path) -> Path:
    """The store as one file, as it is once no process has it open."""
    store = data_dir / "cronium.db"
    with sqlite3.connect(store) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    return store


# -- damaged stores ---------------------------------------------------------------------------------


def test_an_empty_store_file_is_refused_not_replaced_and_names_the_newest_backup(cli: Cli, tmp_path: Path) -> None:
    add_events(cli, tmp_path, "Keep me")
    made = cli("backup")
    assert made.code == 0
    store = settle(cli.data_dir)
    store.write_bytes(b"")
    result = cli("list", "events")
    assert result.code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error:")
    assert "empty" in result.stderr and "cronium-desktop restore" in result.stderr
    newest = sorted((cli.data_dir / "backups").glob("*.db"))[-1]
    assert str(newest) in result.stderr
    assert store.stat().st_size == 0  # left as it is


@pytest.mark.parametrize("damage", ["garbage", "foreign", "cut_short"])
def test_a_damaged_or_foreign_store_is_refused_with_one_line_and_left_untouched(
    cli: Cli, tmp_path: Path, damage: str
) -> None:
    add_events(cli, tmp_path, *[f"Event {i}" for i in range(60)])
    store = settle(cli.data_dir)
    if damage == "garbage":
        store.write_bytes(os.urandom(8192))
    elif damage == "foreign":
        store.unlink()
        with sqlite3.connect(store) as connection:
            connection.execute("CREATE TABLE recipes (name TEXT)")
        connection.close()
    else:
        store.write_bytes(store.read_bytes()[: store.stat().st_size // 2])
    before = digest(store)
    for command in (("list", "events"), ("headless",), ("run", "Event 1")):
        result = cli(*command, timeout=30)
        assert result.code == 2, (command, result.stderr)
        assert result.stderr.startswith("error: the store") and result.stderr.count("\n") == 1, result.stderr
        assert "SELECT" not in result.stderr and "Traceback" not in result.stderr
        assert "No backup was found" in result.stderr
    assert digest(store) == before


# -- backup and restore -----------------------------------------------------------------------------


def test_backup_to_a_file_and_restore_it_brings_the_events_back(cli: Cli, tmp_path: Path) -> None:
    add_events(cli, tmp_path, "Nightly report")
    target = tmp_path / "saved.db"
    made = cli("backup", str(target))
    assert made.code == 0 and str(target) in made.stdout
    assert mode(target) == 0o600
    assert cli("backup", str(target)).code == 2  # never overwrites a file
    settle(cli.data_dir).write_bytes(b"")  # the store is lost
    assert cli("list", "events").code == 2
    restored = cli("restore", str(target))
    assert restored.code == 0, restored.stderr
    assert "cronium.db.damaged-" in restored.stdout  # the damaged file is kept aside, not deleted
    assert event_names(cli) == ["Nightly report"]
    assert mode(cli.data_dir / "cronium.db") == 0o600


def test_restore_refuses_a_file_that_is_not_a_store(cli: Cli, tmp_path: Path) -> None:
    add_events(cli, tmp_path, "A")
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    result = cli("restore", str(bogus))
    assert result.code == 2 and "not a Cronium store" in result.stderr
    assert event_names(cli) == ["A"]


def test_restore_is_refused_while_a_scheduler_runs(cli: Cli, tmp_path: Path, headless) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    add_events(cli, tmp_path, "A")
    target = tmp_path / "saved.db"
    assert cli("backup", str(target)).code == 0
    running = headless()
    running.wait_running()
    result = cli("restore", str(target))
    assert result.code == 2
    assert f"PID {running.process.pid}" in result.stderr and "stop it" in result.stderr


def test_rolling_backups_keep_the_last_seven_privately(cli: Cli, tmp_path: Path) -> None:
    add_events(cli, tmp_path, "A")
    for _ in range(9):
        assert cli("backup").code == 0
    kept = sorted((cli.data_dir / "backups").glob("*.db"))
    assert len(kept) == 7
    assert all(mode(path) == 0o600 for path in kept)
    assert mode(cli.data_dir / "backups") == 0o700


def test_the_scheduler_makes_a_daily_backup(cli: Cli, tmp_path: Path, headless) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    add_events(cli, tmp_path, "A")
    running = headless()
    running.wait_running()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not list((cli.data_dir / "backups").glob("*-daily.db")):
        time.sleep(0.2)
    [daily] = list((cli.data_dir / "backups").glob("*-daily.db"))
    with sqlite3.connect(daily) as connection:
        assert [row[0] for row in connection.execute("SELECT name FROM events")] == ["A"]
    connection.close()
    assert mode(daily) == 0o600


# -- a private data folder --------------------------------------------------------------------------


def test_a_new_data_folder_and_its_files_are_private(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "fresh" / "data")
    first = cli("list", "events")
    assert first.code == 0 and "private" not in first.stderr  # nothing to tighten in a folder it made
    data = cli.data_dir
    assert mode(data) == 0o700
    assert cli("var", "set", "k", "v").code == 0
    files = [path for path in data.rglob("*") if path.is_file()]
    assert any(path.name == "cronium.db" for path in files)
    assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}


def test_an_existing_open_folder_is_tightened_at_start_and_said_once(cli: Cli, tmp_path: Path, headless) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    add_events(cli, tmp_path, "A")
    running = headless()
    running.wait_running()
    running.process.terminate()
    running.process.wait(timeout=20)
    data = cli.data_dir
    os.chmod(data, 0o755)
    for path in data.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    first = cli("list", "events")
    assert first.code == 0 and first.stderr.count("private") == 1, first.stderr
    assert mode(data) == 0o700
    for path in data.rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert "private" not in cli("list", "events").stderr


def test_an_older_store_is_backed_up_before_it_is_migrated(cli: Cli) -> None:
    from alembic import command
    from alembic.config import Config

    from cronium_desktop.engine.store.db import _MIGRATIONS, Database

    old = Database(cli.data_dir)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection_engine"] = old.engine
    command.upgrade(config, "0001")
    old.close()
    assert cli("list", "events").code == 0
    [kept] = list((cli.data_dir / "backups").glob("*-before-migration.db"))
    with sqlite3.connect(kept) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    connection.close()
