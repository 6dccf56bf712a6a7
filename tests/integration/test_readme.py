"""Every code sample in README.md runs as written: script samples as events of their language,
command-line samples as commands on a fresh data folder, `./dev` lines as commands `./dev` knows."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cronium_desktop.engine.engine import Engine
from tests.conftest import Cli
from tests.fixtures.http_server import RecordingServer, http_server_fixture  # noqa: F401 - fixture
from tests.fixtures.tools import wire_tools

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
LANGUAGES = {"python": "PYTHON", "js": "NODEJS", "bash": "BASH"}


def samples() -> list[tuple[str, str]]:
    return SAMPLE.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def kind_of(language: str, code: str) -> str:
    lines = [line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if language == "bash" and all(line.startswith("./dev ") for line in lines):
        return "dev"
    if language == "bash" and all(line.startswith("cronium-desktop ") for line in lines):
        return "cli"
    return "script"


def test_every_sample_is_one_the_tests_know_how_to_run() -> None:
    found = samples()
    assert len(found) >= 6
    for language, code in found:
        assert language in LANGUAGES, f"a README sample in {language!r}, which no test runs"
        assert kind_of(language, code) in ("dev", "cli", "script")


def test_dev_lines_name_commands_that_dev_has() -> None:
    usage = (ROOT / "dev").read_text()
    for language, code in samples():
        if kind_of(language, code) != "dev":
            continue
        for line in code.splitlines():
            command = shlex.split(line, comments=True)[1]
            assert re.search(rf"^\s*{command}\)", usage, re.MULTILINE), f"./dev has no {command!r} command"


def test_command_line_samples_run_as_written(cli: Cli, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(ROOT / "examples", work / "examples")
    ran = 0
    for language, code in samples():
        if kind_of(language, code) != "cli":
            continue
        for line in code.splitlines():
            args = shlex.split(line, comments=True)
            if not args:
                continue
            process = subprocess.run([sys.executable, "-m", "cronium_desktop", *args[1:]], cwd=work, env=cli.env,
                                     capture_output=True, text=True, timeout=120)
            assert process.returncode == 0, f"{line}\n{process.stdout}\n{process.stderr}"
            ran += 1
    assert ran >= 8


async def test_script_samples_run_as_written(engine: Engine, http_server: RecordingServer) -> None:
    tools = wire_tools(engine)
    await tools.add("team-slack", "slack", {"url": http_server.reply("/slack")})
    await tools.add("ops-hook", "webhook", {"url": http_server.reply("/hook", body={"ok": True})})
    await engine.variables.set("api_url", "https://api.example.com")
    ran = 0
    for index, (language, code) in enumerate(samples()):
        if kind_of(language, code) != "script":
            continue
        event_id = await engine.events.create({"name": f"Sample {index}", "type": LANGUAGES[language], "content": code})
        execution_id = await engine.runs.start(event_id)
        summary = await engine.runs.wait(execution_id, timeout=60)
        log = [f"{line.stream}: {line.text}" for line in await engine.runs.log(execution_id)]
        assert summary.status == "SUCCESS", (code, log)
        assert summary.output is not None or "cronium.output" not in code, (code, log)
        ran += 1
    assert ran >= 4
    assert {request.path for request in http_server.requests} == {"/slack", "/hook"}


@pytest.mark.parametrize("language", ["python", "js"])
def test_there_is_a_sample_without_import_for(language: str) -> None:
    code = next(code for lang, code in samples() if lang == language)
    assert "cronium." in code and "import cronium" not in code and 'require("cronium")' not in code
