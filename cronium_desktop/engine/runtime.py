"""The run-folder protocol between Cronium and a script's helper module (SPEC §3).

A run folder holds the script, the helper for its language and the run's data (a local run finds
the helpers in one folder of the user's shared by every local run instead, on its PATH, PYTHONPATH
and NODE_PATH and in `CRONIUM_HELPERS_DIR`: `executors/local.helpers_folder`):

    script.sh | script.py | script.js      the event's content
    cronium.sh, cronium.py                  helpers (Bash: `source cronium.sh`; Python: `import cronium`)
    sitecustomize.py                        puts `cronium` in Python's builtins (no import needed)
    node_modules/cronium/index.js           Node.js helper (`require("cronium")`, via NODE_PATH)
    node_modules/cronium/global.js          preloaded (NODE_OPTIONS): `cronium` without require()
    input.json  event.json                  what the script reads
    vars/<KEY>                              every variable's value, one file each, only where the
                                            run cannot ask the app (SSH; see runtime_requests)
    .cronium.sock                           the run's line to the app (runtime_requests)
  written by the script:
    output.json  vars.out/<KEY>  condition

A script that writes no output.json but whose last non-empty stdout line is a JSON object or
array gets that as its output (`StdoutTail`), as in the original Cronium.

The same layout works in a local temporary folder, in a container and in a remote `mktemp -d`
folder over SSH: executors only place `build_files()` and read back with `collect()`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cronium_desktop.engine.executors.base import ExecResult, Job, Sink

MAX_OUTPUT_BYTES = 10 * 1024 * 1024
VARIABLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,199}$")

SCRIPT_NAMES = {"BASH": "script.sh", "PYTHON": "script.py", "NODEJS": "script.js"}
DEFAULT_INTERPRETERS = {"BASH": "bash", "PYTHON": "python3", "NODEJS": "node"}
INTERPRETER_HINTS = {
    "BASH": "install bash",
    "PYTHON": "install Python 3 (python3)",
    "NODEJS": "install Node.js (node)",
}


HELPERS_DIR = Path(__file__).resolve().parent.parent / "resources" / "runtime"
HELPER_PATHS = (
    "cronium.sh", "cronium.py", "sitecustomize.py", "node_modules/cronium/index.js", "node_modules/cronium/global.js"
)
# Preloads the Node.js helper as `cronium`; found through NODE_PATH, so the value names no folder.
NODE_PRELOAD = "--require cronium/global"


HELPERS_ENV = "CRONIUM_HELPERS_DIR"  # where the helpers are when they are not in the run folder


@functools.cache
def helper_files() -> dict[str, bytes]:
    """The helper modules, by their path inside a run folder."""
    return {name: (HELPERS_DIR / name).read_bytes() for name in HELPER_PATHS}


@functools.cache
def helpers_digest() -> str:
    """Names this version's helpers: a shared helpers folder of another version is another folder."""
    digest = hashlib.sha256()
    for name, content in helper_files().items():
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:16]


def build_files(job: Job, server: str | None = None, helpers: bool = True) -> dict[str, bytes]:
    """Every file of a run folder, by relative path (folders implied); without the helpers when the
    run finds them elsewhere (`helpers` False)."""
    files = dict(helper_files()) if helpers else {}
    content = job.content
    if job.event_type == "BASH":  # a script pasted from Windows: bash reads "\r" as part of each command
        content = content.replace("\r\n", "\n")
    files[SCRIPT_NAMES[job.event_type]] = content.encode("utf-8")
    files["input.json"] = json.dumps({} if job.input is None else job.input).encode("utf-8")
    files["event.json"] = json.dumps(
        {
            "id": job.event_id,
            "name": job.event_name,
            "type": job.event_type,
            "execution_id": job.execution_id,
            "attempt": job.attempt,
            "server": server,
        }
    ).encode("utf-8")
    for key, value in job.variables.items():
        if VARIABLE_KEY.match(key):
            files[f"vars/{key}"] = value.encode("utf-8")
    return files


def folder_env(folder: str, separator: str = "/") -> dict[str, str]:
    """Environment that lets each language find its helper in `folder`."""
    return {
        "CRONIUM_RUN_DIR": folder,
        "PYTHONPATH": folder,
        "NODE_PATH": f"{folder}{separator}node_modules",
        "NODE_OPTIONS": NODE_PRELOAD,
    }


def command(event_type: str, interpreter: str, folder: str, separator: str = "/") -> list[str]:
    return [interpreter, f"{folder}{separator}{SCRIPT_NAMES[event_type]}"]


@dataclass
class Collected:
    output: Any = None
    condition: bool = False
    variables: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # problems to log and fail the run with


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def collect(
    read: Callable[[str], bytes | None],
    list_dir: Callable[[str], list[str]],
    size_of: Callable[[str], int | None],
) -> Collected:
    """Read back what the script wrote, through the executor's own file access."""
    result = Collected()
    size = size_of("output.json")
    if size is not None and size > MAX_OUTPUT_BYTES:
        result.errors.append(
            f"Output refused: {size / 1048576:.1f} MB is over the 10 MB limit for cronium output."
        )
    elif size is not None:
        raw = read("output.json") or b""
        try:
            result.output = json.loads(raw.decode("utf-8"), parse_constant=_no_constant) if raw.strip() else None
        except (ValueError, UnicodeDecodeError) as error:
            result.errors.append(f"Output refused: output.json is not valid JSON ({error}).")
    condition = read("condition")
    result.condition = condition is not None and condition.strip() == b"true"
    for key in list_dir("vars.out"):
        if not VARIABLE_KEY.match(key):
            result.errors.append(
                f"Variable {key!r} not saved: names start with a letter or '_', then letters, digits, '_', '.', '-'."
            )
            continue
        value = read(f"vars.out/{key}")
        if value is not None:
            result.variables[key] = value.decode("utf-8", errors="replace")
    return result


class StdoutTail:
    """A sink in front of the run's sink that remembers each location's last non-empty stdout line."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self.last: dict[str | None, str] = {}

    def line(self, stream: str, text: str, server: str | None = None) -> None:
        if stream == "stdout" and text.strip():
            self.last[server] = text
        self._sink.line(stream, text, server)

    def segment(self, segment: Any, offsets: Any = None) -> None:
        """Many lines read at once (the local executor's spool reader): only the last one counts."""
        if segment.stream == "stdout":
            data: bytes = segment.data
            end = len(data)
            while end > 0:  # from the end, without splitting a million-line segment
                start = data.rfind(b"\n", 0, end) + 1 if segment.count > 1 else 0
                if data[start:end].strip():
                    self.last[segment.server] = data[start:end].decode("utf-8", errors="replace")
                    break
                end = start - 1
        self._sink.segment(segment, offsets)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:  # the rest of the run's sink (its masker, its tail)
        return getattr(self._sink, name)


def json_line(text: str | None) -> Any:
    """The JSON object or array a line holds, or None."""
    text = (text or "").strip()
    if not text or text[0] not in "[{":
        return None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except ValueError:
        return None
    return data if isinstance(data, dict | list) else None


STDOUT_OUTPUT_NOTE = "No cronium output call: the last stdout line is JSON, taken as the run's output."


def output_from_stdout(result: ExecResult, tail: StdoutTail, mask: Callable[[str], str], sink: Sink) -> None:
    """SPEC §3: where a script set no output, its last stdout line, if JSON, becomes the output."""
    if len(result.servers) > 1:  # a multi-server run: each server's own output, then the aggregate
        for outcome in result.servers:
            data = json_line(mask(tail.last.get(outcome.server_name, ""))) if outcome.output is None else None
            if data is not None:
                outcome.output = data
                sink.line("system", STDOUT_OUTPUT_NOTE, outcome.server_name)
                if isinstance(result.output, dict):
                    result.output[outcome.server_name] = data
        return
    if result.output is not None:
        return
    server = result.servers[0].server_name if result.servers else None
    data = json_line(mask(tail.last.get(server, "")))
    if data is None:
        return
    result.output = data
    if result.servers:
        result.servers[0].output = data
    sink.line("system", STDOUT_OUTPUT_NOTE, server)
