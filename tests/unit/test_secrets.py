"""Secrets without a keychain (passphrase path), tampering, rotation and masking (SPEC §7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cronium_desktop.engine.secrets import (
    MASK,
    Masker,
    SecretsError,
    SecretsLocked,
    SecretStore,
    WrongPassphrase,
)
from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.store.models import Secret

PASSPHRASE = "a long enough passphrase"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "data")
    database.migrate()
    return database


def put(store: SecretStore, db: Database, owner: str, value: str) -> None:
    with db.write() as session:
        store.put(session, owner, value)


def get(store: SecretStore, db: Database, owner: str) -> str | None:
    with db.read() as session:
        return store.get(session, owner)


def test_no_keychain_and_no_passphrase_is_locked_with_how_to_fix(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRONIUM_PASSPHRASE", raising=False)
    store = SecretStore(db, db.data_dir)
    with pytest.raises(SecretsLocked) as caught:
        put(store, db, "variable:X", "value")
    assert "CRONIUM_PASSPHRASE" in str(caught.value)
    assert store.count() == 0


def test_passphrase_seals_and_another_process_opens(db: Database) -> None:
    put(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:TOKEN", "t0ken-value")
    reopened = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    assert get(reopened, db, "variable:TOKEN") == "t0ken-value"
    assert reopened.status == "passphrase"


def test_passphrase_from_the_environment(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRONIUM_PASSPHRASE", PASSPHRASE)
    put(SecretStore(db, db.data_dir), db, "variable:A", "alpha-value")
    assert get(SecretStore(db, db.data_dir), db, "variable:A") == "alpha-value"


def test_wrong_passphrase_is_reported_and_never_used_to_write(db: Database) -> None:
    put(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:A", "alpha-value")
    wrong = SecretStore(db, db.data_dir, passphrase="not the passphrase")
    with pytest.raises(WrongPassphrase):
        get(wrong, db, "variable:A")
    with pytest.raises(WrongPassphrase):
        put(wrong, db, "variable:B", "beta-value")
    assert get(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:B") is None


def test_values_are_not_stored_in_clear(db: Database) -> None:
    put(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:A", "plain-text-needle")
    with db.read() as session:
        row = session.scalars(select(Secret)).one()
    assert b"plain-text-needle" not in row.ciphertext
    assert len(row.nonce) == 12


def test_each_value_gets_its_own_nonce(db: Database) -> None:
    store = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    put(store, db, "variable:A", "same-value")
    put(store, db, "variable:B", "same-value")
    with db.read() as session:
        nonces = {row.nonce for row in session.scalars(select(Secret))}
        ciphertexts = {row.ciphertext for row in session.scalars(select(Secret))}
    assert len(nonces) == 2 and len(ciphertexts) == 2


def test_tampered_ciphertext_is_refused(db: Database) -> None:
    store = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    put(store, db, "variable:A", "alpha-value")
    with db.write() as session:
        row = session.get(Secret, "variable:A")
        assert row is not None
        row.ciphertext = bytes([row.ciphertext[0] ^ 1]) + row.ciphertext[1:]
    with pytest.raises(SecretsError, match="altered"):
        get(store, db, "variable:A")


def test_ciphertext_copied_to_another_row_does_not_decrypt(db: Database) -> None:
    store = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    put(store, db, "variable:A", "alpha-value")
    put(store, db, "variable:B", "beta-value")
    with db.write() as session:
        a, b = session.get(Secret, "variable:A"), session.get(Secret, "variable:B")
        assert a is not None and b is not None
        b.nonce, b.ciphertext, b.key_version = a.nonce, a.ciphertext, a.key_version
    with pytest.raises(SecretsError, match="copied from another row"):
        get(store, db, "variable:B")


def test_rotation_reencrypts_everything_under_a_new_key(db: Database) -> None:
    store = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    for index in range(5):
        put(store, db, f"variable:K{index}", f"value-{index}")
    with db.read() as session:
        before = {row.owner: row.ciphertext for row in session.scalars(select(Secret))}
    assert store.rotate() == 2
    with db.read() as session:
        rows = list(session.scalars(select(Secret)))
    assert {row.key_version for row in rows} == {2}
    assert all(before[row.owner] != row.ciphertext for row in rows)
    fresh = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    assert [get(fresh, db, f"variable:K{i}") for i in range(5)] == [f"value-{i}" for i in range(5)]


def test_rotation_can_change_the_passphrase(db: Database) -> None:
    store = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    put(store, db, "variable:A", "alpha-value")
    store.rotate(new_passphrase="a brand new passphrase")
    assert get(SecretStore(db, db.data_dir, passphrase="a brand new passphrase"), db, "variable:A") == "alpha-value"
    with pytest.raises(WrongPassphrase):
        get(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:A")


def test_interrupted_rotation_leaves_everything_readable(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    for index in range(3):
        put(store, db, f"variable:K{index}", f"value-{index}")
    calls = {"n": 0}
    original = SecretStore._open

    def crash_midway(self: SecretStore, row: Secret) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return original(self, row)

    monkeypatch.setattr(SecretStore, "_open", crash_midway)
    with pytest.raises(RuntimeError):
        store.rotate()
    monkeypatch.setattr(SecretStore, "_open", original)
    fresh = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    assert [get(fresh, db, f"variable:K{i}") for i in range(3)] == [f"value-{i}" for i in range(3)]


def test_a_rolled_back_first_secret_leaves_no_orphan_key(db: Database) -> None:
    store = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    with pytest.raises(ZeroDivisionError), db.write() as session:
        store.put(session, "variable:A", "alpha-value")
        raise ZeroDivisionError("the caller's work fails after the first secret")
    assert store.status == "new"
    put(store, db, "variable:B", "beta-value")
    assert get(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:B") == "beta-value"


def test_masker_hides_every_value_longest_first() -> None:
    masker = Masker(["hunter2", "hunter2-extended", "xy"])
    assert masker.mask("pw=hunter2-extended and hunter2") == f"pw={MASK} and {MASK}"
    assert masker.mask("xy stays") == "xy stays"  # two characters would blank ordinary words
    assert masker.mask("nothing secret") == "nothing secret"


def test_masker_escapes_regex_characters() -> None:
    assert Masker(["a.b*c(d"]).mask("x a.b*c(d y axbbbcd") == f"x {MASK} y axbbbcd"
