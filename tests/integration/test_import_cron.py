"""`import-cron` end to end: a crontab file, and a real user's `crontab -l` (Debian's cron)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import Cli

CRONTAB = Path(__file__).parent.parent / "data" / "imports" / "crontab.txt"
BAD_LINE = next(n for n, line in enumerate(CRONTAB.read_text().splitlines(), 1) if line.startswith("61 "))
TEST_USER = "cronium-import-test"


def exported(cli: Cli) -> dict[str, dict[str, object]]:
    names = [e["name"] for e in cli("list", "events", "--json").json()]  # type: ignore[union-attr]
    if not names:
        return {}
    out = Path(cli.data_dir) / "export.cronium.json"
    result = cli("export", "--event", *names, "-o", str(out))
    assert result.code == 0, result.stderr
    import json

    return {e["name"]: e for e in json.loads(out.read_text())["events"]}


def check_imported_events(cli: Cli) -> None:
    events = exported(cli)
    assert set(events) == {"Nightly backup", "find /tmp -mtime", "Evening report", "poll --quiet", "Shout"}
    backup = events["Nightly backup"]
    assert backup["schedule"] == {"cron": "30 2 * * *"} and backup["timezone"] is None
    assert backup["env"] == {"PATH": "/usr/local/bin:/usr/bin:/bin", "BACKUP_DIR": "/srv/backups"}
    assert backup["content"] == 'tar czf "$BACKUP_DIR/home.tgz" /home/me\n'
    assert backup["status"] == "ACTIVE" and backup["tags"] == ["cron"] and backup["misfire"] == "SKIP"
    assert events["find /tmp -mtime"]["schedule"] == {"cron": "@daily"}
    report = events["Evening report"]
    assert report["schedule"] == {"cron": "0 18-21/4 * * mon-fri"} and report["timezone"] == "Europe/Berlin"
    assert report["content"] == ("exec 0<<'CRONIUM_STDIN'\nHello,\nthe report is ready.\nCRONIUM_STDIN\n"
                                 'mail -s "report 100% done" me@example.com\n')
    poll = events["poll --quiet"]
    assert poll["schedule"] == {"cron": "*/15 */2 * * *"} and poll["timezone"] == "Europe/Berlin"


def test_a_crontab_with_a_bad_line_is_refused_naming_the_line_and_nothing_is_imported(cli: Cli) -> None:
    result = cli("import-cron", str(CRONTAB))
    assert result.code == 2
    assert f"line {BAD_LINE}" in result.stderr and "61" in result.stderr
    assert "--skip-invalid" in result.stderr
    assert cli("list", "events", "--json").json() == []


def test_with_skip_invalid_the_rest_become_events_and_a_second_import_adds_nothing(cli: Cli) -> None:
    result = cli("import-cron", str(CRONTAB), "--skip-invalid")
    assert result.code == 0, result.stderr
    assert f"Skipped: {CRONTAB} line {BAD_LINE}" in result.stdout
    assert "Not carried over" in result.stdout and "@reboot" in result.stdout and "login trigger" in result.stdout
    assert "MAILTO" not in result.stdout  # MAILTO="" asks for no mail: nothing to carry over
    assert "put '#' before each imported job" in result.stdout
    check_imported_events(cli)
    again = cli("import-cron", str(CRONTAB), "--skip-invalid")
    assert again.code == 0 and "Nothing new to import." in again.stdout
    assert len(cli("list", "events", "--json").json()) == 5  # type: ignore[arg-type]


def test_percent_in_a_cron_command_becomes_the_jobs_standard_input_when_it_runs(cli: Cli) -> None:
    assert cli("import-cron", str(CRONTAB), "--skip-invalid").code == 0
    run = cli("run", "Shout")
    assert run.code == 0, run.stderr
    assert "HELLO\nWORLD" in run.stdout


def test_dry_run_shows_the_plan_and_changes_nothing(cli: Cli) -> None:
    result = cli("import-cron", str(CRONTAB), "--skip-invalid", "--dry-run", "--tag", "laptop")
    assert result.code == 0, result.stderr
    assert "Evening report" in result.stdout and "Dry run: nothing was changed." in result.stdout
    assert cli("list", "events", "--json").json() == []


def test_import_cron_reads_standard_input_with_a_dash(cli: Cli) -> None:
    result = cli("import-cron", "-", "--tag", "laptop", stdin="# Ping\n*/5 * * * * ping -c1 example.com\n")
    assert result.code == 0, result.stderr
    assert exported(cli)["Ping"]["tags"] == ["cron", "laptop"]


# The test user cannot enter the folder this interpreter may live in (a per-user Python under
# /root): it runs the same code and packages with the system's Python of the same minor version.
SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
SITE_PACKAGES = next(p for p in sys.path if p.endswith("site-packages"))
needs_root_and_cron = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("crontab") is None or shutil.which("runuser") is None
    or not SYSTEM_PYTHON.exists(),
    reason="needs root, Debian's cron package and the system's Python to run as a test user",
)


@needs_root_and_cron
def test_without_a_file_the_users_own_crontab_is_imported_and_left_unchanged() -> None:
    tmp_path = Path(tempfile.mkdtemp(prefix="cronium-import-"))
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER], check=True)
    # crontab(1) itself refuses to install the bad line: the user's real crontab is the rest.
    installed = tmp_path / "crontab"
    installed.write_text("".join(line for line in CRONTAB.read_text().splitlines(keepends=True)
                                 if not line.startswith("61 ")))
    subprocess.run(["crontab", "-u", TEST_USER, str(installed)], check=True)
    try:
        data_dir = tmp_path / "data"  # outside pytest's folder for root, which the test user cannot enter
        data_dir.mkdir()
        shutil.chown(tmp_path, TEST_USER)
        shutil.chown(data_dir, TEST_USER)
        cli = Cli(data_dir)
        command = ["runuser", "-u", TEST_USER, "--", "env", f"HOME={tmp_path}",
                   *[f"{k}={v}" for k, v in cli.env.items() if k.startswith(("CRONIUM_", "PYTHON"))],
                   f"PYTHONPATH={Path(__file__).parents[2]}:{SITE_PACKAGES}",
                   str(SYSTEM_PYTHON), "-m", "cronium_desktop", "import-cron"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "Not carried over: crontab line" in done.stdout and "@reboot" in done.stdout
        assert "Your crontab was not changed" in done.stdout
        check_imported_events(cli)
        listed = subprocess.run(["crontab", "-u", TEST_USER, "-l"], capture_output=True, text=True, check=True)
        assert listed.stdout.endswith(installed.read_text())  # crontab -l as it was (Debian adds no header here)
    finally:
        subprocess.run(["crontab", "-u", TEST_USER, "-r"], check=False)
        shutil.rmtree(tmp_path, ignore_errors=True)
