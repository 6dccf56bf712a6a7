"""Cronium runtime helper for Python scripts: `import cronium`.

Talks to the run folder prepared by Cronium Desktop (CRONIUM_RUN_DIR): input.json, event.json,
vars/<KEY> (one file per variable), and writes output.json, vars.out/<KEY> and condition.
"""

import json
import os
import re

MAX_OUTPUT_BYTES = 10 * 1024 * 1024
# The names Cronium Desktop saves; checked here so a bad name fails where it is set.
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,199}$")

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
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(
            f"cronium: invalid variable name {key!r}: start with a letter or '_', "
            "then letters, digits, '_', '.', '-' (at most 200)"
        )


def _json(data, what):
    try:
        # Compact and unescaped, as Node.js writes it: the 10 MB limit counts the data, not escapes.
        return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what}: the value must be JSON-serialisable ({error})") from None


def input():  # noqa: A001 - the helper API is the same in every language
    """Data from the previous event or the caller; {} if none."""
    data = _read_json("input.json", None)
    return {} if data is None else data


def output(data):
    """Pass data on to the next event (must be JSON-serialisable, at most 10 MB)."""
    text = _json(data, "cronium.output")
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
    text = value if isinstance(value, str) else _json(value, f"cronium.setVariable({key!r})")
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
