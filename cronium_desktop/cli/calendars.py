"""`cronium-desktop calendar ...`: calendars schedules skip or shift around (engine/calendars.py).

    calendar list [--json]
    calendar show NAME [--year Y] [--json]         the calendar's days in a year, with their names
    calendar add NAME [--country CC [--region R]] [--date D|START..END[=NAME] ...] [--description TEXT]
    calendar dates NAME (--date D|START..END[=NAME] ... | --ics FILE)
    calendar delete NAME
    calendar next SCHEDULE_JSON [--timezone TZ] [--count N] [--from DATE]   the next runs, skipped/shifted days marked
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine

DATE_HELP = "a date 2027-12-24 or a range 2027-12-24..2028-01-01, optionally =NAME (repeatable)"


def add_parsers(sub: Any, common: argparse.ArgumentParser, parser_class: Any) -> None:
    p = sub.add_parser("calendar", parents=[common], help="public holidays and closing days that schedules avoid")
    actions = p.add_subparsers(dest="calendar_command", metavar="ACTION", required=True, parser_class=parser_class)
    q = actions.add_parser("list", parents=[common], help="list calendars and what uses them")
    q.add_argument("--json", action="store_true", help="print a JSON list")
    q = actions.add_parser("show", parents=[common], help="the days of a calendar in a year")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--year", type=int, default=None, metavar="Y", help="which year (default: this year)")
    q.add_argument("--json", action="store_true", help="print the calendar and its days as JSON")
    q = actions.add_parser("add", parents=[common], help="create a calendar")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--country", metavar="CC", help="public holidays of this country (ISO code: DE, US, GB...)")
    q.add_argument("--region", metavar="R", help="and of this region of it (e.g. BY for Bavaria)")
    q.add_argument("--date", action="append", default=[], metavar="D", help=DATE_HELP)
    q.add_argument("--description", default="", metavar="TEXT")
    q = actions.add_parser("dates", parents=[common], help="add dates or ranges to a calendar, or an .ics file's events")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--date", action="append", default=[], metavar="D", help=DATE_HELP)
    q.add_argument("--ics", metavar="FILE", help="an iCalendar file: each event becomes a date or a range")
    q = actions.add_parser("delete", parents=[common], help="delete a calendar no schedule uses")
    q.add_argument("name", metavar="NAME")
    q = actions.add_parser("next", parents=[common], help="the next runs of a schedule, calendar days marked")
    q.add_argument("schedule", metavar="SCHEDULE_JSON",
                   help='e.g. \'{"cron": "0 9 * * 1-5", "calendar": "Germany", "on_calendar_day": "SKIP"}\'')
    q.add_argument("--timezone", metavar="TZ", default=None, help="IANA zone (default: this computer's)")
    q.add_argument("--count", type=int, default=10, metavar="N", help="how many runs (default 10)")
    q.add_argument("--from", dest="start", metavar="DATE", help="list the runs from this date, YYYY-MM-DD (default: now)")


def parse_date_option(text: str) -> dict[str, str]:
    """`2027-12-24`, `2027-12-24..2028-01-01`, either with `=NAME`."""
    span, _, name = text.partition("=")
    start, _, end = span.partition("..")
    return {"start": start.strip(), "end": (end or start).strip(), "name": name.strip()}


async def cmd_calendar(engine: Engine, args: argparse.Namespace, usage_error: type[Exception]) -> int:
    calendars = engine.calendars
    command = args.calendar_command
    if command == "list":
        items = await calendars.list()
        if args.json:
            print(json.dumps([{"name": c.name, "country": c.country, "subdivision": c.subdivision,
                               "dates": c.dates, "used_by": c.used_by} for c in items], indent=2))
        else:
            from cronium_desktop.cli.common import print_table

            print_table([[c.name, c.country or "-", c.subdivision or "-", str(c.dates), ", ".join(c.used_by) or "-"]
                         for c in items], ["NAME", "COUNTRY", "REGION", "DATES", "USED BY"])
        return 0
    if command == "show":
        data = await calendars.get(args.name)
        year = args.year or date.today().year
        days = (await calendars.days(args.name)).between(date(year, 1, 1), date(year, 12, 31))
        if args.json:
            print(json.dumps({**data, "year": year, "days": [{"date": d.isoformat(), "name": n} for d, n in days]},
                             indent=2))
        else:
            for day, name in days:
                print(f"{day:%a %Y-%m-%d}  {name}")
        return 0
    if command == "add":
        dates = [parse_date_option(text) for text in args.date]
        name = await calendars.save({"name": args.name, "country": args.country, "subdivision": args.region,
                                     "dates": dates, "description": args.description})
        print(f"Added calendar {name!r}.")
        return 0
    if command == "dates":
        dates = [parse_date_option(text) for text in args.date]
        notes: list[str] = []
        if args.ics:
            from cronium_desktop.engine.calendar_ics import read_ics_file

            read = read_ics_file(args.ics)
            dates += read.dates
            notes = [f"Left out the recurring event {name!r}: add its days with --date." for name in read.recurring]
        if not dates:
            raise usage_error("give --date or --ics: nothing to add.")
        total = await calendars.add_dates(args.name, dates)
        print(f"Added {len(dates)} date(s) to calendar {args.name!r}; it holds {total} now.")
        for note in notes:
            print(note)
        return 0
    if command == "delete":
        await calendars.delete(args.name)
        print(f"Deleted calendar {args.name!r}.")
        return 0
    return await _next_runs(engine, args, usage_error)


async def _next_runs(engine: Engine, args: argparse.Namespace, usage_error: type[Exception]) -> int:
    from cronium_desktop.cli.common import parse_json_option
    from cronium_desktop.engine.scheduling.calendar_schedules import preview_runs
    from cronium_desktop.engine.scheduling.schedules import build_trigger, validate_schedule, zone

    spec = validate_schedule(parse_json_option(args.schedule, "SCHEDULE_JSON"), zone(args.timezone))
    if spec is None:
        raise usage_error("SCHEDULE_JSON is null: there is nothing to show.")
    known = await engine.calendars.all_days()
    by_name = {name.lower(): days for name, days in known.items()}
    if spec.get("calendar") and spec["calendar"].lower() not in by_name:
        raise usage_error(f"no calendar named {spec['calendar']!r}.")
    from cronium_desktop.engine.calendar_days import EMPTY

    days = by_name.get(str(spec.get("calendar", "")).lower(), EMPTY)
    trigger = build_trigger(spec, args.timezone, calendars=lambda name: by_name.get(name.lower(), EMPTY))
    timezone = zone(args.timezone)
    start = datetime.now(timezone)
    if args.start:
        try:
            start = datetime.combine(date.fromisoformat(args.start), datetime.min.time(), timezone)
        except ValueError as error:
            raise usage_error(f"--from must be a date as YYYY-MM-DD, not {args.start!r}.") from error
    for entry in preview_runs(trigger, start, args.count, days):
        when = entry.when.astimezone(timezone)
        if entry.kind == "RUN":
            print(f"{when:%a %Y-%m-%d %H:%M}")
        elif entry.kind == "SHIFTED" and entry.original is not None:
            print(f"{when:%a %Y-%m-%d %H:%M}  shifted from {entry.original.astimezone(timezone):%a %Y-%m-%d} ({entry.reason})")
        else:
            print(f"{'':>20}  skipped {when:%a %Y-%m-%d %H:%M} ({entry.reason})")
    return 0
