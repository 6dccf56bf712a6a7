"""Cronium runtime helper for Python scripts: `import cronium`.

Talks to the run folder prepared by Cronium Desktop (CRONIUM_RUN_DIR): input.json, event.json,
vars/<KEY> (one file per variable), and writes output.json, vars.out/<KEY> and condition.
"""

import json
import os

MAX_OUTPUT_BYTES = 10 * 1024 * 1024

_DIR = os.environ.get("CRONIUM_RUN_DIR") or os.path.dirname(os.path.abspath(__file__))


def _path(*parts):
    return os.path.join(_DIR, *parts)


def _read_json(name, default):
    try:
        with open(_path(name), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default


def _check_key(key):
    if not isinstance(key, str) or not key or "/" in key or key in (".", "..") or "\0" in key:
        raise ValueError(f"cronium: invalid variable name {key!r}")


def input():  # noqa: A001 - the helper API is the same in every language
    """Data from the previous event or the caller; {} if none."""
    data = _read_json("input.json", None)
    return {} if data is None else data


def output(data):
    """Pass data on to the next event (must be JSON-serialisable, at most 10 MB)."""
    text = json.dumps(data)
    size = len(text.encode("utf-8"))
    if size > MAX_OUTPUT_BYTES:
        raise ValueError(
            f"cronium.output: output is {size / 1048576:.1f} MB, over the 10 MB limit; "
            "write large data to a file and pass its path instead"
        )
    tmp = _path("output.json.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, _path("output.json"))


def getVariable(key):
    """The variable's value (a string), or None if it is not set."""
    _check_key(key)
    for folder in ("vars.out", "vars"):
        try:
            with open(_path(folder, key), encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            continue
    return None


def setVariable(key, value):
    """Set a variable; saved when the run ends and visible to every later run."""
    _check_key(key)
    text = value if isinstance(value, str) else json.dumps(value)
    os.makedirs(_path("vars.out"), exist_ok=True)
    with open(_path("vars.out", key), "w", encoding="utf-8") as handle:
        handle.write(text)


def setCondition(flag):
    """Drive ON_CONDITION actions and edges."""
    with open(_path("condition"), "w", encoding="utf-8") as handle:
        handle.write("true" if flag else "false")


def event():
    """{id, name, type, execution_id, attempt, server} of the running event."""
    return _read_json("event.json", {})


get_variable = getVariable
set_variable = setVariable
set_condition = setCondition
