"""The `cronium-desktop` command line (SPEC §9): `main` parses the command and runs it
(`cli/main.py`); each group of commands has its module here, sharing `cli/common.py`."""

from cronium_desktop.cli.main import main

__all__ = ["main"]
