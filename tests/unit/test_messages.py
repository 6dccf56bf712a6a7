"""Message templates for SEND_MESSAGE actions: scope, strictness, and the sandbox (SPEC §4)."""

from __future__ import annotations

from typing import Any

import pytest

from cronium_desktop.engine.messages import MAX_RENDERED_CHARS, TemplateError, render

SCOPE: dict[str, Any] = {
    "event": {"id": 7, "name": "Nightly backup", "type": "BASH"},
    "execution": {
        "id": 42,
        "status": "FAILURE",
        "exit_code": 3,
        "duration": 1.5,
        "error": "exit code 3",
        "log_tail": "copying\ndisk full",
    },
    "output": {"files": 12},
    "variables": {"ENV": "prod"},
}


def test_template_sees_event_execution_output_and_variables() -> None:
    text = render(
        "{{ event.name }} #{{ execution.id }} {{ execution.status }} ({{ execution.exit_code }}) "
        "in {{ execution.duration }} s: {{ output.files }} files on {{ variables.ENV }}",
        SCOPE,
    )
    assert text == "Nightly backup #42 FAILURE (3) in 1.5 s: 12 files on prod"


def test_log_tail_and_loops_render() -> None:
    text = render("{% for line in execution.log_tail.splitlines() %}> {{ line }}\n{% endfor %}", SCOPE)
    assert text == "> copying\n> disk full\n"


def test_output_is_not_html_escaped() -> None:
    assert render("{{ output.html }}", {**SCOPE, "output": {"html": "<b>a & b</b>"}}) == "<b>a & b</b>"


def test_unknown_name_is_an_error_naming_the_template() -> None:
    with pytest.raises(TemplateError) as caught:
        render("{{ execution.stauts }}", SCOPE, "subject")
    assert caught.value.template_name == "subject"
    assert "subject template" in str(caught.value)
    assert "stauts" in str(caught.value)


def test_default_filter_covers_optional_values() -> None:
    assert render('{{ output.missing | default("n/a") }}', SCOPE) == "n/a"
    assert render("{% if output is none %}none{% endif %}", {**SCOPE, "output": None}) == "none"


def test_syntax_error_names_the_template_and_line() -> None:
    with pytest.raises(TemplateError) as caught:
        render("ok\n{{ event.name ", SCOPE, "body")
    message = str(caught.value)
    assert "body template" in message
    assert "line 2" in message


def test_runtime_error_in_template_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="ZeroDivisionError"):
        render("{{ execution.exit_code / 0 }}", SCOPE)


@pytest.mark.parametrize(
    "attempt",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ event.__class__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ lipsum.__globals__['os'].system('touch /tmp/pwned') }}",
        "{{ self.__init__.__globals__ }}",
        "{{ '{0.__class__}'.format(event) }}",
        "{{ execution.log_tail.splitlines.__self__.__class__ }}",
    ],
)
def test_sandbox_escape_attempts_are_refused(attempt: str) -> None:
    with pytest.raises(TemplateError, match="may not do"):
        render(attempt, SCOPE)


def test_templates_cannot_change_the_scope_the_next_action_sees() -> None:
    scope = {**SCOPE, "variables": {"ENV": "prod"}}
    with pytest.raises(TemplateError, match="may not do"):
        render("{{ variables.update({'ENV': 'hacked'}) }}", scope)
    assert scope["variables"] == {"ENV": "prod"}


@pytest.mark.parametrize("attempt", ["{{ 'x' * 1000000000 }}", "{{ [1] * 1000000000 }}", "{{ 9 ** 9999999 }}"])
def test_runaway_templates_are_stopped(attempt: str) -> None:
    with pytest.raises(TemplateError, match="may not do"):
        render(attempt, SCOPE)


def test_oversized_rendering_is_refused() -> None:
    with pytest.raises(TemplateError, match="more than"):
        render("{% for i in range(30000) %}{{ event.name }}{% endfor %}", SCOPE)
    assert len(render("{{ 'x' * 1000 }}", SCOPE)) == 1000 < MAX_RENDERED_CHARS
