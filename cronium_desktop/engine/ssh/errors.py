"""Errors of SSH connections, each naming the server and what to do about it."""

from __future__ import annotations

from cronium_desktop.engine.errors import CroniumError


class SshError(CroniumError):
    """Connecting to, or working on, a server failed."""


class ConnectFailed(SshError):
    """The server could not be reached, or the SSH handshake failed."""


class AuthFailed(SshError):
    """The server refused the credentials."""


class CredentialError(SshError):
    """The stored credentials are unusable (missing key file, wrong passphrase, no agent)."""


class HostKeyError(SshError):
    """The server's host key is not trusted; never counted as an outage."""


class UnknownHostKey(HostKeyError):
    """First connection: the user must accept the fingerprint (trust on first use)."""

    def __init__(self, message: str, host: str, port: int, fingerprint: str, key: object) -> None:
        super().__init__(message)
        self.host, self.port, self.fingerprint, self.key = host, port, fingerprint, key


class HostKeyChanged(HostKeyError):
    """The server presents a key other than the accepted one: refused until re-accepted."""

    def __init__(self, message: str, host: str, port: int, expected: str, presented: str) -> None:
        super().__init__(message)
        self.host, self.port, self.expected, self.presented = host, port, expected, presented


class CircuitOpen(SshError):
    """Recent connects failed repeatedly; the pool fails fast instead of trying again now."""
