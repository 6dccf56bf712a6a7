"""The only place secret values exist in clear (SPEC §7).

A 256-bit master key lives in the OS keychain (keyring, service ``cronium-desktop``, one entry per
data folder). Values are sealed with AES-256-GCM, a fresh nonce each, the key version stored beside
them and the owner string (e.g. ``event:12:env:TOKEN``) bound as associated data, so a ciphertext
copied to another row does not decrypt.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.store.models import Secret

MASK = "••••••"
KEYRING_SERVICE = "cronium-desktop"


class SecretsError(Exception):
    pass


class SecretsLocked(SecretsError):
    """No master key: no keychain and no passphrase given."""


class SecretStore:
    def __init__(self, db: Database, data_dir: Path, passphrase: str | None = None) -> None:
        self._db = db
        self._data_dir = data_dir
        self._passphrase = passphrase if passphrase is not None else os.environ.get("CRONIUM_PASSPHRASE")
        self._keys: dict[int, bytes] = {}
        self._current_version: int | None = None

    # -- key management -------------------------------------------------------------------------

    @property
    def keyring_username(self) -> str:
        """One keychain entry per data folder."""
        digest = hashlib.sha256(str(self._data_dir.resolve()).encode()).hexdigest()[:16]
        return f"master-key:{digest}"

    def unlock(self) -> None:
        if self._current_version is not None:
            return
        import keyring
        from keyring.errors import KeyringError

        try:
            stored = keyring.get_password(KEYRING_SERVICE, self.keyring_username)
            if stored is None:
                stored = "1:" + AESGCM.generate_key(bit_length=256).hex()
                keyring.set_password(KEYRING_SERVICE, self.keyring_username, stored)
        except (KeyringError, RuntimeError) as error:
            raise SecretsLocked(
                "No OS keychain is available to hold the master key "
                f"({error}). Set a passphrase: in the window, Settings → Secrets; "
                "for headless and CLI use, export CRONIUM_PASSPHRASE."
            ) from error
        version, hex_key = stored.split(":", 1)
        self._keys[int(version)] = bytes.fromhex(hex_key)
        self._current_version = int(version)

    @property
    def status(self) -> str:
        return "keychain" if self._current_version is not None else "locked"

    # -- values -------------------------------------------------------------------------------------

    def put(self, session: Session, owner: str, value: str) -> None:
        self.unlock()
        assert self._current_version is not None
        nonce = os.urandom(12)
        key = self._keys[self._current_version]
        ciphertext = AESGCM(key).encrypt(nonce, value.encode("utf-8"), owner.encode("utf-8"))
        row = session.get(Secret, owner)
        if row is None:
            session.add(
                Secret(owner=owner, key_version=self._current_version, nonce=nonce, ciphertext=ciphertext)
            )
        else:
            row.key_version, row.nonce, row.ciphertext = self._current_version, nonce, ciphertext

    def get(self, session: Session, owner: str) -> str | None:
        row = session.get(Secret, owner)
        if row is None:
            return None
        self.unlock()
        key = self._keys.get(row.key_version)
        if key is None:
            raise SecretsError(f"Secret {owner!r} was sealed with key version {row.key_version}, which is gone.")
        try:
            return AESGCM(key).decrypt(row.nonce, row.ciphertext, owner.encode("utf-8")).decode("utf-8")
        except InvalidTag as error:
            raise SecretsError(f"Secret {owner!r} does not decrypt: it was tampered with or moved.") from error

    def delete(self, session: Session, owner: str) -> None:
        session.execute(delete(Secret).where(Secret.owner == owner))

    def delete_prefix(self, session: Session, prefix: str) -> None:
        session.execute(delete(Secret).where(Secret.owner.startswith(prefix, autoescape=True)))

    def owners(self, session: Session, prefix: str = "") -> list[str]:
        return list(session.scalars(select(Secret.owner).where(Secret.owner.startswith(prefix, autoescape=True))))


class Masker:
    """Replaces every known secret value by ``••••••`` (whole values, per line)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        # Very short values would mask ordinary text everywhere; they are still never logged by us.
        new = {v for v in values if v and len(v) >= 3}
        if new - self._values:
            self._values |= new
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def mask(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)
