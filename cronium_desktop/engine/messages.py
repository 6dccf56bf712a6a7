"""Message templates for SEND_MESSAGE conditional actions (SPEC §4).

Templates are Jinja2 rendered in an immutable sandbox: they can read the run (`event`,
`execution`, `output`, `variables`) but cannot reach Python internals, call unsafe methods or
change the scope the next action sees. Undefined names are errors (`StrictUndefined`), because a
typo like `{{ execution.stauts }}` silently sending an empty field is worse than a clear message
in the run's log; `{{ x | default("n/a") }}` and `{% if x is defined %}` still work for optional
values. Autoescaping is off: messages are plain text or the service's own Markdown, not HTML.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from cronium_desktop.engine.errors import CroniumError

if TYPE_CHECKING:
    from cronium_desktop.engine.tools.service import ToolService

# A message is read by people; anything larger is a runaway template (or `'x' * 10**9`).
MAX_RENDERED_CHARS = 100_000


class TemplateError(CroniumError):
    """A message template does not parse or does not render; names the template and the problem."""

    def __init__(self, template_name: str, problem: str) -> None:
        super().__init__(f"The message {template_name} template {problem}")
        self.template_name = template_name
        self.problem = problem


class _MessageEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, plus a bound on `*` and `**` so a template cannot exhaust memory or the CPU."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > 100:
                raise SecurityError("exponents larger than 100 are not allowed in message templates")
            return operator.pow(left, right)
        if isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple):
            count = right if isinstance(left, str | list | tuple) else left
            sequence = left if isinstance(left, str | list | tuple) else right
            if isinstance(count, int) and len(sequence) * count > MAX_RENDERED_CHARS:
                raise SecurityError(f"repeating text beyond {MAX_RENDERED_CHARS} characters is not allowed")
        return operator.mul(left, right)


_environment = _MessageEnvironment(
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
)


def render(template: str, scope: Mapping[str, Any], template_name: str = "body") -> str:
    """Render one template with `scope`; raise TemplateError naming `template_name` and the problem."""
    try:
        compiled = _environment.from_string(template)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(
            template_name, f"has a syntax error on line {error.lineno}: {error.message}. Fix it in the event's actions."
        ) from error
    try:
        text = compiled.render(**scope)
    except SecurityError as error:
        raise TemplateError(template_name, f"tried something templates may not do: {str(error).rstrip('.')}.") from error
    except jinja2.UndefinedError as error:
        raise TemplateError(
            template_name,
            f"uses a value that does not exist: {error.message}. Available: event, execution, output, variables; "
            'use `| default("…")` for optional values.',
        ) from error
    except jinja2.TemplateError as error:
        raise TemplateError(template_name, f"failed: {error.message or error}.") from error
    except MemoryError:
        raise  # the rendering process reports its memory bound itself
    except Exception as error:  # e.g. {{ 1 / 0 }}, {{ output.x + 1 }} on text
        raise TemplateError(template_name, f"failed: {type(error).__name__}: {error}.") from error
    if len(text) > MAX_RENDERED_CHARS:
        raise TemplateError(template_name, f"produced {len(text)} characters, more than {MAX_RENDERED_CHARS}.")
    return text


async def send_conditional_message(
    tool_service: ToolService,
    tool_id: int,
    subject_template: str,
    body_template: str,
    scope: Mapping[str, Any],
) -> None:
    """Render the subject and body, then send them through the tool's `send_message` action.

    Rendering happens in a child process with time and memory limits: a template is user code and
    must not stall the loop, a worker thread or shutdown (see `template_process`).
    Errors (TemplateError, ToolError, NotFound) propagate; the caller logs them on the run.
    """
    from cronium_desktop.engine.template_process import render_bounded

    subject = await render_bounded(subject_template or "", scope, "subject")
    body = await render_bounded(body_template or "", scope, "body")
    if not body.strip():
        raise TemplateError("body", "rendered to an empty message; nothing was sent.")
    await tool_service.send_message(tool_id, subject.strip(), body)
