"""Problems in a script as it is typed: pyflakes for Python, `bash -n`, `node --check`.

Pure computation (no Qt): the editor calls `check()` from a worker thread. Each checker reads the
script from stdin, so nothing is written to disk; a checker that is missing reports nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

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


class _Collector:
    """pyflakes' reporter interface, keeping what it says."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def unexpectedError(self, filename: str, message: str) -> None:  # noqa: N802 - pyflakes' names
        self.problems.append(Problem(0, 0, message))

    def syntaxError(self, filename: str, message: str, line: int, column: int, source: str | None) -> None:  # noqa: N802
        self.problems.append(Problem(max(0, (line or 1) - 1), max(0, (column or 1) - 1), f"SyntaxError: {message}"))

    def flake(self, message: object) -> None:
        text = message.message % message.message_args  # type: ignore[attr-defined]
        severity = "error" if "undefined name" in text else "warning"
        line, column = message.lineno, getattr(message, "col", 0)  # type: ignore[attr-defined]
        self.problems.append(Problem(max(0, line - 1), max(0, column), text, severity))


# `cronium` is there without an import (SPEC §3): not an undefined name.
PYTHON_BUILTINS = ("cronium",)


def _python(text: str) -> list[Problem]:
    import os

    from pyflakes import api

    previous = os.environ.get("PYFLAKES_BUILTINS")
    collector = _Collector()
    try:
        os.environ["PYFLAKES_BUILTINS"] = ",".join(PYTHON_BUILTINS)
        api.check(text, "script.py", collector)  # type: ignore[arg-type]
    finally:
        if previous is None:
            os.environ.pop("PYFLAKES_BUILTINS", None)
        else:
            os.environ["PYFLAKES_BUILTINS"] = previous
    return sorted(collector.problems, key=lambda p: (p.line, p.column))


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
