"""The command line's arguments (SPEC §9): every command and option, in one parser; the command
groups with modules of their own add their parsers here."""

from __future__ import annotations

import argparse
import functools
import gettext

from cronium_desktop import __version__
from cronium_desktop.cli.common import Parser

APP_NAME = "cronium-desktop"

# argparse looks each of its own words ("usage: ", "options", …) up in the system's translation
# catalogs, searching the disk every time: some 170 searches to build this parser, most of the time
# it took. They are a dozen words: each is looked up once.
setattr(argparse, "_", functools.cache(gettext.gettext))  # noqa: B010 - argparse's module-level `_`


def build_parser() -> argparse.ArgumentParser:
    # The options work before or after the command; after it, they must not reset what came before.
    # Parents are made as `Parser`s too: the sub-parsers (of that class) take them as parents.
    top = Parser(add_help=False)
    top.add_argument("--data-dir", metavar="DIR", help="data folder (default: $CRONIUM_DATA_DIR or the user data folder)")
    top.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    common = Parser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help="data folder")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")

    parser = Parser(
        prog=APP_NAME,
        description="Schedule and run scripts, HTTP requests and notifications; chain them into workflows.",
        parents=[top],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--tray", action="store_true",
                        help="start with the window hidden: the tray icon and the scheduler only (start at login uses it)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    sub.add_parser("gui", parents=[common], help="open the desktop window (the default)")
    sub.add_parser("headless", parents=[common], help="run the scheduler with no window until SIGINT/SIGTERM")

    p = sub.add_parser("import", parents=[common], help="import a .cronium.json file")
    p.add_argument("file", metavar="FILE", help="the .cronium.json file to read")
    p.add_argument("--replace", action="store_true", help="overwrite events and workflows with the same names")

    p = sub.add_parser("export", parents=[common], help="export a workflow or events to a .cronium.json file")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--workflow", metavar="NAME", help="a workflow, with the events it uses")
    what.add_argument("--event", metavar="NAME", nargs="+", action="extend", help="one or more events")
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="the .cronium.json file to write")

    for name, help_text in (("run", "run an event now, stream its log and wait"),
                            ("run-workflow", "run a workflow now, stream its logs and wait")):
        p = sub.add_parser(name, parents=[common], help=help_text)
        p.add_argument("name", metavar="EVENT" if name == "run" else "NAME",
                       help="the event's name" if name == "run" else "the workflow's name")
        p.add_argument("--input", metavar="JSON", help="input data for the run (JSON)")
        p.add_argument("--json", action="store_true", help="print the result as JSON; the log goes to stderr")

    p = sub.add_parser("list", parents=[common], help="list events, workflows, servers, variables or runs")
    p.add_argument("what", choices=["events", "workflows", "servers", "variables", "runs"],
                   help="what to list (runs: the last 200, newest first)")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    p = sub.add_parser("logs", parents=[common], help="show the logs of an event's last runs")
    p.add_argument("event", metavar="EVENT", help="the event's name")
    p.add_argument("--last", type=int, default=1, metavar="N", help="how many runs (default 1)")
    p.add_argument("--json", action="store_true", help="print a JSON list of runs with their log lines")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing the newest run's lines until it ends")

    p = sub.add_parser("var", parents=[common], help="set or get a variable")
    var = p.add_subparsers(dest="var_command", metavar="ACTION", required=True, parser_class=Parser)
    q = var.add_parser("set", parents=[common], help="set a variable")
    q.add_argument("key", metavar="KEY")
    q.add_argument("value", metavar="VALUE")
    q.add_argument("--secret", action="store_true",
                   help="store encrypted; shown as •••••• in logs (a secret variable stays secret when set again)")
    q = var.add_parser("get", parents=[common], help="print a variable")
    q.add_argument("key", metavar="KEY")
    q.add_argument("--reveal", action="store_true", help="print a secret value in clear")

    p = sub.add_parser("server", parents=[common], help="add or check an SSH server")
    server = p.add_subparsers(dest="server_command", metavar="ACTION", required=True, parser_class=Parser)
    q = server.add_parser("add", parents=[common], help="add a server")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--host", required=True, metavar="H", help="host name or IP address")
    q.add_argument("--port", type=int, default=22, metavar="P", help="SSH port (default 22)")
    q.add_argument("--user", required=True, metavar="U", help="user name to log in as")
    auth = q.add_mutually_exclusive_group(required=True)
    auth.add_argument("--key", metavar="FILE", help="private key file")
    auth.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    auth.add_argument("--agent", action="store_true", help="authenticate with the SSH agent")
    q.add_argument("--accept-host-key", action="store_true", help="trust the server's host key on first use")
    q = server.add_parser("check", parents=[common], help="connect to a server and report")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--accept-host-key", action="store_true", help="trust the server's host key on first use")

    p = sub.add_parser("tool", parents=[common], help="add a tool credential")
    tool = p.add_subparsers(dest="tool_command", metavar="ACTION", required=True, parser_class=Parser)
    q = tool.add_parser("add", parents=[common], help="add a tool credential")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--type", required=True, choices=["slack", "discord", "teams", "webhook", "email"])
    q.add_argument("--config", required=True, metavar="JSON",
                   help='settings, e.g. {"url": "https://hooks.slack.com/..."}; stored as a secret')

    p = sub.add_parser("backup", parents=[common], help="back up the store (default: into the data folder's backups)")
    p.add_argument("file", metavar="FILE", nargs="?", help="where to write the backup (a new file)")
    p = sub.add_parser("restore", parents=[common], help="put a backup of the store back (not while a scheduler runs)")
    p.add_argument("file", metavar="FILE", help="the backup to restore")
    from cronium_desktop.cli import calendars as cli_calendars
    from cronium_desktop.cli import events as cli_events
    from cronium_desktop.cli import history as cli_history
    from cronium_desktop.cli import imports as cli_imports
    from cronium_desktop.cli import runs as cli_runs
    from cronium_desktop.cli import settings as cli_settings

    cli_imports.add_parsers(sub, common)
    cli_runs.add_parsers(sub, common)
    cli_calendars.add_parsers(sub, common, Parser)
    cli_events.add_parsers(sub, common)
    cli_settings.add_parsers(sub, common)
    cli_history.add_parsers(sub, common)
    from cronium_desktop.cli import event_webhooks as cli_event_webhooks
    from cronium_desktop.cli import secrets as cli_secrets
    from cronium_desktop.cli import workflow_runs as cli_workflow_runs

    cli_workflow_runs.add_parsers(sub, common)
    cli_secrets.add_parsers(sub, common)
    cli_event_webhooks.add_parsers(sub, common)  # after any other `event` actions: it joins them
    return parser
