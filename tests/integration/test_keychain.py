"""The master key in a real Secret Service (gnome-keyring on a private D-Bus, see ./dev test)."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from cronium_desktop.engine.secrets import KEYRING_SERVICE, SecretsError, SecretStore
from cronium_desktop.engine.store.db import Database

pytestmark = pytest.mark.keychain


@pytest.fixture
def secret_service() -> SecretServiceKeyring:
    backend = SecretServiceKeyring()
    try:
        backend.get_password("cronium-desktop-probe", "probe")
    except Exception as error:
        pytest.skip(f"no Secret Service on this D-Bus session ({error}); ./dev test starts one")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "data")
    database.migrate()
    return database


def test_master_key_is_created_in_the_keychain_and_reused(secret_service: SecretServiceKeyring, db: Database) -> None:
    store = SecretStore(db, db.data_dir)
    with db.write() as session:
        store.put(session, "variable:TOKEN", "keychain-secret")
    assert store.status == "keychain"
    entry = secret_service.get_password(KEYRING_SERVICE, store.keyring_username)
    assert entry is not None and set(json.loads(entry)) == {"1"}
    reopened = SecretStore(db, db.data_dir)
    with db.read() as session:
        assert reopened.get(session, "variable:TOKEN") == "keychain-secret"


def test_each_data_folder_has_its_own_entry(secret_service: SecretServiceKeyring, tmp_path: Path) -> None:
    stores = []
    for name in ("one", "two"):
        database = Database(tmp_path / name)
        database.migrate()
        store = SecretStore(database, database.data_dir)
        with database.write() as session:
            store.put(session, "variable:X", name + "-value")
        stores.append(store)
    assert stores[0].keyring_username != stores[1].keyring_username


def test_rotation_in_the_keychain_keeps_secrets_readable(secret_service: SecretServiceKeyring, db: Database) -> None:
    store = SecretStore(db, db.data_dir)
    with db.write() as session:
        store.put(session, "variable:A", "alpha-value")
    assert store.rotate() == 2
    entry = json.loads(secret_service.get_password(KEYRING_SERVICE, store.keyring_username) or "{}")
    assert set(entry) == {"2"}
    with db.read() as session:
        assert SecretStore(db, db.data_dir).get(session, "variable:A") == "alpha-value"


def test_a_lost_keychain_entry_is_reported_not_replaced(secret_service: SecretServiceKeyring, db: Database) -> None:
    store = SecretStore(db, db.data_dir)
    with db.write() as session:
        store.put(session, "variable:A", "alpha-value")
    secret_service.delete_password(KEYRING_SERVICE, store.keyring_username)
    with pytest.raises(SecretsError, match="holds no master key"), db.read() as session:
        SecretStore(db, db.data_dir).get(session, "variable:A")
