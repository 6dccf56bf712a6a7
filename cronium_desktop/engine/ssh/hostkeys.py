"""The app's own known_hosts file: trust on first use, and refusal of changed host keys (SPEC §6).

The file is in OpenSSH's format, in the data folder, so `ssh-keygen -F '[host]:port' -f FILE`
can read it. It is re-read on every check because the CLI and the window may share the folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import threading
from pathlib import Path

import paramiko

from cronium_desktop.engine.ssh.errors import HostKeyChanged, UnknownHostKey

KNOWN_HOSTS_FILENAME = "known_hosts"


def fingerprint(key: paramiko.PKey) -> str:
    """The SHA256 fingerprint as OpenSSH prints it: `SHA256:` + unpadded base64."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def host_entry(host: str, port: int) -> str:
    """The name a known_hosts line uses: `host` on port 22, `[host]:port` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def _where(server: str, host: str, port: int) -> str:
    return f"Server {server!r} ({host}:{port})"


class HostKeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _load(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        if self.path.exists():
            keys.load(str(self.path))
        return keys

    def known(self, host: str, port: int) -> list[paramiko.PKey]:
        """The accepted keys of host:port (one per key type), oldest first."""
        with self._lock:
            entry = self._load().lookup(host_entry(host, port))
        return list(entry.values()) if entry else []

    def key_types(self, host: str, port: int) -> list[str]:
        """Key types already accepted, so the handshake can ask for one of them first."""
        return [key.get_name() for key in self.known(host, port)]

    def verify(self, server: str, host: str, port: int, key: paramiko.PKey) -> None:
        """Return if `key` is accepted for host:port; raise UnknownHostKey or HostKeyChanged."""
        known = self.known(host, port)
        presented = fingerprint(key)
        if any(stored.asbytes() == key.asbytes() for stored in known):
            return
        if not known:
            raise UnknownHostKey(
                f"{_where(server, host, port)}: unknown host key {presented} ({key.get_name()}). "
                "Check the fingerprint with the server's administrator and accept it in Servers "
                "(command line: --accept-host-key).",
                host, port, presented, key,
            )
        same_type = [stored for stored in known if stored.get_name() == key.get_name()]
        expected = fingerprint((same_type or known)[0])
        raise HostKeyChanged(
            f"{_where(server, host, port)}: host key changed (was {expected}, now {presented}). "
            "This can mean the server was reinstalled, or that someone intercepts the connection. "
            "Re-accept it in Servers if expected.",
            host, port, expected, presented,
        )

    def accept(self, host: str, port: int, key: paramiko.PKey) -> None:
        """Trust `key` for host:port, replacing whatever was accepted before."""
        with self._lock:
            keys = self._load()
            name = host_entry(host, port)
            if name in keys:
                del keys[name]
            keys.add(name, key.get_name(), key)
            self._save(keys)

    def forget(self, host: str, port: int) -> bool:
        """Drop every accepted key of host:port; True if there was one."""
        with self._lock:
            keys = self._load()
            name = host_entry(host, port)
            if name not in keys:
                return False
            del keys[name]
            self._save(keys)
            return True

    def _save(self, keys: paramiko.HostKeys) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".known_hosts.", dir=self.path.parent)
        os.close(handle)
        try:
            keys.save(temp)
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
