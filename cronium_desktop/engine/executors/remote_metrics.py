"""A remote run's cost, told cheaply by the server through the run's own session.

The remote wrapper (detached, see ssh_detach) runs the script as its child, then records `times`
(the CPU of everything it reaped), `/proc/$$/io` where the server has one (storage bytes) and the
exit status in `.cronium-metrics` before it writes its status file; the record travels back with
the run's results. Peak memory is not told this way, and is left unknown rather than guessed.
"""

from __future__ import annotations

import io
import tarfile

from cronium_desktop.engine.metrics import RunMetrics, from_wrapper_record

RECORD = ".cronium-metrics"


def record_lines(code: str) -> str:
    """Shell lines the remote wrapper runs after its script (never exec'd, so the wrapper is its
    parent): CPU of what it reaped, storage bytes, the exit status (`code`: a shell word)."""
    return (f'{{ times; if [ -r /proc/$$/io ]; then while IFS= read -r l; do echo "$l"; done < /proc/$$/io; fi\n'
            f'  echo "exit {code}"; }} > "$1/{RECORD}" 2>/dev/null')


# Added to the results command's list of files to send back (see ssh.results_command).
SEND_RECORD = f'if [ -f {RECORD} ] && [ ! -h {RECORD} ]; then set -- "$@" {RECORD}; fi; '


def read_record(archive: bytes) -> RunMetrics | None:
    """The record out of the results command's tar of the run's files, if it is there."""
    if not archive:
        return None
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as members:
            for member in members:
                if member.name == RECORD and member.isreg() and member.size < 65536:
                    handle = members.extractfile(member)
                    if handle is not None:
                        return from_wrapper_record(handle.read().decode("utf-8", errors="replace"))
    except tarfile.TarError:
        return None
    return None
