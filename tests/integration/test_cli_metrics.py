"""The CLI carries each run's figures: `list runs --json`, `logs --json` and `runs show ID` (SPEC §9)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli

FIGURES = {"queued_s", "cpu_user_s", "cpu_system_s", "max_rss_bytes", "read_bytes", "write_bytes"}


def make_event(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "events.cronium.json"
    source.write_text('{"format": "cronium-desktop", "version": 1, "events": [{"key": "k", "name": "Spin", '
                      '"type": "PYTHON", "content": "import os, signal\\nx = sum(range(3000000))\\nprint(x)\\n'
                      'os.kill(os.getpid(), signal.SIGKILL)\\n"}]}')
    assert cli("import", str(source)).code == 0


def test_list_runs_and_logs_as_json_carry_the_figures_and_the_signal(cli: Cli, tmp_path: Path) -> None:
    make_event(cli, tmp_path)
    assert cli("run", "Spin").code == 1
    [run] = cli("list", "runs", "--json").json()
    assert FIGURES <= set(run) and run["signal"] == "SIGKILL"
    assert run["cpu_user_s"] > 0 and run["max_rss_bytes"] > 1024 * 1024 and run["queued_s"] >= 0
    [logged] = cli("logs", "Spin", "--json").json()
    assert logged["signal"] == "SIGKILL" and FIGURES <= set(logged) and logged["log"]


def test_runs_show_prints_phases_and_resources(cli: Cli, tmp_path: Path) -> None:
    make_event(cli, tmp_path)
    cli("run", "Spin")
    [run] = cli("list", "runs", "--json").json()
    shown = cli("runs", "show", str(run["execution_id"]))
    assert shown.code == 0, shown.stderr
    for words in ("Queued", "Running", "CPU", "user", "Peak memory", "Ended by       SIGKILL", "written"):
        assert words in shown.stdout
    missing = cli("runs", "show", "9999")
    assert missing.code != 0 and missing.stderr.startswith("error:") and "9999" in missing.stderr
