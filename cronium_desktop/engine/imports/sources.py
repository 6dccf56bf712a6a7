"""Where each kind of schedule is read from: files the user names, or the user's own defaults."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.imports import cron, launchd, schtasks, systemd
from cronium_desktop.engine.imports.jobs import ParsedSource

KINDS = ("cron", "systemd", "launchd", "schtasks")


def user_crontab() -> str:
    """The user's own crontab, as `crontab -l` prints it; empty when there is none."""
    try:
        done = subprocess.run(["crontab", "-l"], capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError as error:
        raise ValidationError("crontab", "the 'crontab' command is not installed here; give the crontab file "
                                         "instead.") from error
    if done.returncode != 0:
        if "no crontab" in done.stderr.lower():
            return ""
        raise ValidationError("crontab", f"'crontab -l' failed: {done.stderr.strip() or done.returncode}.")
    return done.stdout


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ValidationError("file", f"cannot read {str(path)!r}: {error.strerror or error}.") from error
    except UnicodeDecodeError as error:
        raise ValidationError("file", f"{str(path)!r} is not UTF-8 text ({error.reason}).") from error


def parse_cron_text(text: str, source: str) -> ParsedSource:
    parsed = cron.parse_crontab(text, source)
    lines = sorted({int(job.source.rsplit(" ", 1)[-1]) for job in parsed.jobs})
    if lines and source != "standard input":
        parsed.advice.append(cron.comment_out_advice(source, lines))
    return parsed


def read_sources(kind: str, files: list[Path]) -> ParsedSource:
    """The jobs of `files` of one kind; no files means the user's crontab or user timers. Blocking I/O."""
    if kind == "cron":
        if not files:
            return parse_cron_text(user_crontab(), "crontab")
        merged = ParsedSource("cron")
        for path in files:
            merged.extend(parse_cron_text(read_text(path), str(path)))
        return merged
    if kind == "systemd":
        return systemd.parse_timers(files or systemd.user_timers())
    if kind not in ("launchd", "schtasks"):
        raise ValidationError("source", f"must be one of {', '.join(KINDS)}, not {kind!r}.")
    merged = ParsedSource(kind)
    for path in files:
        merged.extend(launchd.parse_plist(path) if kind == "launchd" else schtasks.parse_task(path))
    return merged
