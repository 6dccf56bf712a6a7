"""The master key in a real Secret Service: gnome-keyring on a private D-Bus (see tests/fixtures/secrets.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cronium_desktop.engine import secrets as secrets_module
from cronium_desktop.engine.secrets import SecretsError, SecretsLocked, SecretStore
from cronium_desktop.engine.store.db import Database
from tests.fixtures.secrets import (  # noqa: F401 - fixtures
    PASSPHRASE,
    SecretService,
    fast_scrypt_fixture,
    private_secret_service_fixture,
    secret_service_bus_fixture,
    secret_service_fixture,
)

pytestmark = pytest.mark.keychain


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CRONIUM_PASSPHRASE", raising=False)
    return tmp_path / "data"


def open_db(folder: Path) -> Database:
    database = Database(folder)
    database.migrate()
    return database


def put(folder: Path, owner: str, value: str, passphrase: str | None = None) -> SecretStore:
    database = open_db(folder)
    try:
        store = SecretStore(database, folder, passphrase=passphrase)
        with database.write() as session:
            store.put(session, owner, value)
        return store
    finally:
        database.close()


def keyring_username(folder: Path) -> str:
    database = open_db(folder)
    try:
        return SecretStore(database, folder).keyring_username
    finally:
        database.close()


def get(folder: Path, owner: str, passphrase: str | None = None) -> str | None:
    database = open_db(folder)
    try:
        with database.read() as session:
            return SecretStore(database, folder, passphrase=passphrase).get(session, owner)
    finally:
        database.close()


def test_master_key_is_created_in_the_keychain_and_reused(secret_service: SecretService, folder: Path) -> None:
    store = put(folder, "variable:TOKEN", "keychain-secret")
    assert store.status == "keychain" and store.mode == "keychain"
    entry = secret_service.entry(store.keyring_username)
    assert entry is not None and set(entry) == {"1"} and len(bytes.fromhex(entry["1"])) == 32
    assert get(folder, "variable:TOKEN") == "keychain-secret"
    assert b"keychain-secret" not in (folder / "cronium.db").read_bytes()


def test_a_folder_without_secrets_leaves_the_keychain_alone(secret_service: SecretService, folder: Path) -> None:
    before = secret_service.usernames()
    database = open_db(folder)
    try:
        store = SecretStore(database, folder)
        with database.write() as session:
            assert store.get(session, "variable:NONE") is None
            store.delete_prefix(session, "event:")
        assert store.status == "new"
    finally:
        database.close()
    assert secret_service.usernames() == before


def test_each_data_folder_has_its_own_entry(secret_service: SecretService, tmp_path: Path) -> None:
    one = put(tmp_path / "one", "variable:X", "one-value")
    two = put(tmp_path / "two", "variable:X", "two-value")
    assert one.keyring_username != two.keyring_username
    assert secret_service.entry(one.keyring_username) != secret_service.entry(two.keyring_username)
    assert [get(tmp_path / "one", "variable:X"), get(tmp_path / "two", "variable:X")] == ["one-value", "two-value"]


def test_rotation_in_the_keychain_keeps_secrets_readable(secret_service: SecretService, folder: Path) -> None:
    store = put(folder, "variable:A", "alpha-value")
    old_key = (secret_service.entry(store.keyring_username) or {})["1"]
    database = open_db(folder)
    try:
        assert SecretStore(database, folder).rotate() == 2
    finally:
        database.close()
    entry = secret_service.entry(store.keyring_username) or {}
    assert set(entry) == {"2"} and old_key not in entry.values()
    assert get(folder, "variable:A") == "alpha-value"


def test_interrupted_rotation_in_the_keychain_leaves_everything_readable(
    secret_service: SecretService, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(3):
        store = put(folder, f"variable:K{index}", f"value-{index}")
    original = secrets_module._encrypt
    calls = 0

    def power_cut_midway(*args: object) -> tuple[bytes, bytes]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("power cut")
        return original(*args)  # type: ignore[arg-type]

    database = open_db(folder)
    try:
        monkeypatch.setattr(secrets_module, "_encrypt", power_cut_midway)
        with pytest.raises(RuntimeError, match="power cut"):
            SecretStore(database, folder).rotate()
        monkeypatch.setattr(secrets_module, "_encrypt", original)
        # The new key was stored beside the old one before the transaction; the old one still rules.
        assert set(secret_service.entry(store.keyring_username) or {}) == {"1", "2"}
        assert [get(folder, f"variable:K{i}") for i in range(3)] == [f"value-{i}" for i in range(3)]
        assert SecretStore(database, folder).rotate() == 3
    finally:
        database.close()
    assert set(secret_service.entry(store.keyring_username) or {}) == {"3"}
    assert [get(folder, f"variable:K{i}") for i in range(3)] == [f"value-{i}" for i in range(3)]


def test_a_lost_keychain_entry_is_reported_not_replaced(secret_service: SecretService, folder: Path) -> None:
    store = put(folder, "variable:A", "alpha-value")
    secret_service.backend.delete_password(secrets_module.KEYRING_SERVICE, store.keyring_username)
    with pytest.raises(SecretsError, match="holds no master key .* no new key was made"):
        get(folder, "variable:A")
    with pytest.raises(SecretsError, match="holds no master key"):
        put(folder, "variable:B", "beta-value")
    assert secret_service.entry(store.keyring_username) is None


def test_a_foreign_keychain_entry_is_reported(secret_service: SecretService, folder: Path, tmp_path: Path) -> None:
    store = put(folder, "variable:A", "alpha-value")
    other = put(tmp_path / "other", "variable:A", "other-value")
    foreign = secret_service.backend.get_password(secrets_module.KEYRING_SERVICE, other.keyring_username)
    secret_service.backend.set_password(secrets_module.KEYRING_SERVICE, store.keyring_username, foreign or "")
    with pytest.raises(SecretsError, match="does not match the secrets"):
        get(folder, "variable:A")


def test_a_moved_folder_finds_its_key_and_gets_its_own_entry(
    secret_service: SecretService, folder: Path, tmp_path: Path
) -> None:
    first = put(folder, "variable:A", "alpha-value")
    moved = tmp_path / "moved"
    shutil.move(folder, moved)
    assert get(moved, "variable:A") == "alpha-value"
    own = keyring_username(moved)
    assert own != first.keyring_username
    assert secret_service.entry(own) == secret_service.entry(first.keyring_username)


def test_an_entry_left_at_the_same_path_is_kept_for_a_backup(
    secret_service: SecretService, folder: Path, tmp_path: Path
) -> None:
    put(folder, "variable:OLD", "old-value")
    backup = tmp_path / "backup"
    shutil.move(folder, backup)
    put(folder, "variable:NEW", "new-value")  # a fresh folder where the old one was
    shutil.rmtree(folder)
    shutil.move(backup, folder)
    assert get(folder, "variable:OLD") == "old-value"


def test_a_locked_keychain_falls_back_to_the_passphrase(
    private_secret_service: SecretService, folder: Path, fast_scrypt: None
) -> None:
    private_secret_service.lock()
    with pytest.raises(SecretsLocked) as caught:
        put(folder, "variable:A", "alpha-value")
    message = str(caught.value)
    assert "KeyringLocked" in message and "Unlock the keychain" in message and "export CRONIUM_PASSPHRASE" in message
    store = put(folder, "variable:A", "alpha-value", passphrase=PASSPHRASE)
    assert store.status == "passphrase"
    assert get(folder, "variable:A", passphrase=PASSPHRASE) == "alpha-value"


def test_a_keychain_folder_says_when_its_keychain_is_locked(private_secret_service: SecretService, folder: Path) -> None:
    put(folder, "variable:A", "alpha-value")
    private_secret_service.lock()
    with pytest.raises(SecretsLocked, match="cannot be reached .*KeyringLocked.* Unlock the keychain"):
        get(folder, "variable:A", passphrase=PASSPHRASE)  # a passphrase does not stand in for the keychain


def cli(folder: Path, service: SecretService | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("CRONIUM_PASSPHRASE", "PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")}
    env["CRONIUM_DATA_DIR"] = str(folder)
    if service is not None:
        env["DBUS_SESSION_BUS_ADDRESS"] = service.address  # keyring finds the Secret Service on its own
    else:
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return subprocess.run([sys.executable, "-m", "cronium_desktop", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_the_cli_keeps_its_key_in_the_keychain_without_a_passphrase(secret_service: SecretService, folder: Path) -> None:
    assert cli(folder, secret_service, "var", "set", "API_KEY", "cli-secret-value", "--secret").returncode == 0
    shown = cli(folder, secret_service, "var", "get", "API_KEY", "--reveal")
    assert (shown.returncode, shown.stdout.strip()) == (0, "cli-secret-value")
    assert secret_service.entry(keyring_username(folder)) is not None


def test_the_cli_without_a_keychain_says_how_to_set_a_passphrase(folder: Path) -> None:
    result = cli(folder, None, "var", "set", "API_KEY", "cli-secret-value", "--secret")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "export CRONIUM_PASSPHRASE=" in result.stderr
    assert "Traceback" not in result.stderr and "cli-secret-value" not in result.stderr
