"""`secrets status` and `secrets rotate` (SPEC §7, §9).

Rotation re-encrypts every secret under a new master key in one transaction (engine/secrets.py):
stopped at any point, every secret still opens with the key it had. In passphrase mode the
passphrase comes from `CRONIUM_PASSPHRASE`; `--new-passphrase-stdin` also changes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from cronium_desktop.cli.common import UsageError

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine

PROGRESS_FROM = 500  # secrets; fewer are re-encrypted in a blink


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("secrets", parents=[common], help="where the master key lives; re-encrypt under a new key")
    secrets = p.add_subparsers(dest="secrets_command", metavar="ACTION", required=True, parser_class=type(p))
    q = secrets.add_parser("status", parents=[common], help="the master key's place and version, and the secrets it seals")
    q.add_argument("--json", action="store_true", help="print a JSON object")
    q = secrets.add_parser("rotate", parents=[common], help="re-encrypt every secret under a new master key")
    q.add_argument("--new-passphrase-stdin", action="store_true",
                   help="passphrase mode: read a new passphrase from standard input and protect the new key with it")
    q.add_argument("--json", action="store_true", help='print {"key_version", "secrets"}')


async def cmd_secrets(engine: Engine, args: argparse.Namespace) -> int:
    if args.secrets_command == "status":
        return await _status(engine, args)
    return await _rotate(engine, args)


async def _status(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.engine.secrets import SecretsError

    record = await asyncio.to_thread(engine.secrets.key_record)
    total = sum(record["secrets_by_key_version"].values())
    problem = None
    if record["mode"] is not None:
        try:
            await asyncio.to_thread(engine.secrets.unlock)
        except SecretsError as error:
            problem = str(error)
    readable = record["mode"] is not None and problem is None
    if args.json:
        print(json.dumps({"mode": record["mode"], "key_version": record["key_version"], "secrets": total,
                          "secrets_by_key_version": {str(v): n for v, n in sorted(record["secrets_by_key_version"].items())},
                          "keychain_entry": record["keychain_entry"], "unlocked": readable, "problem": problem},
                         indent=2))
    elif record["mode"] is None:
        print("No master key yet: the first secret stored makes one "
              f"({total} secret(s) stored).")
    else:
        where = (f"in the OS keychain (entry {record['keychain_entry']!r})" if record["mode"] == "keychain"
                 else "derived from a passphrase")
        print(f"Master key: {where}, version {record['key_version']}.")
        print(f"Secrets: {total}" + "".join(f"; {n} under key version {v}"
                                            for v, n in sorted(record["secrets_by_key_version"].items())) + ".")
        print("Unlocked: yes." if readable else f"Unlocked: no. {problem}")
    return 0 if readable or record["mode"] is None else 1


async def _rotate(engine: Engine, args: argparse.Namespace) -> int:
    new_passphrase = None
    if args.new_passphrase_stdin:
        new_passphrase = sys.stdin.readline().rstrip("\r\n")
        if not new_passphrase:
            raise UsageError("--new-passphrase-stdin read an empty line; give the new passphrase on standard input.")
    total = await asyncio.to_thread(engine.secrets.count)

    def progress(done: int, all_of: int) -> None:
        # Many secrets take a while: say how far it is, every tenth, on stderr.
        if not args.json and all_of >= PROGRESS_FROM and done % (all_of // 10) == 0:
            print(f"Re-encrypted {done} of {all_of}…", file=sys.stderr, flush=True)

    version = await asyncio.to_thread(engine.secrets.rotate, new_passphrase, progress)
    if args.json:
        print(json.dumps({"key_version": version, "secrets": total}))
    else:
        print(f"Re-encrypted {total} secret(s) under a new master key (version {version}).")
    return 0
