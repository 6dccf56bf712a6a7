"""Cronium runtime helper for Python scripts: `cronium` (no import needed; `import cronium` works too).

Talks to the run folder prepared by Cronium Desktop (CRONIUM_RUN_DIR): input.json and event.json
are read, output.json, vars.out/<KEY> and condition are written. Variables, tool actions and
messages are asked of the app through the run's socket (.cronium.sock, with CRONIUM_RUN_TOKEN) or,
on servers over SSH, a forwarded port (CRONIUM_APP_PORT); where a run has neither, variables are
read from vars/<KEY>.

Bash scripts use this file as their client: `python3 cronium.py request OP ARGS_JSON`.
"""

import json
import os
import re
import sys

MAX_OUTPUT_BYTES = 10 * 1024 * 1024
# How long one request to the app may take (a tool action's own limit is the app's).
REQUEST_TIMEOUT_SECONDS = 120
# The names Cronium Desktop saves; checked here so a bad name fails where it is set.
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,199}$")

_DIR = os.environ.get("CRONIUM_RUN_DIR") or os.path.dirname(os.path.abspath(__file__))
_SOCKET = os.path.join(_DIR, ".cronium.sock")


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


def _has_app():
    """A socket in the run folder (this computer, containers) or a forwarded port (servers over SSH)."""
    if not os.environ.get("CRONIUM_RUN_TOKEN"):
        return False
    return bool(os.environ.get("CRONIUM_APP_PORT")) or os.path.exists(_SOCKET)


class CroniumError(RuntimeError):
    """The app refused or could not do what the script asked (the message says why)."""


def _request(op, args):
    """One request to the app over the run's socket: a JSON line out, a JSON reply back."""
    if not _has_app():
        raise CroniumError(
            f"cronium.{op}: this run cannot reach Cronium Desktop (the server does not allow SSH port "
            "forwarding, AllowTcpForwarding); run the event on this computer or allow forwarding."
        )
    import socket

    payload = json.dumps({"token": os.environ["CRONIUM_RUN_TOKEN"], "op": op, "args": args}) + "\n"
    port = os.environ.get("CRONIUM_APP_PORT")
    family = socket.AF_INET if port else socket.AF_UNIX
    with socket.socket(family, socket.SOCK_STREAM) as connection:
        connection.settimeout(REQUEST_TIMEOUT_SECONDS)
        connection.connect(("127.0.0.1", int(port)) if port else _SOCKET)
        connection.sendall(payload.encode("utf-8"))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    try:
        reply = json.loads(b"".join(chunks).decode("utf-8"))
    except ValueError:
        raise CroniumError(f"cronium.{op}: the app closed the connection without an answer") from None
    if not reply.get("ok"):
        raise CroniumError(f"cronium.{op}: {reply.get('error')}")
    return reply.get("result")


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
    try:
        with open(_path("vars.out", key), encoding="utf-8") as handle:
            return handle.read()  # set earlier in this run
    except FileNotFoundError:
        pass
    if _has_app():
        return _request("getVariable", {"key": key})
    try:
        with open(_path("vars", key), encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
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


def executeToolAction(tool, action, params=None):
    """Run an action of a configured tool (its credentials stay in the app); returns its result."""
    return _request("executeToolAction", {"tool": tool, "action": action, "params": params or {}})


def _message(kind, options, extra):
    if isinstance(options, str):
        options = {"message": options}
    options = {**(options or {}), **extra}
    return _request("send", {"kind": kind, "options": options})


def sendEmail(options=None, **fields):
    """Send an email through the email tool: {to, subject, message} (and `tool` if there are several)."""
    return _message("email", options, fields)


def sendSlack(options=None, **fields):
    """Post to Slack through the Slack tool: {message} (and `tool` if there are several)."""
    return _message("slack", options, fields)


def sendDiscord(options=None, **fields):
    """Post to Discord through the Discord tool: {message} (and `tool` if there are several)."""
    return _message("discord", options, fields)


get_variable = getVariable
set_variable = setVariable
set_condition = setCondition
execute_tool_action = executeToolAction
send_email = sendEmail
send_slack = sendSlack
send_discord = sendDiscord


def _main(argv):
    """`cronium.py request OP ARGS_JSON`: Bash's way to the app; prints the result as JSON."""
    if len(argv) != 3 or argv[0] != "request":
        print("usage: cronium.py request OP ARGS_JSON", file=sys.stderr)
        return 2
    try:
        result = _request(argv[1], json.loads(argv[2]))
    except (CroniumError, OSError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    if result is not None:
        print(result if isinstance(result, str) else json.dumps(result, ensure_ascii=False))
    return 0 if result is not None or argv[1] != "getVariable" else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
