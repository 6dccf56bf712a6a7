"""`secrets status` and `secrets rotate` through the real CLI on a real data folder (passphrase mode)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.secrets import SecretsError
from tests.conftest import TEST_PASSPHRASE, Cli, CliResult


def seal(data_dir: Path, values: dict[str, str]) -> None:
    """Store secret variables through the engine (one process, as a user's earlier commands would)."""
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    with engine.ctx.db.write() as session:
        for key, value in values.items():
            engine.variables.write(session, key, value, True)
    engine.ctx.db.close()


def opened(data_dir: Path, passphrase: str = TEST_PASSPHRASE) -> dict[str, str | None]:
    engine = Engine(data_dir, passphrase=passphrase)
    with engine.ctx.db.read() as session:
        values = {owner.split(":", 1)[1]: engine.secrets.get(session, owner)
                  for owner in engine.secrets.owners(session, "variable:")}
    engine.ctx.db.close()
    return values


def key_versions(data_dir: Path) -> set[int]:
    with sqlite3.connect(data_dir / "cronium.db") as db:
        return {row[0] for row in db.execute("SELECT DISTINCT key_version FROM secrets")}


def assert_one_error_line(result: CliResult, *words: str) -> None:
    assert result.code == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_status_before_any_secret_says_there_is_no_key(cli: Cli) -> None:
    result = cli("secrets", "status", "--json")
    assert result.code == 0
    assert result.json() == {"mode": None, "key_version": None, "secrets": 0, "secrets_by_key_version": {},
                             "keychain_entry": None, "unlocked": False, "problem": None}


def test_rotate_re_encrypts_every_secret_and_values_stay_the_same(cli: Cli, data_dir: Path) -> None:
    values = {f"TOKEN_{index}": f"value-{index}" for index in range(5)}
    seal(data_dir, values)
    before = cli("secrets", "status", "--json").json()
    assert before["mode"] == "passphrase" and before["secrets"] == 5 and before["unlocked"] is True  # type: ignore[index]
    old_version = before["key_version"]  # type: ignore[index]
    rotated = cli("secrets", "rotate")
    assert rotated.code == 0
    assert "Re-encrypted 5 secret(s)" in rotated.stdout
    after = cli("secrets", "status", "--json").json()
    assert after["key_version"] == old_version + 1  # type: ignore[index]
    assert after["secrets_by_key_version"] == {str(old_version + 1): 5}  # type: ignore[index]
    assert key_versions(data_dir) == {old_version + 1}
    assert opened(data_dir) == values
    assert cli("var", "get", "TOKEN_3", "--reveal").stdout.strip() == "value-3"
    text = cli("secrets", "status")
    assert "derived from a passphrase" in text.stdout and "Unlocked: yes." in text.stdout


def test_rotate_with_a_new_passphrase_locks_out_the_old_one(cli: Cli, data_dir: Path) -> None:
    seal(data_dir, {"TOKEN": "s3cret"})
    assert cli("secrets", "rotate", "--new-passphrase-stdin", stdin="a brand new passphrase\n").code == 0
    old = cli("var", "get", "TOKEN", "--reveal")
    assert old.code == 2 and "wrong" in old.stderr
    assert opened(data_dir, "a brand new passphrase") == {"TOKEN": "s3cret"}


def test_rotate_refuses_a_bad_new_passphrase_with_one_error_line_and_changes_nothing(cli: Cli, data_dir: Path) -> None:
    assert_one_error_line(cli("secrets", "rotate"), "no master key yet")
    seal(data_dir, {"TOKEN": "s3cret"})
    versions = key_versions(data_dir)
    assert_one_error_line(cli("secrets", "rotate", "--new-passphrase-stdin", stdin="short\n"), "at least 8")
    assert_one_error_line(cli("secrets", "rotate", "--new-passphrase-stdin", stdin="\n"), "empty")
    assert key_versions(data_dir) == versions and opened(data_dir) == {"TOKEN": "s3cret"}


def test_a_wrong_passphrase_is_refused_by_rotate_and_reported_by_status(cli: Cli, data_dir: Path) -> None:
    seal(data_dir, {"TOKEN": "s3cret"})
    versions = key_versions(data_dir)
    cli.env["CRONIUM_PASSPHRASE"] = "not the passphrase"
    assert_one_error_line(cli("secrets", "rotate"), "wrong")
    status = cli("secrets", "status")
    assert status.code == 1 and "Unlocked: no." in status.stdout
    assert_one_error_line(cli("secrets", "frobnicate"))
    assert key_versions(data_dir) == versions and opened(data_dir) == {"TOKEN": "s3cret"}


async def test_rotation_stopped_midway_changes_nothing(data_dir: Path) -> None:
    """A rotation that stops after half the secrets (here: its progress report raises) leaves
    every secret sealed under the old key and readable."""
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start()
    try:
        for index in range(10):
            await engine.variables.set(f"K{index}", f"v{index}", secret=True)
        before = engine.secrets.key_record()

        def stop_halfway(done: int, total: int) -> None:
            if done == total // 2:
                raise SecretsError("stopped")

        with pytest.raises(SecretsError, match="stopped"):
            engine.secrets.rotate(progress=stop_halfway)
        assert engine.secrets.key_record() == before
        for index in range(10):
            assert (await engine.variables.get(f"K{index}", reveal=True)).value == f"v{index}"
    finally:
        await engine.stop(grace_seconds=1)


@pytest.mark.timeout(300)  # a thousand secrets sealed and opened one by one on a busy machine
def test_a_rotation_killed_midway_loses_no_secret(cli: Cli, data_dir: Path) -> None:
    """SIGKILL as soon as `secrets rotate` reports progress: afterwards every secret opens, all under
    one key version (the old one if the kill came first, the new one if the commit did)."""
    values = {f"K{index}": f"value-{index}" for index in range(1000)}
    seal(data_dir, values)
    process = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "secrets", "rotate"], env=cli.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:  # "Re-encrypted 100 of 1000…": the transaction is under way
        if line.startswith("Re-encrypted"):
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(key_versions(data_dir)) == 1  # all old or all new, never a mix
    assert opened(data_dir) == values
