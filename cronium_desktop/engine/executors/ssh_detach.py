"""An SSH run outlives the app: the remote script runs detached, writing spool files on the server.

The bootstrap starts the run folder's wrapper under `setsid` (`nohup` where there is none) with
stdout and stderr going to `.stdout` and `.stderr` in the run's folder on the server, and follows
them with `tail -f` onto the channel (through descriptors the bootstrap opened before the script
started: a script that removes its folder is still followed); the wrapper writes the script's exit
status to `.status` ("CODE\\n", then possibly more `key=value` lines; written to a temporary name
and renamed, so it is whole or absent). A closed connection (the app killed, the network gone)
stops only the followers.

How far the live follow got is counted in newlines per stream; the results command sends whatever
came after them (`tail -n +N`), so output is exact however the followers ended. After a restart
the app reconnects and follows again from the lines already stored (`attach_command`).

What the app needs to find the run again is a small record per server in its run folders root
(`ssh-EXECUTION-ATTEMPT-SERVER.json`: folder, process group, wrapper PID, token), removed once its
results were read. It is written first with the token alone (before the run is sent: the folder on
the server is named after the token, `pending_folder`, and the wrapper writes its PID to `.pid` before
anything else), then completed once the bootstrap said where the run is; so an app that dies in
between still leaves what it takes to follow the run.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path

from cronium_desktop.engine.executors.spool import replace_with

OUT, ERR, STATUS, PID = ".stdout", ".stderr", ".status", ".pid"
TOKEN_ENV = "CRONIUM_RUN_IDENTITY"
GONE = "cronium-run-gone"  # the attach command found neither the process nor its status
POLL = "0.1"  # how often a re-attached follower looks whether the wrapper is still there


def status_lines(code: str) -> str:
    """Shell lines that record exit status `code` (a shell word) atomically in the folder "$1"
    (`command -p`: the event's env may have set a PATH without mv)."""
    return f'printf \'%s\\n\' {code} > "$1/{STATUS}.tmp" && command -p mv -f "$1/{STATUS}.tmp" "$1/{STATUS}"'


def launch(wrapper: str, token: str, marker: str) -> str:
    """Shell text run in the run folder ("$d"): start the wrapper detached, say where it is, follow it.

    Prints "PGID PID FOLDER" after the caller's marker; the channel then carries the spool files."""
    def start(how: str) -> str:
        return (f'{TOKEN_ENV}={shlex.quote(token)} {how} /bin/sh ./{wrapper} "$d" >>{OUT} 2>>{ERR} </dev/null 3<&- 4<&- & '
                "p=$!;")

    return (
        # The spool files exist, and are open for the followers, before the script starts: a forked
        # `tail -f` opens a file only once it runs, by when a script may have removed its folder.
        f": >{OUT}; : >{ERR}; exec 3<{OUT} 4<{ERR}; "
        f"if command -v setsid >/dev/null 2>&1; then {start('setsid')} g=$p; "
        f"else {start('nohup')} g=$$; fi; "  # no setsid (macOS): the bootstrap's own group
        f'echo "{marker} $g $p $d"; '
        + follow("wait $p")
    )


def follow(wait: str, skip_out: int = 0, skip_err: int = 0) -> str:
    """Tail both spool files (open on descriptors 3 and 4) onto the channel from the given line
    counts until `wait` returns."""
    return (f"tail -n +{skip_out + 1} -f <&3 & a=$!; tail -n +{skip_err + 1} -f <&4 >&2 & b=$!; "
            f"{wait}; kill $a $b 2>/dev/null; exit 0")


def pending_folder(token: str) -> str:
    """The run's folder on the server, as shell text: named after the token, in the server's temp folder."""
    return f'"${{TMPDIR:-/tmp}}/cronium-run.{token}"'


def attach_command(folder: str, pid: int, token: str, skip_out: int, skip_err: int, marker: str) -> str:
    """Follow a run started by an earlier app process, if it is still that run or left its status.

    The wrapper is taken for the run only if its environment holds the run's token (where /proc
    tells); a PID alone may have been reused. A record the app had no time to complete (no folder,
    PID 0) is found by its token: the folder named after it, the PID the wrapper wrote there.
    Prints GONE when there is nothing to follow."""
    token_line = shlex.quote(f"{TOKEN_ENV}={token}")
    alive = ("{ if [ -r /proc/$p/environ ]; then tr '\\0' '\\n' < /proc/$p/environ | grep -qx "
             f"{token_line}; else kill -0 $p 2>/dev/null; fi; }}")
    where = f"d={shlex.quote(folder)}" if folder else f"d={pending_folder(token)}"
    pid_line = f"p={pid}" if pid else f"p=$(cat {PID} 2>/dev/null); [ -n \"$p\" ] || p=0"
    # Each stream on its own (the script may have removed one of its files): a missing one gives nothing.
    opened = "".join(f"if [ -f {name} ]; then exec {fd}<{name}; else exec {fd}</dev/null; fi; "
                     for fd, name in ((3, OUT), (4, ERR)))
    return (
        f"{where}; cd \"$d\" 2>/dev/null || {{ echo {GONE}; exit 0; }}; {pid_line}; "
        f"if [ ! -f {STATUS} ] && ! {{ [ \"$p\" != 0 ] && {alive}; }}; then echo {GONE}; exit 0; fi; "
        f'echo "{marker} $p $p $d"; '
        + opened
        + follow(f"while [ ! -f {STATUS} ] && kill -0 $p 2>/dev/null; do sleep {POLL}; done", skip_out, skip_err)
    )


def remainder(skip_out: int, skip_err: int) -> str:
    """Shell text (in the folder) that sets $no/$ne/$st: the output bytes after the followed lines,
    kept in .rest-out/.rest-err, and the exit status ("-" if none was written)."""
    return (f"tail -n +{skip_out + 1} {OUT} > .rest-out 2>/dev/null; tail -n +{skip_err + 1} {ERR} > .rest-err 2>/dev/null; "
            "no=$(wc -c < .rest-out); ne=$(wc -c < .rest-err); st=-; "
            f"if [ -f {STATUS} ]; then read -r st < {STATUS} || st=-; fi; ")


def parse_header(head: bytes) -> tuple[int, int, int | None, int | None]:
    """(bytes of stdout rest, bytes of stderr rest, exit status, size of a refused output.json)."""
    parts = head.split()
    numbers = [int(part) if part.lstrip(b"-").isdigit() else None for part in parts]
    out = numbers[0] if numbers and numbers[0] is not None else 0
    err = numbers[1] if len(numbers) > 1 and numbers[1] is not None else 0
    status = numbers[2] if len(numbers) > 2 else None
    big = numbers[3] if len(numbers) > 3 else None
    return out, err, status, big


@dataclass
class RemoteRecord:
    """What finds a detached SSH run again after a restart."""

    execution_id: int
    attempt: int
    server_id: int
    server_name: str
    folder: str
    pgid: int
    pid: int
    token: str


def record_path(root: Path, execution_id: int, attempt: int, server_id: int) -> Path:
    return root / f"ssh-{execution_id}-{attempt}-{server_id}.json"


def write_record(root: Path, record: RemoteRecord) -> None:
    """Write (or replace) the run's record in `root`, a folder of this user's alone (see `private_folder`)."""
    replace_with(record_path(root, record.execution_id, record.attempt, record.server_id),
                 json.dumps(asdict(record)).encode())


def records_of(root: Path, execution_id: int) -> list[RemoteRecord]:
    """The records of the execution's newest attempt that left any."""
    found: list[RemoteRecord] = []
    for path in sorted(root.glob(f"ssh-{execution_id}-*.json")) if root.is_dir() else []:
        try:
            found.append(RemoteRecord(**json.loads(path.read_text())))
        except (OSError, ValueError, TypeError):
            continue
    newest = max((record.attempt for record in found), default=None)
    return [record for record in found if record.attempt == newest]


def remove_record(root: Path | None, record: RemoteRecord) -> None:
    if root is not None:
        with contextlib.suppress(OSError):
            record_path(root, record.execution_id, record.attempt, record.server_id).unlink()
