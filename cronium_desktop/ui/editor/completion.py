"""What to offer at the cursor: pure computation, no Qt, safe to run in a worker thread.

Order of questions: inside `{{ … }}` the template context; inside `getVariable("…")` the stored
variable keys; at an env reference (`$`, `os.environ["`, `process.env.`) the event's env names;
after `cronium.` / `cronium_` the helpers; otherwise jedi for Python and keywords, globals and the
script's own words for Node.js and Bash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cronium_desktop.ui.editor.helpers import GLOBALS, HELPERS, KEYWORDS, TEMPLATE_CONTEXT, signature_of

RUNTIME = Path(__file__).resolve().parents[2] / "resources" / "runtime"  # where `import cronium` resolves
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Context:
    """What the event's editor knows beyond the text."""

    env_names: list[str] = field(default_factory=list)
    variable_keys: list[str] = field(default_factory=list)
    python: str | None = None  # the interpreter the event will run with (Settings), None = this one


@dataclass
class Request:
    language: str  # PYTHON, NODEJS, BASH
    text: str
    line: int  # 0-based
    column: int  # 0-based, in characters
    context: Context = field(default_factory=Context)
    generation: int = 0


@dataclass
class Result:
    items: list[str]
    prefix: str  # the characters already typed of the word being completed
    signature: str | None = None
    generation: int = 0


def _match(candidates: list[str] | tuple[str, ...], prefix: str) -> list[str]:
    lower = prefix.lower()
    return sorted({c for c in candidates if c.lower().startswith(lower) and c != prefix}, key=str.lower)


def complete(request: Request) -> Result:
    lines = request.text.split("\n")
    before = lines[request.line][: request.column] if request.line < len(lines) else ""
    result = _special(request, before) or _general(request, before)
    result.generation = request.generation
    if result.signature is None:
        result.signature = signature(request, before)
    return result


def _special(request: Request, before: str) -> Result | None:
    ctx, language = request.context, request.language
    template = re.search(r"\{\{[^}]*?([A-Za-z_][\w.]*)?$", before)
    if template:
        path = (template.group(1) or "").split(".")
        head, prefix = path[:-1], path[-1]
        if head == ["variables"]:
            return Result(_match(ctx.variable_keys, prefix), prefix)
        if len(head) <= 1:
            return Result(_match(TEMPLATE_CONTEXT.get(head[0] if head else "", []), prefix), prefix)
        return Result([], prefix)
    variable = re.search(r"""(?:getVariable|get_variable|setVariable|set_variable)\(\s*["']([\w.-]*)$""", before)
    variable = variable or re.search(r"cronium_(?:get|set)Variable\s+[\"']?([\w.-]*)$", before)
    if variable:
        return Result(_match(ctx.variable_keys, variable.group(1)), variable.group(1))
    env = (
        re.search(r"""os\.environ(?:\.get\(\s*|\[\s*)["'](\w*)$""", before)
        or re.search(r"""os\.getenv\(\s*["'](\w*)$""", before)
        or re.search(r"process\.env\.(\w*)$", before)
        or re.search(r"""process\.env\[\s*["'](\w*)$""", before)
        or (re.search(r"\$\{?(\w*)$", before) if language == "BASH" else None)
    )
    if env:
        extra = GLOBALS["BASH"][-6:] if language == "BASH" else []
        return Result(_match(ctx.env_names + extra, env.group(1)), env.group(1))
    helper = re.search(r"\bcronium\.(\w*)$", before) if language in ("PYTHON", "NODEJS") else None
    if helper:
        return Result(_match(list(HELPERS[language]), helper.group(1)), helper.group(1))
    if language == "BASH":
        bash = re.search(r"\b(cronium_\w*)$", before)
        if bash:
            return Result(_match(list(HELPERS["BASH"]), bash.group(1)), bash.group(1))
    return None


def _general(request: Request, before: str) -> Result:
    prefix_match = re.search(r"[A-Za-z_]\w*$", before)
    prefix = prefix_match.group(0) if prefix_match else ""
    if request.language == "PYTHON":
        return Result(_jedi_names(request), prefix)
    if not prefix:
        return Result([], prefix)
    words = set(WORD.findall(request.text)) - {prefix}
    candidates = KEYWORDS[request.language].split() + GLOBALS[request.language] + [
        word for word in words if len(word) > 2
    ]
    if request.language == "BASH":
        candidates += list(HELPERS["BASH"])
    return Result(_match(candidates, prefix), prefix)


@lru_cache(maxsize=4)
def _environment(python: str | None) -> object | None:
    """jedi's view of the interpreter the event runs with (cached: creating one starts a process)."""
    import jedi

    if not python:
        return jedi.InterpreterEnvironment()
    try:
        return jedi.create_environment(python, safe=False)
    except Exception:  # an interpreter that is gone or not Python: complete against this one instead
        return jedi.InterpreterEnvironment()


@lru_cache(maxsize=1)
def _project() -> object:
    import jedi

    return jedi.Project(RUNTIME, added_sys_path=[str(RUNTIME)])


def _script(request: Request) -> object:
    import jedi

    return jedi.Script(request.text, project=_project(), environment=_environment(request.context.python))


def _jedi_names(request: Request) -> list[str]:
    try:
        completions = _script(request).complete(request.line + 1, request.column)  # type: ignore[attr-defined]
    except Exception:  # jedi gives up on some half-typed code: offer nothing rather than fail
        return []
    return [c.name for c in completions if not c.name.startswith("__")][:200]


def signature(request: Request, before: str) -> str | None:
    """A call tip for the call the cursor is in: a helper's documented one, or (Python) jedi's."""
    call = re.search(r"(?:\bcronium\.)?(\w+)\(([^()]*)$", before)
    if call and (tip := signature_of(request.language, call.group(1))):
        return tip
    if request.language == "BASH":
        command = re.search(r"\b(cronium_\w+)\s", before)
        return signature_of("BASH", command.group(1)) if command else None
    if request.language != "PYTHON" or not call:
        return None
    try:
        found = _script(request).get_signatures(request.line + 1, request.column)  # type: ignore[attr-defined]
    except Exception:
        return None
    if not found:
        return None
    doc = (found[0].docstring(raw=True) or "").strip().split("\n")[0]
    return found[0].to_string() + (f"\n{doc}" if doc else "")
