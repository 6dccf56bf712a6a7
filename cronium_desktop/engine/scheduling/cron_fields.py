"""Cron fields as Vixie cron, cronie and croniter read them, where APScheduler reads them otherwise."""

from __future__ import annotations

import re

from cronium_desktop.engine.errors import ValidationError

# The values each field can take (day: up to 31; a day a month lacks simply never matches).
_FIELD_RANGES = {"second": (0, 59), "minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12)}
_MONTH_NAMES = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_STEP_ITEM = re.compile(r"^(?:(\*)|(\w+)(?:-(\w+))?)/(\d+)$")


def expand_steps(field_text: str, field: str, expression: str) -> str:
    """Stepped items (`*/N`, `A-B/N`, `A/N`) of a field → the explicit values cron means by them.

    Vixie cron, cronie and croniter accept a step larger than its range (`18-21/4` is hour 18,
    `*/60` is minute 0); APScheduler refuses it, so each stepped item is written out as a list.
    `A/N` is `A-max/N`, as in cronie and croniter. Items without a step are left as they are.
    """
    low, high = _FIELD_RANGES[field]
    out: list[str] = []
    for item in field_text.split(","):
        match = _STEP_ITEM.match(item.strip().lower())
        if match is None:
            out.append(item)
            continue
        star, first_text, last_text, step_text = match.groups()

        def value(text: str) -> int:
            if field == "month" and text in _MONTH_NAMES:
                return _MONTH_NAMES[text]
            if not text.isdigit() or not low <= int(text) <= high:
                raise ValidationError(
                    "schedule.cron", f"{expression!r}: {field} {text!r} is not a number from {low} to {high}."
                )
            return int(text)

        step = int(step_text)
        if step == 0:
            raise ValidationError("schedule.cron", f"{expression!r}: a step of 0 in the {field} field never advances.")
        first, last = (low, high) if star else (value(first_text), value(last_text) if last_text else high)
        if last < first:
            raise ValidationError("schedule.cron", f"{expression!r}: {field} range {item!r} runs backwards.")
        out.extend(str(v) for v in range(first, last + 1, step))
    return ",".join(out)
