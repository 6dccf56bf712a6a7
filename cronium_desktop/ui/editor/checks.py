"""Problems in a script as it is typed: pyflakes for Python, `bash -n`, `node --check`.

Pure computation (no Qt): the editor calls `check()` from a worker thread. Each checker reads the
script from stdin, so nothing is written to disk; a checker that is missing reports nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Any

CHECK_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Problem:
    line: int  # 0-based
    column: int  # 0-based, in characters; 0 when the checker only names the line
    message: str
    severity: str = "error"  # error or warning


def check(language: str, text: str, node: str | None = None, bash: str | None = None) -> list[Problem]:
    if language == "PYTHON":
        return _python(text)
    if language == "BASH":
        return _bash(text, bash or shutil.which("bash"))
    if language == "NODEJS":
        return _node(text, node or shutil.which("node"))
    return []


# `cronium` is there without an import (SPEC §3): not an undefined name.
PYTHON_BUILTINS = ("cronium",)


class _Collector:
    """pyflakes' reporter interface, keeping what it says."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def unexpectedError(self, filename: str, message: str) -> None:  # noqa: N802 - pyflakes' names
        self.problems.append(Problem(0, 0, str(message)))

    def syntaxError(self, filename: str, message: str, line: int, column: int, source: str | None) -> None:  # noqa: N802
        self.problems.append(Problem(max(0, (line or 1) - 1), max(0, (column or 1) - 1), f"SyntaxError: {message}"))

    def flake(self, message: Any) -> None:
        text = message.message % message.message_args
        severity = "error" if "undefined name" in text else "warning"
        self.problems.append(Problem(max(0, message.lineno - 1), max(0, getattr(message, "col", 0)), text, severity))


def pyflakes_problems(text: str) -> list[Problem]:
    """pyflakes in this process; PYFLAKES_BUILTINS must name `cronium` (see `_python`)."""
    from pyflakes import api

    collector = _Collector()
    api.check(text, "script.py", collector)  # type: ignore[arg-type]
    return sorted(collector.problems, key=lambda p: (p.line, p.column))


def _pyflakes_main() -> None:
    """`python -c` entry: the script on stdin, its problems as JSON on stdout."""
    print(json.dumps([asdict(problem) for problem in pyflakes_problems(sys.stdin.read())]))


def _python(text: str) -> list[Problem]:
    """pyflakes in a process of its own: in a thread it would hold the GIL for hundreds of
    milliseconds on a long script, and every keystroke would wait for it. A frozen build has no
    interpreter to start, so there it runs here."""
    env = {**os.environ, "PYFLAKES_BUILTINS": ",".join(PYTHON_BUILTINS), "PYTHONIOENCODING": "utf-8"}
    if getattr(sys, "frozen", False):
        os.environ["PYFLAKES_BUILTINS"] = env["PYFLAKES_BUILTINS"]
        return pyflakes_problems(text)
    command = [sys.executable, "-c", "from cronium_desktop.ui.editor.checks import _pyflakes_main; _pyflakes_main()"]
    try:
        done = subprocess.run(command, input=text.encode(), capture_output=True, timeout=CHECK_TIMEOUT_SECONDS, env=env)
        found = json.loads(done.stdout or b"[]")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return []
    return [Problem(**item) for item in found]


BASH_ERROR = re.compile(r"^/dev/stdin: line (\d+): (.*)$")


def _bash(text: str, bash: str | None) -> list[Problem]:
    if bash is None:
        return []
    output = _run([bash, "-n", "/dev/stdin"], text)
    problems: list[Problem] = []
    for raw in output.splitlines():
        found = BASH_ERROR.match(raw)
        if found and not found.group(2).startswith("`"):  # the second line repeats the offending code
            problems.append(Problem(int(found.group(1)) - 1, 0, found.group(2)))
    return problems


NODE_LOCATION = re.compile(r"^\[stdin\]:(\d+)$")
NODE_ERROR = re.compile(r"^(\w*Error): (.*)$")


def _node(text: str, node: str | None) -> list[Problem]:
    if node is None:
        return []
    lines = _run([node, "--check", "-"], text).splitlines()
    line = column = None
    for index, raw in enumerate(lines):
        located = NODE_LOCATION.match(raw)
        if located and line is None:
            line = int(located.group(1)) - 1
            caret = lines[index + 2] if index + 2 < len(lines) else ""
            column = len(caret) - len(caret.lstrip(" ")) if "^" in caret else 0
        error = NODE_ERROR.match(raw)
        if error and line is not None:
            return [Problem(line, column or 0, f"{error.group(1)}: {error.group(2)}")]
    return []


def _run(command: list[str], text: str) -> str:
    try:
        done = subprocess.run(command, input=text.encode(), capture_output=True, timeout=CHECK_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stderr.decode(errors="replace")
