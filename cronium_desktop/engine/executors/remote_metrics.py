"""A remote run's cost, told cheaply by the server through the run's own session.

The remote wrapper runs the script as its child instead of exec'ing it, then records `times` (the
CPU of everything it reaped), `/proc/$$/io` where the server has one (storage bytes) and the exit
status in `.cronium-metrics`, which travels back with the run's results. A script ended by a
signal is then ended again by the same signal in the wrapper, so the session still reports it as
killed by a signal. Peak memory is not told this way, and is left unknown rather than guessed.
"""

from __future__ import annotations

import io
import tarfile

from cronium_desktop.engine.metrics import RunMetrics, from_wrapper_record

RECORD = ".cronium-metrics"
RECORDING = f"""c=$?
{{ times; if [ -r /proc/$$/io ]; then while IFS= read -r l; do echo "$l"; done < /proc/$$/io; fi
  echo "exit $c"; }} > "$1/{RECORD}" 2>/dev/null
if [ "$c" -gt 128 ]; then trap - HUP INT QUIT TERM; kill -$((c - 128)) $$ 2>/dev/null; fi
exit "$c"
"""
# Added to the results command's list of files to send back (see ssh.results_command).
SEND_RECORD = f'if [ -f {RECORD} ] && [ ! -h {RECORD} ]; then set -- "$@" {RECORD}; fi; '


def with_times(wrapper: str) -> str:
    """The wrapper with its final `exec INTERPRETER SCRIPT` run as a child, then recorded."""
    head, _, last = wrapper.rstrip("\n").rpartition("\n")
    if not last.startswith("exec "):
        return wrapper
    return f"{head}\n{last[len('exec '):]}\n{RECORDING}"


def read_record(results: bytes, marker: bytes) -> RunMetrics | None:
    """The record out of the results command's output (a header line, then a tar), if it is there."""
    found = results.find(marker)
    if found < 0:
        return None
    archive = results[found:].partition(b"\n")[2]
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
