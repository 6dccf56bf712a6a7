"""The only place secret values exist in clear (SPEC §7), and the masker that keeps them out of logs.

A 256-bit master key lives in the OS keychain (keyring, service ``cronium-desktop``, one entry per
data folder). Where there is no keychain, the key is derived from the user's passphrase with scrypt
and a stored random salt. Values are sealed with AES-256-GCM: a fresh 96-bit nonce each, the key
version stored beside them, and the owner string (e.g. ``event:12:env:TOKEN``) bound as associated
data, so a ciphertext copied to another row does not decrypt.

What the store keeps about the key (never the key itself) is one row of the `settings` table,
``secrets.meta``: the mode, the current key version, a verifier (a known text sealed with that key, to
tell a wrong passphrase or a foreign keychain entry from the right one), the keychain entry it was
created under, and in passphrase mode the salt and scrypt cost. Every change to that record happens
under SQLite's write lock, so two processes on one data folder never create or rotate keys past each
other.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from cronium_desktop.engine.folder import folder_digest
from cronium_desktop.engine.masking import MASK, Masker  # noqa: F401 - their home before masking.py
from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.store.models import Secret, Setting

KEYRING_SERVICE = "cronium-desktop"
PASSPHRASE_ENV = "CRONIUM_PASSPHRASE"
MIN_PASSPHRASE_LENGTH = 8
# OWASP's minimum for scrypt (128 MiB, about half a second on a laptop), paid once per process when a
# secret is first needed. Recorded with the salt, so raising it later leaves older folders readable.
SCRYPT_COST: dict[str, int] = {"n": 2**17, "r": 8, "p": 1}
_LEGACY_SCRYPT_COST = {"n": 2**14, "r": 8, "p": 1}  # records written before the cost was stored
_META = "secrets.meta"
_SETTINGS = cast(Table, Setting.__table__)
_VERIFIER_TEXT = b"cronium-desktop master key check"
_VERIFIER_AAD = b"cronium-desktop:verifier"

_SET_PASSPHRASE_HOW = (
    f"For headless and CLI use, export {PASSPHRASE_ENV}='your passphrase'; in the window, enter it in Settings."
)


class SecretsError(Exception):
    """A secret could not be stored or read; the message says why and what to do."""


class SecretsLocked(SecretsError):
    """No master key: no keychain and no passphrase given."""


class WrongPassphrase(SecretsLocked):
    """The passphrase given does not match the stored verifier; it was not used for anything."""


@dataclass(frozen=True)
class _Keys:
    """An unlocked key record: replaced whole, never changed, so readers need no lock."""

    mode: str
    current: int
    keys: Mapping[int, bytes]
    verifier: str  # identifies the record these keys were unlocked from
    ciphers: dict[int, AESGCM] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ciphers", {version: AESGCM(key) for version, key in self.keys.items()})

    def matches(self, meta: Mapping[str, Any]) -> bool:
        return meta.get("mode") == self.mode and meta.get("verifiers", {}).get(str(meta.get("current"))) == self.verifier


def _derive(passphrase: str, salt: bytes, cost: Mapping[str, int]) -> bytes:
    return Scrypt(salt=salt, length=32, n=cost["n"], r=cost["r"], p=cost["p"]).derive(passphrase.encode("utf-8"))


def _seal_verifier(key: bytes) -> str:
    nonce = os.urandom(12)
    return (nonce + AESGCM(key).encrypt(nonce, _VERIFIER_TEXT, _VERIFIER_AAD)).hex()


def _verifies(key: bytes, verifier: str) -> bool:
    raw = bytes.fromhex(verifier)
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], _VERIFIER_AAD) == _VERIFIER_TEXT
    except InvalidTag:
        return False


def _encrypt(cipher: AESGCM, owner: str, value: str) -> tuple[bytes, bytes]:
    nonce = os.urandom(12)
    return nonce, cipher.encrypt(nonce, value.encode("utf-8"), owner.encode("utf-8"))


def _keychain_problem(error: Exception) -> str:
    return f"{type(error).__name__}: {error}".split(". ")[0]


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise SecretsError(f"A passphrase needs at least {MIN_PASSPHRASE_LENGTH} characters.")


class SecretStore:
    """Seals and opens secret values; thread-safe, unlocked lazily on first use.

    A data folder with no secrets never needs a keychain or a passphrase. Lock order: the database's
    write lock (a caller's `db.write()` session) before `self._lock`, never the other way round.
    """

    def __init__(self, db: Database, data_dir: Path, passphrase: str | None = None) -> None:
        self._db = db
        self._data_dir = data_dir
        from_env = os.environ.get(PASSPHRASE_ENV) or None
        self._passphrase = passphrase if passphrase is not None else from_env
        self._passphrase_source = PASSPHRASE_ENV if passphrase is None and from_env else "the passphrase given"
        self._unlocked: _Keys | None = None
        self._lock = threading.RLock()
        self._keyring_username = f"master-key:{folder_digest(data_dir)}"

    # -- the key record ----------------------------------------------------------------------------------

    @property
    def keyring_username(self) -> str:
        """This data folder's entry in the keychain (service ``cronium-desktop``)."""
        return self._keyring_username

    @property
    def status(self) -> str:
        """"keychain" or "passphrase" once unlocked; "new" before the first secret; else "locked"."""
        unlocked = self._unlocked
        if unlocked is not None:
            return unlocked.mode
        return "locked" if self._read_meta() else "new"

    @property
    def mode(self) -> str | None:
        """Where this folder's key lives ("keychain" or "passphrase"), or None before the first secret."""
        return self._read_meta().get("mode")

    def _read_meta(self, session: Session | None = None) -> dict[str, Any]:
        if session is None:
            with self._db.read() as own:
                return self._read_meta(own)
        value = session.execute(select(_SETTINGS.c.value).where(_SETTINGS.c.key == _META)).scalar_one_or_none()
        return dict(value or {})

    @staticmethod
    def _locked_meta(session: Session) -> dict[str, Any]:
        """The key record, read after taking SQLite's write lock (an UPDATE that changes nothing).

        Until `session` commits, no other process can create, rotate or replace the key, so what is
        read here stays true for the secrets written in the same transaction.
        """
        touch = update(_SETTINGS).where(_SETTINGS.c.key == _META).values(value=_SETTINGS.c.value)
        return dict(session.execute(touch.returning(_SETTINGS.c.value)).scalar_one_or_none() or {})

    @staticmethod
    def _write_meta(session: Session, meta: dict[str, Any]) -> None:
        upsert = insert(_SETTINGS).values(key=_META, value=meta)
        session.execute(upsert.on_conflict_do_update(index_elements=[_SETTINGS.c.key], set_={"value": upsert.excluded.value}))

    def _refuse_orphaned_secrets(self, session: Session) -> None:
        """Secrets without a key record: a new key would never open them, so make none."""
        count = session.scalar(select(func.count()).select_from(Secret)) or 0
        if count:
            raise SecretsError(
                f"The data folder {str(self._data_dir)!r} holds {count} encrypted secret(s) but no record of "
                f"their master key (setting {_META!r} is missing), so they cannot be read and no new key was made. "
                "Restore the folder's cronium.db from a backup, or discard its secrets and enter them again."
            )

    def _forget_on_rollback(self, session: Session, created: _Keys) -> None:
        """A key created inside a caller's transaction is forgotten if that transaction rolls back."""
        committed = False

        def on_commit(_session: Session) -> None:
            nonlocal committed
            committed = True

        def on_rollback(_session: Session) -> None:
            with self._lock:
                if not committed and self._unlocked is created:
                    self._unlocked = None

        sa_event.listen(session, "after_commit", on_commit, once=True)
        sa_event.listen(session, "after_rollback", on_rollback, once=True)

    # -- the keychain ------------------------------------------------------------------------------------

    @staticmethod
    def _keychain_read(username: str) -> dict[int, bytes] | None:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, username)  # raises when there is no keychain
        if stored is None:
            return None
        try:
            return {int(version): bytes.fromhex(key) for version, key in json.loads(stored).items()}
        except (ValueError, AttributeError) as error:
            raise SecretsError(
                f"The keychain entry {KEYRING_SERVICE!r}/{username!r} is not a Cronium master key; "
                "it was changed outside Cronium Desktop. Restore it or remove it."
            ) from error

    @staticmethod
    def _keychain_write(username: str, keys: Mapping[int, bytes]) -> None:
        import keyring

        value = json.dumps({str(version): key.hex() for version, key in sorted(keys.items())})
        keyring.set_password(KEYRING_SERVICE, username, value)

    # -- unlocking ---------------------------------------------------------------------------------------

    def unlock(self, passphrase: str | None = None) -> None:
        """Open this folder's key now instead of at the first secret.

        With `passphrase`, a passphrase-protected folder is opened with it (a wrong one raises
        `WrongPassphrase` and changes nothing); on a folder with no key yet it is kept for when the
        first secret needs a key and there is no keychain. Without one, the keychain or the passphrase
        given at construction (or in ``CRONIUM_PASSPHRASE``) is used.
        """
        meta = self._read_meta()
        with self._lock:
            if not meta:
                if passphrase is not None:
                    self._passphrase, self._passphrase_source = passphrase, "the passphrase given"
                return
            if passphrase is None and self._unlocked is not None and self._unlocked.matches(meta):
                return
            self._unlocked = self._keys_for(meta, passphrase)
            if passphrase is not None and self._unlocked.mode == "passphrase":
                self._passphrase, self._passphrase_source = passphrase, "the passphrase given"

    def _current_keys(self, meta: dict[str, Any] | None = None) -> _Keys:
        """The keys of the stored record, unlocked again if the record changed (another process rotated)."""
        meta = self._read_meta() if meta is None else meta
        with self._lock:
            unlocked = self._unlocked
            if unlocked is None or not unlocked.matches(meta):
                if not meta:  # a secret was read, yet there is no record
                    with self._db.read() as session:
                        self._refuse_orphaned_secrets(session)
                    raise SecretsError(f"The secrets of the data folder {str(self._data_dir)!r} were discarded.")
                unlocked = self._unlocked = self._keys_for(meta)
            return unlocked

    def _keys_for(self, meta: Mapping[str, Any], passphrase: str | None = None) -> _Keys:
        try:
            if meta["mode"] == "keychain":
                return self._keys_from_keychain(meta)
            return self._keys_from_passphrase(meta, passphrase)
        except (KeyError, TypeError, ValueError) as error:
            raise SecretsError(
                f"The record of this data folder's master key (setting {_META!r}) is damaged ({error!r}); "
                "restore cronium.db from a backup."
            ) from error

    def _keys_from_keychain(self, meta: Mapping[str, Any]) -> _Keys:
        current = int(meta["current"])
        verifier = meta["verifiers"][str(current)]
        # A folder moved or copied on this computer still finds the entry it was created under.
        names = [self._keyring_username]
        if meta.get("entry") and meta["entry"] != self._keyring_username:
            names.append(meta["entry"])
        found_any = False
        for name in names:
            try:
                keys = self._keychain_read(name)
            except SecretsError:
                raise
            except Exception as error:  # keyring raises backend-specific errors
                raise SecretsLocked(
                    "The master key of this data folder is in the OS keychain, which cannot be reached "
                    f"({_keychain_problem(error)}). Unlock the keychain (or log in to the desktop session) and try again."
                ) from error
            found_any = found_any or keys is not None
            if keys and current in keys and _verifies(keys[current], verifier):
                if name != self._keyring_username:
                    self._copy_to_own_entry(keys)
                return _Keys("keychain", current, keys, verifier)
        where = f"keychain entry {KEYRING_SERVICE!r}/{self._keyring_username!r}"
        if found_any:
            raise SecretsError(
                f"The master key in the OS keychain ({where}) does not match the secrets of the data folder "
                f"{str(self._data_dir)!r}, so they cannot be decrypted. Restore the entry this folder was created with, "
                "or discard its secrets and enter them again."
            )
        raise SecretsError(
            f"The OS keychain holds no master key for the data folder {str(self._data_dir)!r} ({where}), so its "
            "secrets cannot be decrypted and no new key was made. If the folder came from another computer or "
            "user account, its key stayed in that keychain: copy the entry here, or discard the folder's secrets "
            "and enter them again."
        )

    def _copy_to_own_entry(self, keys: Mapping[int, bytes]) -> None:
        """A moved or copied folder gets its own entry, so rotating the original's key spares it."""
        try:
            if self._keychain_read(self._keyring_username) is None:
                self._keychain_write(self._keyring_username, keys)
        except Exception:  # the entry it was created under still serves
            pass

    def _keys_from_passphrase(self, meta: Mapping[str, Any], passphrase: str | None) -> _Keys:
        source = "the passphrase given" if passphrase is not None else self._passphrase_source
        passphrase = passphrase if passphrase is not None else self._passphrase
        if not passphrase:
            raise SecretsLocked(f"This data folder's secrets are protected by a passphrase. {_SET_PASSPHRASE_HOW}")
        current = int(meta["current"])
        key = _derive(passphrase, bytes.fromhex(meta["salts"][str(current)]), meta.get("scrypt", _LEGACY_SCRYPT_COST))
        verifier = meta["verifiers"][str(current)]
        if not _verifies(key, verifier):
            raise WrongPassphrase(
                f"The passphrase ({source}) is wrong for the secrets of the data folder {str(self._data_dir)!r}; "
                "nothing was read or written. Enter the passphrase they were saved with."
            )
        return _Keys("passphrase", current, {current: key}, verifier)

    def _passphrase_record(self, passphrase: str, version: int) -> tuple[dict[str, Any], _Keys]:
        _check_passphrase(passphrase)
        salt = os.urandom(16)
        key = _derive(passphrase, salt, SCRYPT_COST)
        verifier = _seal_verifier(key)
        meta = {"mode": "passphrase", "current": version, "salts": {str(version): salt.hex()},
                "scrypt": dict(SCRYPT_COST), "verifiers": {str(version): verifier}}
        return meta, _Keys("passphrase", version, {version: key}, verifier)

    def _create_key(self, session: Session) -> _Keys:
        """First secret of this folder (the caller holds the write lock and found no record)."""
        self._refuse_orphaned_secrets(session)
        try:
            keys = self._keychain_read(self._keyring_username)
            if not keys:
                keys = {1: AESGCM.generate_key(bit_length=256)}
                self._keychain_write(self._keyring_username, keys)
                if self._keychain_read(self._keyring_username) != keys:
                    raise RuntimeError("the keychain did not keep the key")
            # else: an entry left by an earlier folder at this path is kept, not overwritten, since a
            # backup of that folder still needs it.
        except SecretsError:
            raise
        except Exception as error:  # no keychain, or a locked one
            if not self._passphrase:
                raise SecretsLocked(
                    f"The OS keychain cannot hold the master key of this data folder ({_keychain_problem(error)}). "
                    f"Unlock the keychain, or protect the secrets with a passphrase instead. {_SET_PASSPHRASE_HOW}"
                ) from error
            meta, created = self._passphrase_record(self._passphrase, 1)
        else:
            current = max(keys)
            verifier = _seal_verifier(keys[current])
            meta = {"mode": "keychain", "current": current, "entry": self._keyring_username,
                    "verifiers": {str(current): verifier}}
            created = _Keys("keychain", current, keys, verifier)
        self._write_meta(session, meta)
        self._forget_on_rollback(session, created)
        return created

    def set_passphrase(self, passphrase: str, session: Session | None = None) -> None:
        """Protect a folder that has no key yet with a passphrase (for a computer without a keychain)."""
        _check_passphrase(passphrase)
        if session is None:
            with self._db.write() as own:
                self.set_passphrase(passphrase, own)
            return
        meta = self._locked_meta(session)
        with self._lock:
            if meta:
                where = "is in the OS keychain" if meta.get("mode") == "keychain" else "already has a passphrase"
                raise SecretsError(
                    f"This data folder's master key {where}; change it by rotating the key instead."
                )
            self._refuse_orphaned_secrets(session)
            meta, created = self._passphrase_record(passphrase, 1)
            self._write_meta(session, meta)
            self._forget_on_rollback(session, created)
            self._unlocked = created
            self._passphrase, self._passphrase_source = passphrase, "the passphrase given"

    # -- values ------------------------------------------------------------------------------------------

    def put(self, session: Session, owner: str, value: str) -> None:
        meta = self._locked_meta(session)
        with self._lock:
            if meta:
                unlocked = self._current_keys(meta)
            else:
                unlocked = self._unlocked = self._create_key(session)
        nonce, ciphertext = _encrypt(unlocked.ciphers[unlocked.current], owner, value)
        row = session.get(Secret, owner)
        if row is None:
            session.add(Secret(owner=owner, key_version=unlocked.current, nonce=nonce, ciphertext=ciphertext))
        else:
            row.key_version, row.nonce, row.ciphertext = unlocked.current, nonce, ciphertext

    def get(self, session: Session, owner: str) -> str | None:
        row = session.get(Secret, owner)
        if row is None:
            return None
        unlocked = self._unlocked
        if unlocked is None or row.key_version not in unlocked.keys:
            unlocked = self._current_keys(self._read_meta(session))
        try:
            return self._decrypt(unlocked, row)
        except SecretsError:
            fresh = self._current_keys()  # the record may have been reset and remade by another process
            if fresh is unlocked:
                raise
            return self._decrypt(fresh, row)

    @staticmethod
    def _decrypt(unlocked: _Keys, row: Secret) -> str:
        cipher = unlocked.ciphers.get(row.key_version)
        if cipher is None:
            raise SecretsError(f"Secret {row.owner!r} was sealed with key version {row.key_version}, which is gone.")
        try:
            return cipher.decrypt(row.nonce, row.ciphertext, row.owner.encode("utf-8")).decode("utf-8")
        except InvalidTag as error:
            raise SecretsError(f"Secret {row.owner!r} does not decrypt: it was altered or copied from another row.") from error

    def delete(self, session: Session, owner: str) -> None:
        session.execute(delete(Secret).where(Secret.owner == owner))

    def delete_prefix(self, session: Session, prefix: str) -> None:
        session.execute(delete(Secret).where(Secret.owner.startswith(prefix, autoescape=True)))

    def owners(self, session: Session, prefix: str = "") -> list[str]:
        query = select(Secret.owner).where(Secret.owner.startswith(prefix, autoescape=True)).order_by(Secret.owner)
        return list(session.scalars(query))

    def count(self) -> int:
        with self._db.read() as session:
            return int(session.scalar(select(func.count()).select_from(Secret)) or 0)

    # -- rotation and reset ------------------------------------------------------------------------------

    def key_record(self) -> dict[str, Any]:
        """What the store says about the key, for `secrets status`: mode, current version, keychain
        entry, and how many secrets each key version seals (never a key)."""
        meta = self._read_meta()
        with self._db.read() as session:
            versions = {int(version): int(count) for version, count in session.execute(
                select(Secret.key_version, func.count()).group_by(Secret.key_version))}
        return {"mode": meta.get("mode"), "key_version": meta.get("current"),
                "keychain_entry": meta.get("entry") if meta.get("mode") == "keychain" else None,
                "secrets_by_key_version": versions}

    def rotate(self, new_passphrase: str | None = None,
               progress: Callable[[int, int], object] | None = None) -> int:
        """Re-encrypt every secret under a new key, in one transaction; returns the new key version.

        The old key stays available until the transaction commits: in keychain mode the new key is
        stored beside the old one first, and the old one is dropped only after the commit. So an
        interruption at any point leaves every secret readable. In passphrase mode, `new_passphrase`
        also changes the passphrase. `progress(done, total)` is called as secrets are re-encrypted;
        if it raises, nothing is changed.
        """
        if new_passphrase is not None:
            _check_passphrase(new_passphrase)
        with self._db.write() as session, self._lock:
            meta = self._locked_meta(session)
            if not meta:
                raise SecretsError("This data folder has no master key yet, so there is nothing to rotate.")
            old = self._current_keys(meta)
            version = max(old.keys) + 1
            if old.mode == "keychain":
                if new_passphrase is not None:
                    raise SecretsError("This data folder's master key is in the OS keychain; it has no passphrase to change.")
                key = AESGCM.generate_key(bit_length=256)
                self._keychain_write(self._keyring_username, {**old.keys, version: key})
                verifier = _seal_verifier(key)
                new_meta = {"mode": "keychain", "current": version, "entry": self._keyring_username,
                            "verifiers": {str(version): verifier}}
                new = _Keys("keychain", version, {version: key}, verifier)
            else:
                passphrase = new_passphrase if new_passphrase is not None else self._passphrase
                assert passphrase is not None  # the old keys were just unlocked with it
                new_meta, new = self._passphrase_record(passphrase, version)
            total = session.scalar(select(func.count()).select_from(Secret)) or 0
            for done, row in enumerate(session.scalars(select(Secret)), start=1):
                value = self._decrypt(old, row)
                row.key_version = version
                row.nonce, row.ciphertext = _encrypt(new.ciphers[version], row.owner, value)
                if progress is not None:
                    progress(done, total)
            self._write_meta(session, new_meta)
            session.commit()
            # Rows read before the commit by other threads may still carry the old version: keep its key.
            self._unlocked = _Keys(new.mode, version, {**old.keys, version: new.keys[version]}, new.verifier)
            if new_passphrase is not None:
                self._passphrase, self._passphrase_source = new_passphrase, "the passphrase given"
            if new.mode == "keychain":
                try:
                    self._keychain_write(self._keyring_username, new.keys)
                except Exception:  # the old key left beside the new one is harmless
                    pass
            return version

    def reset(self) -> int:
        """Discard every secret and the key record (when the key is lost); returns how many were discarded.

        Whatever referred to them reads as empty afterwards. The keychain entry is left alone (a backup of
        the folder may need it); the next secret gets a key again.
        """
        with self._db.write() as session, self._lock:
            self._locked_meta(session)
            discarded = session.execute(delete(Secret)).rowcount or 0  # type: ignore[attr-defined]
            session.execute(delete(_SETTINGS).where(_SETTINGS.c.key == _META))
            session.commit()
            self._unlocked = None
            return int(discarded)
