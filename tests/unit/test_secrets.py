"""Secrets without a keychain (passphrase path), tampering, rotation and masking (SPEC §7)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import select

from cronium_desktop.engine import secrets as secrets_module
from cronium_desktop.engine.secrets import (
    MASK,
    Masker,
    SecretsError,
    SecretsLocked,
    SecretStore,
    WrongPassphrase,
)
from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.store.models import Secret, Setting
from tests.fixtures.secrets import (  # noqa: F401 - fixtures
    PASSPHRASE,
    SecretsFolder,
    fast_scrypt_fixture,
    no_keychain_fixture,
    secret_store_fixture,
    secrets_folder_fixture,
)

OTHER_PASSPHRASE = "a brand new passphrase"


@pytest.fixture
def db(tmp_path: Path, no_keychain: None, fast_scrypt: None, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A data folder with no key yet, on a computer without a keychain."""
    monkeypatch.delenv("CRONIUM_PASSPHRASE", raising=False)
    database = Database(tmp_path / "data")
    database.migrate()
    return database


def put(store: SecretStore, db: Database, owner: str, value: str) -> None:
    with db.write() as session:
        store.put(session, owner, value)


def get(store: SecretStore, db: Database, owner: str) -> str | None:
    with db.read() as session:
        return store.get(session, owner)


def rows(db: Database) -> dict[str, tuple[int, bytes, bytes]]:
    with db.read() as session:
        return {row.owner: (row.key_version, row.nonce, row.ciphertext) for row in session.scalars(select(Secret))}


def key_record(db: Database) -> dict[str, object] | None:
    with db.read() as session:
        row = session.get(Setting, "secrets.meta")
        return None if row is None else dict(row.value)


class ForbiddenKeyring(KeyringBackend):
    """Fails the test if anything asks the keychain."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError(f"the keychain was asked for {service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError(f"the keychain was written for {service}/{username}")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("the keychain was asked to delete")


# -- no keychain: the passphrase ----------------------------------------------------------------------------


def test_no_keychain_and_no_passphrase_is_locked_with_how_to_fix(db: Database) -> None:
    store = SecretStore(db, db.data_dir)
    with pytest.raises(SecretsLocked) as caught:
        put(store, db, "variable:X", "value")
    assert "export CRONIUM_PASSPHRASE" in str(caught.value)
    assert "Settings" in str(caught.value)
    assert "NoKeyringError" in str(caught.value)
    assert store.count() == 0 and key_record(db) is None and store.status == "new"


def test_a_folder_without_secrets_never_needs_a_key(db: Database) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(ForbiddenKeyring())
    try:
        store = SecretStore(db, db.data_dir)
        store.unlock()
        with db.write() as session:
            assert store.get(session, "variable:MISSING") is None
            assert store.owners(session) == []
            store.delete(session, "variable:MISSING")
            store.delete_prefix(session, "event:1:")
        assert (store.status, store.mode, store.count()) == ("new", None, 0)
    finally:
        keyring.set_keyring(previous)


def test_passphrase_seals_and_another_process_opens(secrets_folder: SecretsFolder) -> None:
    assert secrets_folder.store.status == "passphrase"
    secrets_folder.put("variable:TOKEN", "t0ken-value")
    other = secrets_folder.reopen()
    assert other.status == "locked"  # unlocked lazily, at the first secret it reads
    assert secrets_folder.get("variable:TOKEN", other) == "t0ken-value"
    assert other.status == "passphrase" and other.mode == "passphrase"


def test_first_secret_without_keychain_takes_the_passphrase_given(db: Database) -> None:
    put(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:A", "alpha-value")
    assert (key_record(db) or {})["mode"] == "passphrase"
    assert get(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:A") == "alpha-value"


def test_passphrase_from_the_environment(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRONIUM_PASSPHRASE", PASSPHRASE)
    put(SecretStore(db, db.data_dir), db, "variable:A", "alpha-value")
    assert get(SecretStore(db, db.data_dir), db, "variable:A") == "alpha-value"


def test_unlock_with_the_passphrase_after_being_told_how(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "alpha-value")
    store = secrets_folder.reopen(passphrase=None)
    with pytest.raises(SecretsLocked, match="export CRONIUM_PASSPHRASE") as caught:
        secrets_folder.get("variable:A", store)
    assert not isinstance(caught.value, WrongPassphrase)
    store.unlock(PASSPHRASE)
    assert store.status == "passphrase"
    assert secrets_folder.get("variable:A", store) == "alpha-value"


def test_set_passphrase_needs_eight_characters_and_a_folder_without_key(db: Database) -> None:
    store = SecretStore(db, db.data_dir)
    with pytest.raises(SecretsError, match="at least 8 characters"):
        store.set_passphrase("short")
    assert key_record(db) is None
    store.set_passphrase(PASSPHRASE)
    with pytest.raises(SecretsError, match="already has a passphrase"):
        SecretStore(db, db.data_dir).set_passphrase(OTHER_PASSPHRASE)
    assert get(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:none") is None


def test_a_short_environment_passphrase_is_refused_for_a_new_key(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRONIUM_PASSPHRASE", "1234")
    with pytest.raises(SecretsError, match="at least 8 characters"):
        put(SecretStore(db, db.data_dir), db, "variable:A", "alpha-value")
    assert key_record(db) is None and rows(db) == {}


def test_wrong_passphrase_is_reported_and_never_used_to_write(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "alpha-value")
    before_rows, before_record = rows(secrets_folder.db), key_record(secrets_folder.db)
    wrong = secrets_folder.reopen(passphrase="not the passphrase")
    with pytest.raises(WrongPassphrase, match="wrong") as caught:
        secrets_folder.get("variable:A", wrong)
    assert "not the passphrase" not in str(caught.value)
    with pytest.raises(WrongPassphrase):
        secrets_folder.put("variable:B", "beta-value", wrong)
    with pytest.raises(WrongPassphrase):
        secrets_folder.put("variable:A", "overwritten", wrong)
    with pytest.raises(WrongPassphrase):
        wrong.rotate()
    assert rows(secrets_folder.db) == before_rows and key_record(secrets_folder.db) == before_record
    assert secrets_folder.get("variable:A", secrets_folder.reopen()) == "alpha-value"


def test_a_wrong_passphrase_does_not_replace_the_right_one(secrets_folder: SecretsFolder) -> None:
    store = secrets_folder.store
    secrets_folder.put("variable:A", "alpha-value")
    with pytest.raises(WrongPassphrase):
        store.unlock("not the passphrase")
    store.rotate()  # derives the new key from the passphrase that unlocked, not the one refused
    assert secrets_folder.get("variable:A", secrets_folder.reopen()) == "alpha-value"


# -- what is stored -----------------------------------------------------------------------------------------


def test_values_are_not_stored_in_clear(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "plain-text-needle")
    [(version, nonce, ciphertext)] = rows(secrets_folder.db).values()
    assert b"plain-text-needle" not in ciphertext
    assert b"plain-text-needle" not in secrets_folder.db.path.read_bytes()
    assert (version, len(nonce)) == (1, 12)


def test_each_value_gets_a_fresh_nonce(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "same-value")
    first = rows(secrets_folder.db)["variable:A"]
    secrets_folder.put("variable:A", "same-value")
    secrets_folder.put("variable:B", "same-value")
    stored = rows(secrets_folder.db)
    assert len({first[1], stored["variable:A"][1], stored["variable:B"][1]}) == 3
    assert len({first[2], stored["variable:A"][2], stored["variable:B"][2]}) == 3


@pytest.mark.parametrize("column", ["ciphertext", "nonce", "tag"])
def test_tampered_ciphertext_is_refused(secrets_folder: SecretsFolder, column: str) -> None:
    secrets_folder.put("variable:A", "alpha-value")
    with secrets_folder.db.write() as session:
        row = session.get(Secret, "variable:A")
        assert row is not None
        if column == "nonce":
            row.nonce = bytes([row.nonce[0] ^ 1]) + row.nonce[1:]
        elif column == "tag":
            row.ciphertext = row.ciphertext[:-1] + bytes([row.ciphertext[-1] ^ 1])
        else:
            row.ciphertext = bytes([row.ciphertext[0] ^ 1]) + row.ciphertext[1:]
    for store in (secrets_folder.store, secrets_folder.reopen()):
        with pytest.raises(SecretsError, match="'variable:A' does not decrypt: it was altered"):
            secrets_folder.get("variable:A", store)


def test_swapped_rows_do_not_decrypt(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "alpha-value")
    secrets_folder.put("variable:B", "beta-value")
    with secrets_folder.db.write() as session:
        a, b = session.get(Secret, "variable:A"), session.get(Secret, "variable:B")
        assert a is not None and b is not None
        (a.nonce, a.ciphertext), (b.nonce, b.ciphertext) = (b.nonce, b.ciphertext), (a.nonce, a.ciphertext)
    for owner in ("variable:A", "variable:B"):
        with pytest.raises(SecretsError, match="copied from another row") as caught:
            secrets_folder.get(owner, secrets_folder.reopen())
        assert "alpha-value" not in str(caught.value) and "beta-value" not in str(caught.value)


def test_a_row_given_another_owner_does_not_decrypt(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("event:1:env:TOKEN", "token-value")
    with secrets_folder.db.write() as session:
        row = session.get(Secret, "event:1:env:TOKEN")
        assert row is not None
        session.add(Secret(owner="event:2:env:TOKEN", key_version=row.key_version, nonce=row.nonce,
                           ciphertext=row.ciphertext))
    with pytest.raises(SecretsError, match="'event:2:env:TOKEN' does not decrypt"):
        secrets_folder.get("event:2:env:TOKEN")
    assert secrets_folder.get("event:1:env:TOKEN") == "token-value"


def test_secrets_without_a_key_record_get_no_new_key(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "alpha-value")
    with secrets_folder.db.write() as session:
        session.delete(session.get(Setting, "secrets.meta"))
    for store in (secrets_folder.reopen(), secrets_folder.store):
        with pytest.raises(SecretsError, match="holds 1 encrypted secret.* no record of their master key"):
            secrets_folder.put("variable:B", "beta-value", store)
    with pytest.raises(SecretsError, match="no record of their master key"):
        secrets_folder.get("variable:A", secrets_folder.reopen())
    with pytest.raises(SecretsError, match="no record"):
        SecretStore(secrets_folder.db, secrets_folder.data_dir).set_passphrase(PASSPHRASE)
    assert key_record(secrets_folder.db) is None and set(rows(secrets_folder.db)) == {"variable:A"}


def test_a_damaged_key_record_is_reported(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "alpha-value")
    with secrets_folder.db.write() as session:
        session.get(Setting, "secrets.meta").value = {"mode": "passphrase", "current": 1}  # type: ignore[union-attr]
    with pytest.raises(SecretsError, match="is damaged"):
        secrets_folder.get("variable:A", secrets_folder.reopen())


def test_a_rolled_back_first_secret_leaves_no_orphan_key(db: Database) -> None:
    store = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    with pytest.raises(ZeroDivisionError), db.write() as session:
        store.put(session, "variable:A", "alpha-value")
        raise ZeroDivisionError("the caller's work fails after the first secret")
    assert store.status == "new" and key_record(db) is None
    put(store, db, "variable:B", "beta-value")
    assert get(SecretStore(db, db.data_dir, passphrase=PASSPHRASE), db, "variable:B") == "beta-value"


def test_reset_discards_every_secret_and_the_key(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "alpha-value")
    secrets_folder.put("variable:B", "beta-value")
    assert secrets_folder.store.reset() == 2
    assert secrets_folder.store.status == "new" and rows(secrets_folder.db) == {}
    store = secrets_folder.reopen(passphrase=OTHER_PASSPHRASE)
    secrets_folder.put("variable:C", "gamma-value", store)
    assert secrets_folder.get("variable:C", secrets_folder.reopen(passphrase=OTHER_PASSPHRASE)) == "gamma-value"


# -- rotation -----------------------------------------------------------------------------------------------


def test_rotation_reencrypts_everything_under_a_new_key(secrets_folder: SecretsFolder) -> None:
    for index in range(5):
        secrets_folder.put(f"variable:K{index}", f"value-{index}")
    before = rows(secrets_folder.db)
    record_before = key_record(secrets_folder.db) or {}
    assert secrets_folder.store.rotate() == 2
    after = rows(secrets_folder.db)
    assert {version for version, _, _ in after.values()} == {2}
    assert all(before[owner][2] != after[owner][2] for owner in after)
    record = key_record(secrets_folder.db) or {}
    assert record["current"] == 2 and record["salts"] != record_before["salts"]
    fresh = secrets_folder.reopen()
    assert [secrets_folder.get(f"variable:K{i}", fresh) for i in range(5)] == [f"value-{i}" for i in range(5)]
    assert secrets_folder.get("variable:K0") == "value-0"
    secrets_folder.put("variable:NEW", "after-rotation")
    assert rows(secrets_folder.db)["variable:NEW"][0] == 2


def test_rotation_can_change_the_passphrase(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "alpha-value")
    with pytest.raises(SecretsError, match="at least 8"):
        secrets_folder.store.rotate(new_passphrase="short")
    secrets_folder.store.rotate(new_passphrase=OTHER_PASSPHRASE)
    assert secrets_folder.get("variable:A", secrets_folder.reopen(passphrase=OTHER_PASSPHRASE)) == "alpha-value"
    with pytest.raises(WrongPassphrase):
        secrets_folder.get("variable:A", secrets_folder.reopen(passphrase=PASSPHRASE))
    secrets_folder.store.rotate()  # keeps the new passphrase
    assert secrets_folder.get("variable:A", secrets_folder.reopen(passphrase=OTHER_PASSPHRASE)) == "alpha-value"


def test_rotation_needs_a_key(db: Database) -> None:
    with pytest.raises(SecretsError, match="nothing to rotate"):
        SecretStore(db, db.data_dir, passphrase=PASSPHRASE).rotate()


def test_interrupted_rotation_leaves_everything_readable(secrets_folder: SecretsFolder,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for index in range(4):
        secrets_folder.put(f"variable:K{index}", f"value-{index}")
    before, record = rows(secrets_folder.db), key_record(secrets_folder.db)
    calls = 0
    original = secrets_module._encrypt

    def power_cut_midway(*args: object) -> tuple[bytes, bytes]:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("power cut")
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(secrets_module, "_encrypt", power_cut_midway)
    with pytest.raises(RuntimeError, match="power cut"):
        secrets_folder.store.rotate(new_passphrase=OTHER_PASSPHRASE)
    monkeypatch.setattr(secrets_module, "_encrypt", original)
    assert rows(secrets_folder.db) == before and key_record(secrets_folder.db) == record
    fresh = secrets_folder.reopen(passphrase=PASSPHRASE)
    assert [secrets_folder.get(f"variable:K{i}", fresh) for i in range(4)] == [f"value-{i}" for i in range(4)]
    secrets_folder.put("variable:K9", "still-works")  # the interrupted store itself carries on
    assert secrets_folder.get("variable:K9", secrets_folder.reopen()) == "still-works"
    assert secrets_folder.store.rotate() == 2


KILLED_MIDWAY = """
import os, signal, sys
from pathlib import Path
from cronium_desktop.engine import secrets
from cronium_desktop.engine.store.db import Database
original, calls = secrets._encrypt, []
def encrypt_then_die(*args):
    calls.append(1)
    if len(calls) == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)  # no rollback, no cleanup: as a power cut
    return original(*args)
secrets._encrypt = encrypt_then_die
db = Database(Path(sys.argv[1]))
secrets.SecretStore(db, db.data_dir, passphrase=sys.argv[2]).rotate(new_passphrase=sys.argv[2] + " (new)")
"""


def test_rotation_killed_midway_leaves_everything_readable(secrets_folder: SecretsFolder) -> None:
    for index in range(20):
        secrets_folder.put(f"variable:K{index}", f"value-{index}")
    record = key_record(secrets_folder.db)
    process = subprocess.run(
        [sys.executable, "-c", KILLED_MIDWAY, str(secrets_folder.data_dir), PASSPHRASE, "12"],
        env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        capture_output=True, text=True, timeout=60,
    )
    assert process.returncode == -9, process.stderr
    db = Database(secrets_folder.data_dir)  # opened afresh, as after a reboot
    try:
        assert key_record(db) == record
        store = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
        assert [get(store, db, f"variable:K{i}") for i in range(20)] == [f"value-{i}" for i in range(20)]
        assert store.rotate() == 2
    finally:
        db.close()


def test_a_rotation_by_another_process_is_followed(secrets_folder: SecretsFolder) -> None:
    secrets_folder.put("variable:A", "alpha-value")
    other_db = Database(secrets_folder.data_dir)  # another process: its own connections, its own store
    try:
        other = SecretStore(other_db, secrets_folder.data_dir, passphrase=PASSPHRASE)
        assert get(other, other_db, "variable:A") == "alpha-value"
        secrets_folder.store.rotate()
        put(other, other_db, "variable:B", "beta-value")  # sealed with the new key, not the one it had
        assert rows(secrets_folder.db)["variable:B"][0] == 2
        assert get(other, other_db, "variable:A") == "alpha-value"
        secrets_folder.store.rotate(new_passphrase=OTHER_PASSPHRASE)
        with pytest.raises(WrongPassphrase):
            get(other, other_db, "variable:A")
        with pytest.raises(WrongPassphrase):
            put(other, other_db, "variable:C", "never-written")
        assert "variable:C" not in rows(secrets_folder.db)
    finally:
        other_db.close()
    fresh = secrets_folder.reopen(passphrase=OTHER_PASSPHRASE)
    assert [secrets_folder.get(owner, fresh) for owner in ("variable:A", "variable:B")] == ["alpha-value", "beta-value"]


def test_rotation_while_other_threads_read_and_write(secrets_folder: SecretsFolder) -> None:
    for index in range(10):
        secrets_folder.put(f"variable:K{index}", f"value-{index}")
    stop, failures = threading.Event(), []

    def reader() -> None:
        while not stop.is_set():
            try:
                for index in range(10):
                    assert secrets_folder.get(f"variable:K{index}") == f"value-{index}"
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)
                return

    def writer() -> None:
        count = 0
        while not stop.is_set():
            try:
                secrets_folder.put(f"variable:W{count % 5}", f"written-{count}")
                count += 1
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(3):
            secrets_folder.store.rotate()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert failures == []
    fresh = secrets_folder.reopen()
    assert all(secrets_folder.get(owner, fresh) for owner in rows(secrets_folder.db))
    assert {version for version, _, _ in rows(secrets_folder.db).values()} == {4}


def test_two_processes_storing_their_first_secret_at_once_share_one_key(db: Database) -> None:
    databases = [db, Database(db.data_dir)]
    stores = [SecretStore(database, db.data_dir, passphrase=PASSPHRASE) for database in databases]
    start, failures = threading.Barrier(2), []

    def first_secret(index: int) -> None:
        try:
            start.wait()
            put(stores[index], databases[index], f"variable:P{index}", f"value-{index}")
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=first_secret, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    databases[1].close()
    assert failures == []
    fresh = SecretStore(db, db.data_dir, passphrase=PASSPHRASE)
    assert [get(fresh, db, f"variable:P{i}") for i in range(2)] == ["value-0", "value-1"]


# -- masking ------------------------------------------------------------------------------------------------


def test_masker_hides_every_occurrence_even_overlapping() -> None:
    masker = Masker(["hunter2", "hunter2-extended", "abcd", "cdef"])
    assert masker.mask("pw=hunter2-extended and hunter2.") == f"pw={MASK} and {MASK}."
    assert masker.mask("x abcdef y") == f"x {MASK} y"  # no "ef" left of the second secret
    assert masker.mask("hunter2hunter2") == MASK  # adjacent occurrences: one mask
    assert masker.mask("nothing secret") == "nothing secret"


def test_masker_hides_two_character_values_inside_words() -> None:
    masker = Masker(["42"])
    assert masker.mask("pin42 and 42, 4 2") == f"pin{MASK} and {MASK}, 4 2"


def test_masker_hides_one_character_values_where_they_stand_alone() -> None:
    masker = Masker(["x", "-"])
    assert masker.mask("x") == MASK
    assert masker.mask("token=x; box x_1 - a-b") == f"token={MASK}; box x_1 {MASK} a-b"


def test_masker_hides_multiline_values_line_by_line() -> None:
    key = "-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\n  c2VjcmV0LWtleS1saW5l  \n-----END KEY-----\n"
    masker = Masker([key, "trailing-newline\n", "   ", ""])
    logged = [masker.mask(line) for line in ("-----BEGIN KEY-----", "AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
                                             "  c2VjcmV0LWtleS1saW5l", "value: trailing-newline", "a   b")]
    assert logged == [MASK, MASK, f"  {MASK}", f"value: {MASK}", "a   b"]


def test_masker_escapes_regex_characters_and_learns_more_values() -> None:
    masker = Masker(["a.b*c(d"])
    assert masker.mask("x a.b*c(d y axbbbcd") == f"x {MASK} y axbbbcd"
    masker.add(["[ab]"])
    assert masker.mask("[ab] ab") == f"{MASK} ab"
    assert Masker().mask("anything") == "anything"


def test_masker_never_leaves_a_secret_showing() -> None:
    generator = random.Random(7)
    alphabet = "abc1-_ "  # few characters, so values overlap and repeat a lot
    for _ in range(300):
        values = ["".join(generator.choices(alphabet, k=generator.randint(2, 6))) for _ in range(generator.randint(1, 6))]
        masker = Masker(values)
        text = "".join(generator.choice([*values, *alphabet, "xyz"]) for _ in range(40))
        masked = masker.mask(text)
        showing = [value for value in values if len(value.strip()) > 1 and value.strip() in masked]
        assert showing == [], (values, text, masked)


def test_masker_is_safe_to_share_between_threads() -> None:
    masker, failures = Masker(["first-secret"]), []

    def mask_lines() -> None:
        for index in range(2000):
            line = f"line {index}: first-secret and secret-{index % 50}"
            result = masker.mask(line)
            if "first-secret" in result:
                failures.append(result)

    threads = [threading.Thread(target=mask_lines) for _ in range(4)]
    for thread in threads:
        thread.start()
    for index in range(50):
        masker.add([f"secret-{index}"])
    for thread in threads:
        thread.join()
    assert failures == []
    assert masker.mask("secret-49 first-secret") == f"{MASK} {MASK}"
