"""A crontab → jobs (crontab(5) as Vixie cron and cronie read it).

Environment lines apply to the jobs below them: `VAR=value` becomes event env, `CRON_TZ`/`TZ` the
timezone, `SHELL` the shell the command runs in, `MAILTO` a failure notification. A job's name is
the comment right above it, else its command's first words. `%` in a command starts its standard
input (later ones are newlines, `\\%` is a plain `%`). `@reboot` needs a login trigger, which this
version lacks: such jobs are listed as not carried over.
"""

from __future__ import annotations

import re
import shlex

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.imports.jobs import (
    ParsedJob,
    ParsedSource,
    Unconverted,
    clean_name,
    name_from_command,
)
from cronium_desktop.engine.scheduling.schedules import ALIASES, validate_schedule, zone
from cronium_desktop.engine.validation import ENV_NAME

ENV_LINE = re.compile(r"^\s*([^\s=#]+)\s*=\s*(.*?)\s*$")
JOB_LINE = re.compile(r"^\s*-?(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S.*)$")
ALIAS_LINE = re.compile(r"^\s*-?(@\w+)\s+(\S.*)$")
PLAIN_SHELLS = {"/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash", "sh", "bash", "/bin/dash", "/usr/bin/dash"}
STDIN_MARK = "CRONIUM_STDIN"


def split_percent(command: str) -> tuple[str, str | None]:
    """The command and its standard input: the first unescaped `%` starts it, later ones are newlines."""
    out: list[str] = []
    stdin: list[str] | None = None
    i = 0
    while i < len(command):
        char = command[i]
        if char == "\\" and command[i + 1 : i + 2] == "%":
            (stdin if stdin is not None else out).append("%")
            i += 2
            continue
        if char == "%":
            if stdin is None:
                stdin = []
            else:
                stdin.append("\n")
        else:
            (stdin if stdin is not None else out).append(char)
        i += 1
    return "".join(out), None if stdin is None else "".join(stdin)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def script_for(command: str, stdin: str | None, shell: str | None) -> str:
    """The BASH event's script: the command, in cron's shell when it is not a POSIX sh, with its stdin."""
    lines = []
    if stdin is not None:
        mark, n = STDIN_MARK, 2
        while mark in stdin.split("\n"):
            mark, n = f"{STDIN_MARK}_{n}", n + 1
        # Everything below reads the job's standard input from here, as cron feeds it to the whole command.
        lines.append(f"exec 0<<'{mark}'\n{stdin}\n{mark}")
    if shell and shell not in PLAIN_SHELLS:
        lines.append(f"exec {shlex.quote(shell)} -c {shlex.quote(command)}")
    else:
        lines.append(command)
    return "\n".join(lines) + "\n"


def _looks_like_job(text: str) -> bool:
    match = JOB_LINE.match(text)
    return bool(ALIAS_LINE.match(text)) or (match is not None and all(
        re.fullmatch(r"[\d*/,\-a-zA-Z?]+", part) for part in match.groups()[:5]))


def parse_crontab(text: str, source: str = "crontab") -> ParsedSource:
    parsed = ParsedSource("cron")
    env: dict[str, str] = {}
    timezone: str | None = None
    shell: str | None = None
    mail_to: str | None = None
    comment: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        place = f"{source} line {number}"
        if not line:
            comment = None
            continue
        if line.startswith("#"):
            body = line.lstrip("#").strip()
            comment = None if not body or _looks_like_job(body) else body
            continue
        above, comment = comment, None
        env_match = ENV_LINE.match(line)
        if env_match and not line.startswith(("*", "@")) and not line[0].isdigit():
            name, value = env_match.group(1), _unquote(env_match.group(2))
            if name in ("CRON_TZ", "TZ"):
                try:
                    zone(value or "UTC")
                except ValidationError:
                    parsed.unconverted.append(Unconverted(place, raw, f"{name}={value!r} is not a known timezone; "
                                                          "use an IANA name such as Europe/Berlin.", invalid=True))
                    continue
                timezone = value or None
                if name == "TZ":
                    env["TZ"] = value
            elif name == "SHELL":
                shell = value
            elif name == "MAILTO":
                mail_to = value or None
            elif not ENV_NAME.match(name):
                parsed.unconverted.append(Unconverted(place, raw, f"{name!r} is not a valid environment variable "
                                                      "name (letters, digits and _).", invalid=True))
            else:
                env[name] = value
            continue
        job = _job(line, raw, place, above, env, timezone, shell, mail_to)
        if isinstance(job, Unconverted):
            parsed.unconverted.append(job)
        else:
            parsed.jobs.append(job)
    return parsed


def _job(line: str, raw: str, place: str, above: str | None, env: dict[str, str], timezone: str | None,
         shell: str | None, mail_to: str | None) -> ParsedJob | Unconverted:
    alias = ALIAS_LINE.match(line)
    if alias:
        expression, command = alias.group(1).lower(), alias.group(2)
        if expression == "@reboot":
            return Unconverted(place, raw, "@reboot needs a login trigger, which this version of Cronium Desktop "
                                           "does not have yet; run it from your desktop's autostart instead.")
        if expression not in ALIASES:
            return Unconverted(place, raw, f"{expression} is not a cron schedule; use @hourly, @daily, @weekly, "
                                           "@monthly, @yearly or five fields.", invalid=True)
    else:
        match = JOB_LINE.match(line)
        if match is None:
            return Unconverted(place, raw, "is neither a job (five schedule fields and a command), an environment "
                                           "setting (NAME=value) nor a comment.", invalid=True)
        expression, command = " ".join(match.groups()[:5]), match.group(6)
    try:
        schedule = validate_schedule({"cron": expression}, zone(timezone or "UTC"))
    except ValidationError as error:
        return Unconverted(place, raw, error.message, invalid=True)
    assert schedule is not None
    command, stdin = split_percent(command)
    if not command.strip():
        return Unconverted(place, raw, "has a schedule but no command.", invalid=True)
    notes = []
    if stdin is not None and not stdin.endswith("\n"):
        notes.append("its standard input ends with a newline here (cron sends none after the last line)")
    return ParsedJob(
        source=place, text=raw, name=clean_name(above) if above else name_from_command(command),
        schedule=schedule, content=script_for(command.strip(), stdin, shell), timezone=timezone,
        env=dict(env), misfire="SKIP", tags=["cron"], notes=notes, mail_to=mail_to,
    )


def comment_out_advice(source: str, lines: list[int]) -> str:
    """How to stop cron running the jobs now that Cronium does (the crontab is never changed here)."""
    where = "line " + ", ".join(str(n) for n in lines) if len(lines) < 20 else f"{len(lines)} lines"
    if source == "crontab":
        return ("Your crontab was not changed. Once the events run as you expect, comment the imported jobs "
                f"out ({where}) so they do not run twice: keep a copy with 'crontab -l > crontab.bak', then "
                "'crontab -e' and put '#' before each of them.")
    return (f"{source} was not changed. Once the events run as you expect, put '#' before each imported job "
            f"({where}) so cron does not run them twice.")
