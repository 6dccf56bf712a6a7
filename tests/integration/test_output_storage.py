"""A run's output as the user gets it back: every line, in order, with its stream, whatever the
script writes (floods, huge lines, broken UTF-8, a secret written in two pieces), from the store,
`logs`, `logs --json` and `logs --follow` — also on a store written by the previous layout."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.secrets import MASK
from tests.conftest import Cli


async def run_script(engine: Engine, name: str, content: str, kind: str = "PYTHON", **fields: object) -> int:
    event_id = await engine.events.create({"name": name, "type": kind, "content": content, **fields})
    summary = await engine.runs.wait(await engine.runs.start(event_id))
    return summary.execution_id


async def test_a_million_lines_keep_their_order_and_streams(engine: Engine) -> None:
    script = (
        "import sys\nout, err = sys.stdout, sys.stderr\n"
        "for i in range(1_000_000):\n    out.write(f'{i}\\n')\n"
        "    if i % 1000 == 0:\n        out.flush(); err.write(f'e{i}\\n'); err.flush()\n"
    )
    execution_id = await run_script(engine, "Flood", script)
    records = await engine.runs.log(execution_id)
    stdout = [r.text for r in records if r.stream == "stdout"]
    stderr = [r.text for r in records if r.stream == "stderr"]
    assert stdout == [str(i) for i in range(1_000_000)]
    assert stderr == [f"e{i}" for i in range(0, 1_000_000, 1000)]
    assert [r.id for r in records] == list(range(1, len(records) + 1))
    # An stderr line never comes before the stdout line written before it.
    position = {(r.stream, r.text): index for index, r in enumerate(records)}
    assert all(position[("stdout", str(i))] < position[("stderr", f"e{i}")] for i in range(0, 1_000_000, 50_000))


async def test_huge_lines_partial_last_lines_and_broken_utf8_are_stored_right(engine: Engine) -> None:
    script = (
        "import sys\nw = sys.stdout.buffer.write\n"
        "w(b'x' * (3 * 1024 * 1024) + b'\\n')\n"
        "w(b'caf\\xc3\\xa9 \\xff\\xfe ok\\r\\n')\n"
        "w(b'no newline at the end')\n"
    )
    execution_id = await run_script(engine, "Odd output", script)
    texts = [r.text for r in await engine.runs.log(execution_id) if r.stream == "stdout"]
    assert "".join(texts[:-2]) == "x" * (3 * 1024 * 1024)  # cut into pieces, nothing lost
    assert all(len(piece) <= 1024 * 1024 for piece in texts[:-2])
    assert texts[-2] == "café \ufffd\ufffd ok"
    assert texts[-1] == "no newline at the end"


async def test_a_secret_written_in_two_pieces_is_still_masked(engine: Engine) -> None:
    script = (
        "import sys, time, os\ns = os.environ['TOKEN']\n"
        "sys.stdout.write('token=' + s[:6]); sys.stdout.flush(); time.sleep(0.4)\n"
        "sys.stdout.write(s[6:] + ' end\\n'); sys.stdout.flush()\n"
    )
    execution_id = await run_script(engine, "Split secret", script, env={"TOKEN": "abcdef-ghijkl-123"},
                                    secret_env=["TOKEN"])
    texts = [r.text for r in await engine.runs.log(execution_id)]
    assert f"token={MASK} end" in texts
    assert not any("ghijkl" in text or "abcdef" in text for text in texts)


async def test_a_run_over_the_output_cap_keeps_its_first_and_last_lines(engine: Engine) -> None:
    await asyncio.to_thread(engine.settings.set, "log_cap_mb", 0.1)  # 100 KB: 50 KB first, 50 KB last
    script = "import sys\nfor i in range(200_000):\n    sys.stdout.write(f'line {i:06d}\\n')\n"
    execution_id = await run_script(engine, "Chatty", script)
    texts = [r.text for r in await engine.runs.log(execution_id)]
    assert texts[0] == "line 000000"
    assert texts[-1] == "line 199999"
    [note] = [text for text in texts if "lines not kept" in text]
    dropped = int(note.split()[1].replace(",", ""))
    assert len(texts) - 1 + dropped == 200_000
    assert len(texts) < 20_000
    kept = [int(text.split()[1]) for text in texts if text.startswith("line ")]
    assert kept == sorted(kept)


async def test_logs_text_json_and_follow_stream_the_same_lines(engine: Engine, cli: Cli) -> None:
    execution_id = await run_script(engine, "Counter", "seq 1 5000; echo warn >&2", kind="BASH")
    stored = [r.text for r in await engine.runs.log(execution_id)]
    shown = await asyncio.to_thread(cli, "logs", "Counter")
    assert [line[11:] for line in shown.stdout.splitlines()[1:]] == stored
    document = (await asyncio.to_thread(cli, "logs", "Counter", "--json")).json()
    assert isinstance(document, list)
    assert [line["text"] for line in document[0]["log"]] == stored
    assert document[0]["log"][-1]["stream"] == "stderr"

    slow = await engine.events.create(
        {"name": "Slow", "type": "BASH", "content": "echo first; sleep 4; echo second"}
    )
    running = await engine.runs.start(slow)
    await asyncio.sleep(0.5)
    follower = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cronium_desktop", "logs", "Slow", "--follow", env=cli.env,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await asyncio.wait_for(follower.communicate(), 30)
    await engine.runs.wait(running)
    lines = [line[11:] for line in output.decode().splitlines()[1:]]
    assert lines == ["first", "second"]


def _old_store(data_dir: Path) -> None:
    """A store at the first revision, with a run whose log is in the old one-row-per-line table."""
    from alembic import command
    from alembic.config import Config

    from cronium_desktop.engine.store import db

    database = db.Database(data_dir)
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    config.attributes["connection_engine"] = database.engine
    command.upgrade(config, "0001")
    database.close()
    with sqlite3.connect(data_dir / db.DB_FILENAME) as connection:
        connection.execute(
            "INSERT INTO executions (id, event_name, trigger, status, priority, attempt, max_attempts, condition, "
            "created_at, started_at, finished_at, chain_depth) VALUES (7, 'Old', 'MANUAL', 'SUCCESS', 1, 1, 1, 0, "
            "'2026-01-02 03:04:05.000000', '2026-01-02 03:04:05.000000', '2026-01-02 03:04:06.000000', 0)"
        )
        connection.executemany(
            "INSERT INTO log_lines (execution_id, attempt, server, ts, stream, text) VALUES (7, ?, ?, ?, ?, ?)",
            [(1, None, f"2026-01-02 03:04:05.{i:06d}", "stderr" if i % 3 == 0 else "stdout", f"old line {i} ✓")
             for i in range(2500)] + [(2, "web-1", "2026-01-02 03:04:06.000000", "system", "retried\nover two lines")],
        )


async def test_a_store_in_the_old_layout_gives_back_the_same_lines(data_dir: Path, cli: Cli) -> None:
    await asyncio.to_thread(_old_store, data_dir)
    engine = Engine(data_dir)
    await engine.start()
    try:
        records = await engine.runs.log(7)
    finally:
        await engine.stop(grace_seconds=1)
    assert [(r.stream, r.text) for r in records[:3]] == [
        ("stderr", "old line 0 ✓"), ("stdout", "old line 1 ✓"), ("stdout", "old line 2 ✓")]
    assert len(records) == 2501
    assert records[1234].ts.microsecond == 1234
    last = records[-1]
    assert (last.attempt, last.server, last.stream, last.text) == (2, "web-1", "system", "retried\nover two lines")
    after = await _after(data_dir)
    assert after == ["log_blocks"]  # the old table is gone once converted


async def _after(data_dir: Path) -> list[str]:
    def tables() -> list[str]:
        with sqlite3.connect(data_dir / "cronium.db") as connection:
            return [row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'log_%'")]

    return await asyncio.to_thread(tables)


def test_logs_json_of_a_migrated_store_matches_the_old_lines(data_dir: Path, cli: Cli) -> None:
    _old_store(data_dir)
    with sqlite3.connect(data_dir / "cronium.db") as connection:
        connection.execute("INSERT INTO events (id, name, description, tags, type, content, status, trigger, "
                           "max_executions, execution_count, reset_counter_on_activate, run_location, timeout_seconds, "
                           "retries, retry_backoff_seconds, overlap, misfire, priority, env, secret_env, created_at, "
                           "updated_at) VALUES (3, 'Old', '', '[]', 'BASH', '', 'ACTIVE', 'MANUAL', 0, 0, 1, 'LOCAL', "
                           "60, 0, 5, 'SKIP', 'RUN_ONCE', 'NORMAL', '{}', '[]', '2026-01-02', '2026-01-02')")
        connection.execute("UPDATE executions SET event_id = 3 WHERE id = 7")
    document = cli("logs", "Old", "--json").json()
    assert isinstance(document, list)
    log = document[0]["log"]
    assert len(log) == 2501
    assert log[5] == {"ts": "2026-01-02T03:04:05.000005+00:00", "stream": "stdout", "text": "old line 5 ✓"}
    text = cli("logs", "Old").stdout
    assert "old line 2499 ✓" in text and "! old line 3 ✓" in text
    assert os.path.getsize(data_dir / "cronium.db") > 0
    assert json.loads(json.dumps(document)) == document
