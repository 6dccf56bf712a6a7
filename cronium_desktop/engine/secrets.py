"""The only place secret values exist in clear (SPEC §7).

A 256-bit master key lives in the OS keychain (keyring, service ``cronium-desktop``, one entry per
data folder). Where there is no keychain, the key is derived from the user's passphrase with scrypt
and a stored random salt. Values are sealed with AES-256-GCM: a fresh 96-bit nonce each, the key
version stored beside them, and the owner string (e.g. ``event:12:env:TOKEN``) bound as associated
data, so a ciphertext copied to another row does not decrypt.

What the store keeps about keys (never a key itself) sits in the `settings` table under
``secrets.*``: the mode, the current key version, a verifier per version (a known text sealed with
that key, to tell a wrong passphrase from a right one) and, in passphrase mode, a salt per version.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import delete, func, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.store.models import Secret, Setting

MASK = "••••••"
KEYRING_SERVICE = "cronium-desktop"
_META = "secrets.meta"
_VERIFIER_TEXT = b"cronium-desktop master key check"
_VERIFIER_AAD = b"cronium-desktop:verifier"
# scrypt cost: ~50 ms and 16 MiB on a laptop; paid once per process, when a secret is first needed.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
# Values shorter than this are not masked: they would blank out ordinary words in every log line.
MIN_MASKED_LENGTH = 3


class SecretsError(Exception):
    """A secret could not be stored or read; the message says why and what to do."""


class SecretsLocked(SecretsError):
    """No master key: no keychain and no passphrase given."""


class WrongPassphrase(SecretsLocked):
    pass


def _derive(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P).derive(passphrase.encode("utf-8"))


def _seal_verifier(key: bytes) -> str:
    nonce = os.urandom(12)
    return (nonce + AESGCM(key).encrypt(nonce, _VERIFIER_TEXT, _VERIFIER_AAD)).hex()


def _verifies(key: bytes, verifier: str) -> bool:
    raw = bytes.fromhex(verifier)
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], _VERIFIER_AAD) == _VERIFIER_TEXT
    except InvalidTag:
        return False


class SecretStore:
    """Seals and opens secret values; thread-safe, unlocked lazily on first use.

    A data folder with no secrets never needs a keychain or a passphrase.
    """

    def __init__(self, db: Database, data_dir: Path, passphrase: str | None = None) -> None:
        self._db = db
        self._data_dir = data_dir
        self._passphrase = passphrase if passphrase is not None else os.environ.get("CRONIUM_PASSPHRASE") or None
        self._keys: dict[int, bytes] = {}
        self._current: int | None = None
        self._mode: str | None = None
        self._lock = threading.RLock()

    # -- where the key lives -------------------------------------------------------------------------

    @property
    def keyring_username(self) -> str:
        """One keychain entry per data folder."""
        import hashlib

        digest = hashlib.sha256(str(self._data_dir.resolve()).encode()).hexdigest()[:16]
        return f"master-key:{digest}"

    def _read_meta(self) -> dict[str, Any]:
        with self._db.read() as session:
            row = session.get(Setting, _META)
            return dict(row.value) if row is not None else {}

    @staticmethod
    def _write_meta(session: Session, meta: dict[str, Any]) -> None:
        row = session.get(Setting, _META)
        if row is None:
            session.add(Setting(key=_META, value=meta))
        else:
            row.value = meta

    def _keychain_read(self) -> dict[int, bytes] | None:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, self.keyring_username)
        if stored is None:
            return None
        return {int(version): bytes.fromhex(key) for version, key in json.loads(stored).items()}

    def _keychain_write(self, keys: dict[int, bytes]) -> None:
        import keyring

        value = json.dumps({str(version): key.hex() for version, key in keys.items()})
        keyring.set_password(KEYRING_SERVICE, self.keyring_username, value)

    @staticmethod
    def _keychain_problem(error: Exception) -> str:
        return f"{type(error).__name__}: {error}".split(". ")[0]

    @property
    def status(self) -> str:
        """"keychain" or "passphrase" once unlocked; "new" before the first secret; else "locked"."""
        with self._lock:
            if self._current is not None:
                return self._mode or "locked"
        meta = self._read_meta()
        return "new" if not meta else "locked"

    @property
    def mode(self) -> str | None:
        """Where this folder's key lives ("keychain" or "passphrase"), or None before the first secret."""
        return self._read_meta().get("mode")

    # -- unlocking ---------------------------------------------------------------------------------------

    def unlock(self, passphrase: str | None = None, session: Session | None = None) -> None:
        """Make the master key available, creating it on first use.

        A key created here is recorded through `session` when one is given, so a caller already
        inside a write transaction is not blocked by a second writer.
        """
        with self._lock:
            if passphrase is not None:
                self._passphrase = passphrase
            if self._current is not None and passphrase is None:
                return
            meta = self._read_meta()
            if not meta:
                self._create_key(session)
            elif meta["mode"] == "keychain":
                self._unlock_from_keychain(meta)
            else:
                self._unlock_with_passphrase(meta)

    def _unlock_from_keychain(self, meta: dict[str, Any]) -> None:
        try:
            keys = self._keychain_read()
        except Exception as error:  # keyring raises backend-specific errors
            raise SecretsLocked(
                "The master key of this data folder is in the OS keychain, which cannot be reached "
                f"({self._keychain_problem(error)}). Unlock the keychain (or log in to the desktop session) and try again."
            ) from error
        current = int(meta["current"])
        if keys is None or current not in keys:
            raise SecretsError(
                f"The OS keychain holds no master key for the data folder {str(self._data_dir)!r}, so its "
                "secrets cannot be decrypted. Restore the keychain entry 'cronium-desktop' or re-enter the secrets "
                "after removing them."
            )
        if not _verifies(keys[current], meta["verifiers"][str(current)]):
            raise SecretsError("The master key in the OS keychain does not match this data folder's secrets.")
        self._keys, self._current, self._mode = keys, current, "keychain"

    def _unlock_with_passphrase(self, meta: dict[str, Any]) -> None:
        if not self._passphrase:
            raise SecretsLocked(
                "This data folder's secrets are protected by a passphrase. For headless and CLI use, "
                "export CRONIUM_PASSPHRASE; in the window, enter it when asked."
            )
        keys: dict[int, bytes] = {}
        for version, salt in meta["salts"].items():
            key = _derive(self._passphrase, bytes.fromhex(salt))
            if not _verifies(key, meta["verifiers"][version]):
                raise WrongPassphrase("The passphrase is wrong for this data folder's secrets; nothing was changed.")
            keys[int(version)] = key
        self._keys, self._current, self._mode = keys, int(meta["current"]), "passphrase"

    def _create_key(self, session: Session | None) -> None:
        """First secret in this folder: a random key in the keychain, else one from the passphrase."""
        key = AESGCM.generate_key(bit_length=256)
        try:
            self._keychain_write({1: key})
            if (self._keychain_read() or {}).get(1) != key:
                raise RuntimeError("the keychain did not keep the key")
        except Exception as error:
            if not self._passphrase:
                raise SecretsLocked(
                    f"No OS keychain is available to hold the master key ({self._keychain_problem(error)}). "
                    "Set a passphrase: export CRONIUM_PASSPHRASE for headless and CLI use, or set it in the "
                    "window when asked."
                ) from error
            self.set_passphrase(self._passphrase, session)
            return
        self._record_meta(session, {"mode": "keychain", "current": 1, "verifiers": {"1": _seal_verifier(key)}})
        self._keys, self._current, self._mode = {1: key}, 1, "keychain"

    def _record_meta(self, session: Session | None, meta: dict[str, Any]) -> None:
        if session is not None:
            self._write_meta(session, meta)
            session.flush()
            # If the caller's transaction is rolled back, so is the new key's record: forget the key
            # too, or later secrets would be sealed with a key no record describes.
            sa_event.listen(session, "after_rollback", lambda _session: self._forget(), once=True)
        else:
            with self._db.write() as own:
                self._write_meta(own, meta)

    def _forget(self) -> None:
        with self._lock:
            if not self._read_meta():
                self._keys, self._current, self._mode = {}, None, None

    def set_passphrase(self, passphrase: str, session: Session | None = None) -> None:
        """Protect a folder that has no key yet with a passphrase (no keychain on this machine)."""
        if len(passphrase) < 8:
            raise SecretsError("A passphrase needs at least 8 characters.")
        with self._lock:
            if self._read_meta():
                raise SecretsError("This data folder already has a master key; change it with rotation instead.")
            salt = os.urandom(16)
            key = _derive(passphrase, salt)
            self._record_meta(
                session,
                {"mode": "passphrase", "current": 1, "salts": {"1": salt.hex()}, "verifiers": {"1": _seal_verifier(key)}},
            )
            self._passphrase = passphrase
            self._keys, self._current, self._mode = {1: key}, 1, "passphrase"

    # -- values ------------------------------------------------------------------------------------------

    def _seal(self, owner: str, value: str) -> tuple[int, bytes, bytes]:
        assert self._current is not None
        nonce = os.urandom(12)
        return self._current, nonce, AESGCM(self._keys[self._current]).encrypt(nonce, value.encode("utf-8"), owner.encode("utf-8"))

    def _open(self, row: Secret) -> str:
        key = self._keys.get(row.key_version)
        if key is None:
            raise SecretsError(f"Secret {row.owner!r} was sealed with key version {row.key_version}, which is gone.")
        try:
            return AESGCM(key).decrypt(row.nonce, row.ciphertext, row.owner.encode("utf-8")).decode("utf-8")
        except InvalidTag as error:
            raise SecretsError(f"Secret {row.owner!r} does not decrypt: it was altered or copied from another row.") from error

    def put(self, session: Session, owner: str, value: str) -> None:
        self.unlock(session=session)
        with self._lock:
            version, nonce, ciphertext = self._seal(owner, value)
        row = session.get(Secret, owner)
        if row is None:
            session.add(Secret(owner=owner, key_version=version, nonce=nonce, ciphertext=ciphertext))
        else:
            row.key_version, row.nonce, row.ciphertext = version, nonce, ciphertext

    def get(self, session: Session, owner: str) -> str | None:
        row = session.get(Secret, owner)
        if row is None:
            return None
        self.unlock()
        with self._lock:
            return self._open(row)

    def delete(self, session: Session, owner: str) -> None:
        session.execute(delete(Secret).where(Secret.owner == owner))

    def delete_prefix(self, session: Session, prefix: str) -> None:
        session.execute(delete(Secret).where(Secret.owner.startswith(prefix, autoescape=True)))

    def owners(self, session: Session, prefix: str = "") -> list[str]:
        return list(session.scalars(select(Secret.owner).where(Secret.owner.startswith(prefix, autoescape=True))))

    def count(self) -> int:
        with self._db.read() as session:
            return int(session.scalar(select(func.count()).select_from(Secret)) or 0)

    # -- rotation ----------------------------------------------------------------------------------------

    def rotate(self, new_passphrase: str | None = None) -> int:
        """Re-encrypt every secret under a new key, in one transaction; returns the new key version.

        The old key stays available until the transaction commits, so an interruption at any point
        leaves every secret readable. In passphrase mode, `new_passphrase` also changes the passphrase.
        """
        self.unlock()
        with self._lock:
            assert self._current is not None
            version = max(self._keys) + 1
            if self._mode == "keychain":
                key = AESGCM.generate_key(bit_length=256)
                self._keychain_write({**self._keys, version: key})  # old and new side by side first
                new_meta = {"mode": "keychain", "current": version, "verifiers": {str(version): _seal_verifier(key)}}
            else:
                passphrase = new_passphrase or self._passphrase
                assert passphrase
                salt = os.urandom(16)
                key = _derive(passphrase, salt)
                new_meta = {"mode": "passphrase", "current": version, "salts": {str(version): salt.hex()},
                            "verifiers": {str(version): _seal_verifier(key)}}
            with self._db.write() as session:
                for row in session.scalars(select(Secret)):
                    clear = self._open(row)
                    nonce = os.urandom(12)
                    row.key_version, row.nonce = version, nonce
                    row.ciphertext = AESGCM(key).encrypt(nonce, clear.encode("utf-8"), row.owner.encode("utf-8"))
                self._write_meta(session, new_meta)
            self._keys, self._current = {version: key}, version
            if self._mode == "keychain":
                try:
                    self._keychain_write({version: key})
                except Exception:  # the old key left beside the new one is harmless
                    pass
            else:
                self._passphrase = new_passphrase or self._passphrase
            return version


class Masker:
    """Replaces every known secret value by ``••••••`` (whole values, per line)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        new = {v for v in values if v and len(v) >= MIN_MASKED_LENGTH}
        if new - self._values:
            self._values |= new
            ordered = sorted(self._values, key=len, reverse=True)  # longest first: no partial leftovers
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def mask(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)
