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


# `cronium` is there without an import (SPEC §3): not an undefined name.
PYTHON_BUILTINS = ("cronium",)
# pyflakes runs in a process of its own: in a thread it would hold the GIL for hundreds of
# milliseconds on a long script, and every keystroke would wait for it.
PYFLAKES = """
import json, sys
from pyflakes import api
class Collector:
    problems = []
    def unexpectedError(self, filename, message):
        self.problems.append([1, 1, str(message), "error"])
    def syntaxError(self, filename, message, line, column, source):
        self.problems.append([line or 1, column or 1, "SyntaxError: " + message, "error"])
    def flake(self, message):
        text = message.message % message.message_args
        self.problems.append([message.lineno, getattr(message, "col", 0) + 1, text,
                              "error" if "undefined name" in text else "warning"])
collector = Collector()
api.check(sys.stdin.read(), "script.py", collector)
print(json.dumps(collector.problems))
"""


def _python(text: str) -> list[Problem]:
    import json
    import os
    import sys

    env = {**os.environ, "PYFLAKES_BUILTINS": ",".join(PYTHON_BUILTINS), "PYTHONIOENCODING": "utf-8"}
    try:
        done = subprocess.run([sys.executable, "-c", PYFLAKES], input=text.encode(), capture_output=True,
                              timeout=CHECK_TIMEOUT_SECONDS, env=env)
        found = json.loads(done.stdout or b"[]")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return []
    problems = [Problem(max(0, line - 1), max(0, column - 1), message, severity)
                for line, column, message, severity in found]
    return sorted(problems, key=lambda p: (p.line, p.column))


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
