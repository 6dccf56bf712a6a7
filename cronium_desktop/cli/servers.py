"""`cronium-desktop server add NAME ...` and `server check NAME` (SPEC §9).

`server add` logs in before it saves, so a typo, a refused login or an unknown host key changes
nothing; `--accept-host-key` trusts a host key seen for the first time (never a changed one).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cronium_desktop.engine.errors import CroniumError, NotFound, ValidationError
from cronium_desktop.engine.ssh.errors import SshError

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine

# The server fields the engine names in its errors, as the options of `server add` say them.
OPTION_OF_FIELD = {"host": "--host", "port": "--port", "username": "--user", "key_path": "--key",
                   "password": "--password-stdin"}


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _input_error(error: ValidationError) -> str:
    if error.field == "passphrase":
        return ("--key: the private key is protected by a passphrase, which the command line does not take. "
                "Load the key into your SSH agent (ssh-add FILE) and use --agent, or add the server in the window.")
    return f"{OPTION_OF_FIELD.get(error.field, error.field)}: {error.message}"


async def add_server(engine: Engine, args: argparse.Namespace) -> int:
    """Add a server after a successful login. 0 added, 1 login/host key failed, 2 bad input."""
    chosen = [flag for flag, given in (("--key", args.key), ("--password-stdin", args.password_stdin),
                                       ("--agent", args.agent)) if given]
    if len(chosen) != 1:
        _error("choose exactly one of --key FILE, --password-stdin or --agent.")
        return 2
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            _error("--password-stdin: no password was given on standard input.")
            return 2
    method = "KEY" if args.key else ("PASSWORD" if args.password_stdin else "AGENT")
    servers = engine.servers
    try:
        info = await servers.add(
            args.name,
            host=args.host,
            port=args.port if args.port is not None else 22,
            username=args.user,
            auth_method=method,
            key_path=args.key,
            password=password,
            verify=True,
            accept_host_key=bool(args.accept_host_key),
        )
    except ValidationError as error:
        _error(_input_error(error))
        return 2
    except SshError as error:
        _error(f"{error} The server was not added.")
        return 1
    except CroniumError as error:
        _error(str(error))
        return 2
    fingerprint = servers.host_key_fingerprint(info)
    print(f"Added server {info.name!r} ({info.username}@{info.host}:{info.port}); host key {fingerprint}.")
    return 0


async def check_server(engine: Engine, args: argparse.Namespace) -> int:
    """Log in to a saved server and report. 0 online, 1 check failed, 2 no such server."""
    servers = engine.servers
    try:
        result = await servers.check(args.name, accept_host_key=bool(getattr(args, "accept_host_key", False)))
    except NotFound as error:
        _error(str(error))
        return 2
    except CroniumError as error:  # e.g. secrets locked
        _error(str(error))
        return 1
    if not result.ok:
        _error(str(result.error))
        return 1
    note = " (host key accepted)" if result.accepted_host_key else ""
    print(f"Server {result.server!r} is online; host key {result.fingerprint}{note}.")
    return 0


async def list_servers(engine: Engine, args: argparse.Namespace) -> int:
    import json

    from cronium_desktop.cli.common import iso, print_table

    servers = await engine.servers.list()
    if args.json:
        print(json.dumps([
            {"name": s.name, "host": s.host, "port": s.port, "username": s.username, "auth_method": s.auth_method,
             "status": s.status, "last_checked_at": iso(s.last_checked_at)}
            for s in servers
        ], indent=2))
    else:
        print_table([[s.name, f"{s.username}@{s.host}:{s.port}", s.auth_method, s.status] for s in servers],
                    ["NAME", "ADDRESS", "AUTH", "STATUS"])
    return 0
