"""Open one authenticated SSH transport to a server, checking its host key before any credential.

Blocking (paramiko): called from the connection pool's worker threads, never on the event loop.
"""

from __future__ import annotations

import base64
import io
import re
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from cronium_desktop.engine.ssh.errors import AuthFailed, ConnectFailed, CredentialError, UnknownHostKey
from cronium_desktop.engine.ssh.hostkeys import HostKeyStore, fingerprint

CONNECT_TIMEOUT_SECONDS = 10.0
KEEPALIVE_SECONDS = 30
AUTH_METHODS = ("KEY", "PASSWORD", "AGENT")
# A host-key type also covers the signature algorithms that use it.
_HOST_KEY_ALGORITHMS = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")}


@dataclass(frozen=True)
class ServerSpec:
    """How to reach and log in to one server, credentials decrypted (kept out of repr)."""

    id: int | None
    name: str
    host: str
    port: int
    username: str
    auth_method: str  # KEY, PASSWORD, AGENT
    key_path: str | None = None
    private_key: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        return f"Server {self.name!r} ({self.host}:{self.port})"


def load_private_key(spec: ServerSpec) -> paramiko.PKey:
    """The server's private key, from its file or from the pasted text, opened with its passphrase."""
    if spec.private_key:
        text = spec.private_key
    elif spec.key_path:
        path = Path(spec.key_path).expanduser()
        if not path.is_file():
            raise CredentialError(f"{spec.where}: the key file {str(path)!r} does not exist; choose another file.")
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise CredentialError(f"{spec.where}: the key file cannot be read ({error.strerror}).") from error
    else:
        raise CredentialError(f"{spec.where}: no private key is set; choose a key file or paste a key.")
    encrypted = is_encrypted(text)
    if encrypted and not spec.passphrase:
        raise CredentialError(f"{spec.where}: the private key is encrypted; set its passphrase.")
    key_classes: tuple[type[paramiko.PKey], ...] = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)
    for key_class in key_classes:  # the header does not always say the type: try each
        try:
            return key_class.from_private_key(io.StringIO(text.strip() + "\n"), spec.passphrase if encrypted else None)
        except (paramiko.SSHException, ValueError, TypeError):
            continue
    if encrypted:
        raise CredentialError(f"{spec.where}: the passphrase does not open the private key; check it.")
    raise CredentialError(f"{spec.where}: this is not a private key Cronium can read; use an OpenSSH or PEM "
                          "Ed25519, ECDSA or RSA key.")


def is_encrypted(text: str) -> bool:
    """Whether a PEM or OpenSSH private key needs a passphrase (read from its header, not by trying)."""
    if "ENCRYPTED" in text:  # "Proc-Type: 4,ENCRYPTED" (PEM) or "BEGIN ENCRYPTED PRIVATE KEY" (PKCS#8)
        return True
    match = re.search(r"-----BEGIN OPENSSH PRIVATE KEY-----(.*?)-----END", text, re.S)
    if match is None:
        return False
    try:
        blob = base64.b64decode("".join(match.group(1).split()))
    except ValueError:
        return False
    magic = b"openssh-key-v1\0"
    if not blob.startswith(magic) or len(blob) < len(magic) + 4:
        return False
    length = struct.unpack(">I", blob[len(magic):len(magic) + 4])[0]
    return blob[len(magic) + 4:len(magic) + 4 + length] != b"none"


PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")


def connect(
    spec: ServerSpec,
    hostkeys: HostKeyStore,
    accept_host_key: bool | str = False,
    timeout: float = CONNECT_TIMEOUT_SECONDS,
    keepalive: int = KEEPALIVE_SECONDS,
) -> paramiko.Transport:
    """Connect, verify the host key, then authenticate.

    `accept_host_key` trusts an *unknown* key (True: whatever is presented; a fingerprint string:
    only that one, so what the user saw is what gets stored). A changed key is never accepted here.
    """
    try:
        sock = socket.create_connection((spec.host, spec.port), timeout=timeout)
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise ConnectFailed(f"{spec.where}: cannot connect ({reason}). Check that it is up and the host and port are right.") from error
    # Small request/reply packets (channel opens, SFTP) must not wait for Nagle's algorithm.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transport = paramiko.Transport(sock)
    try:
        options = transport.get_security_options()
        # AES-GCM first: with the CTR ciphers paramiko checks each packet's HMAC byte by byte in Python,
        # which was half the CPU (and GIL) a remote run costs this process. Servers without GCM still
        # get the rest of paramiko's list.
        options.ciphers = PREFERRED_CIPHERS + tuple(c for c in options.ciphers if c not in PREFERRED_CIPHERS)
        known_types = hostkeys.key_types(spec.host, spec.port)
        if known_types:
            wanted = [alg for kind in known_types for alg in _HOST_KEY_ALGORITHMS.get(kind, (kind,))]
            options.key_types = tuple(wanted) + tuple(t for t in options.key_types if t not in wanted)
        try:
            transport.start_client(timeout=timeout)
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise ConnectFailed(f"{spec.where}: the SSH handshake failed ({error or type(error).__name__}).") from error
        key = transport.get_remote_server_key()
        try:
            hostkeys.verify(spec.name, spec.host, spec.port, key)
        except UnknownHostKey:
            if accept_host_key is True or (isinstance(accept_host_key, str) and accept_host_key == fingerprint(key)):
                hostkeys.accept(spec.host, spec.port, key)
            else:
                raise
        _authenticate(transport, spec)
        transport.set_keepalive(keepalive)
        return transport
    except BaseException:
        transport.close()
        raise


def _authenticate(transport: paramiko.Transport, spec: ServerSpec) -> None:
    try:
        if spec.auth_method == "KEY":
            transport.auth_publickey(spec.username, load_private_key(spec))
        elif spec.auth_method == "PASSWORD":
            if not spec.password:
                raise CredentialError(f"{spec.where}: no password is stored; set it in Servers.")
            transport.auth_password(spec.username, spec.password)
        elif spec.auth_method == "AGENT":
            _authenticate_with_agent(transport, spec)
        else:
            raise CredentialError(f"{spec.where}: unknown auth method {spec.auth_method!r}; use KEY, PASSWORD or AGENT.")
    except paramiko.AuthenticationException as error:
        raise AuthFailed(
            f"{spec.where}: the server refused the {_AUTH_WORDS[spec.auth_method]} of user {spec.username!r}. "
            "Check the user name and credentials."
        ) from error
    except (paramiko.SSHException, OSError, EOFError) as error:
        raise ConnectFailed(f"{spec.where}: the connection dropped during login ({error or type(error).__name__}).") from error
    if not transport.is_authenticated():
        raise AuthFailed(f"{spec.where}: login as {spec.username!r} did not complete; check the credentials.")


_AUTH_WORDS = {"KEY": "private key", "PASSWORD": "password", "AGENT": "SSH agent keys"}


def _authenticate_with_agent(transport: paramiko.Transport, spec: ServerSpec) -> None:
    agent = paramiko.Agent()
    try:
        keys = agent.get_keys()
        if not keys:
            raise CredentialError(
                f"{spec.where}: the SSH agent holds no keys (is SSH_AUTH_SOCK set and `ssh-add -l` non-empty?)."
            )
        for key in keys:
            try:
                transport.auth_publickey(spec.username, key)
                return
            except paramiko.AuthenticationException:
                continue
        raise paramiko.AuthenticationException("no agent key was accepted")
    finally:
        agent.close()
