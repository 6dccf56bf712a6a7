"""Local runs end to end: real processes, real SQLite, the helpers of every language (SPEC §2, §3)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.notices import LogLines, Notice
from cronium_desktop.engine.runs.runner import retry_delay
from cronium_desktop.engine.secrets import MASK
from tests.conftest import TEST_PASSPHRASE

PYTHON_HELPERS = """
import cronium
data = cronium.input()
print("input", data["n"])
print("seen", cronium.getVariable("counter"))
cronium.setVariable("counter", str(int(cronium.get_variable("counter") or 0) + data["n"]))
cronium.set_condition(True)
event = cronium.event()
print("event", event["name"], event["type"], event["attempt"], event["execution_id"])
cronium.output({"doubled": data["n"] * 2})
"""

NODE_HELPERS = """
const cronium = require("cronium");
(async () => {
  const data = await cronium.input();
  console.log("input", data.n);
  console.log("seen", await cronium.getVariable("counter"));
  await cronium.setVariable("counter", String(Number(await cronium.getVariable("counter") || 0) + data.n));
  await cronium.setCondition(true);
  const event = await cronium.event();
  console.log("event", event.name, event.type, event.attempt, event.execution_id);
  await cronium.output({ doubled: data.n * 2 });
})();
"""

BASH_HELPERS = """
source cronium.sh
n=$(cronium_input | python3 -c 'import json,sys; print(json.load(sys.stdin)["n"])')
echo "input $n"
echo "seen $(cronium_getVariable counter)"
cronium_setVariable counter "$(( $(cronium_getVariable counter || echo 0) + n ))"
cronium_setCondition true
cronium_event | python3 -c 'import json,sys; e=json.load(sys.stdin); print("event", e["name"], e["type"], e["attempt"], e["execution_id"])'
cronium_output "{\\"doubled\\": $((n * 2))}"
"""


def is_alive(pid: int) -> bool:
    """Running, not merely a zombie left for a PID 1 that does not reap (as in containers)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


async def log_texts(engine: Engine, execution_id: int) -> list[str]:
    return [line.text for line in await engine.runs.log(execution_id)]


@pytest.mark.parametrize(
    ("language", "script"), [("PYTHON", PYTHON_HELPERS), ("NODEJS", NODE_HELPERS), ("BASH", BASH_HELPERS)]
)
async def test_helpers_pass_input_output_variables_condition_and_event(engine: Engine, language: str, script: str) -> None:
    event_id = await engine.events.create({"name": f"Helpers {language}", "type": language, "content": script})

    first = await engine.runs.wait(await engine.runs.start(event_id, input={"n": 5}))
    assert first.status == "SUCCESS", await log_texts(engine, first.execution_id)
    assert first.output == {"doubled": 10}
    lines = await log_texts(engine, first.execution_id)
    assert "input 5" in lines
    assert lines[1] in ("seen None", "seen null", "seen ")  # not set yet, in each language's words
    assert f"event Helpers {language} {language} 1 {first.execution_id}" in lines
    assert (await engine.runs.get(first.execution_id)).condition is True

    second = await engine.runs.wait(await engine.runs.start(event_id, input={"n": 2}))
    assert "seen 5" in await log_texts(engine, second.execution_id)  # variables persist across runs
    assert (await engine.variables.get("counter")).value == "7"


async def test_a_run_folder_holds_the_runs_own_files_and_the_helpers_are_shared(engine: Engine) -> None:
    """Local runs find the helpers in one folder of this version (fewer files to make and remove per
    run); `source cronium.sh` and the helpers' requests to the app work as before."""
    event_id = await engine.events.create({"name": "Layout", "type": "BASH", "content": (
        "ls -A | tr '\\n' ' '; echo\necho \"$CRONIUM_HELPERS_DIR\"\n"
        "source cronium.sh\ncronium_setVariable seen yes\ncronium_output '{\"ok\": true}'")})
    runs = [await engine.runs.wait(await engine.runs.start(event_id)) for _ in range(2)]
    logs = [await log_texts(engine, run.execution_id) for run in runs]
    listed = set(logs[0][0].split())
    assert {"script.sh", "input.json", "event.json"} <= listed
    assert not listed & {"cronium.sh", "cronium.py", "sitecustomize.py", "node_modules"}
    assert logs[0][1] == logs[1][1] and Path(logs[0][1], "cronium.sh").is_file()  # one folder for every run
    assert [(await engine.runs.get(run.execution_id)).output for run in runs] == [{"ok": True}] * 2
    assert (await engine.variables.get("seen")).value == "yes"


async def test_a_helpers_folder_another_user_could_write_is_not_used(engine: Engine, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the shared helpers would go is not private to this user (another user made it first):
    the run gets its own copy of the helpers, and works as before."""
    from cronium_desktop.engine.executors import local

    monkeypatch.setattr(local, "_temp_root", lambda: tmp_path)
    user = os.getuid()
    (tmp_path / f"cronium-{user}-helpers").mkdir(mode=0o755)
    (tmp_path / f"cronium-{user}-helpers").chmod(0o777)
    event_id = await engine.events.create({"name": "Own copy", "type": "BASH", "content": (
        "ls cronium.sh; echo \"[${CRONIUM_HELPERS_DIR:-}]\"\nsource cronium.sh\ncronium_output '{\"ok\": true}'")})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert await log_texts(engine, run.execution_id) == ["cronium.sh", "[]"]
    assert (await engine.runs.get(run.execution_id)).output == {"ok": True}
    assert list((tmp_path / f"cronium-{user}-helpers").iterdir()) == []


async def test_runs_do_not_start_where_another_user_could_swap_their_files(data_dir: Path) -> None:
    """The folder for a data folder's runs has a predictable name: if it is not this user's alone
    (another user made it first), a run fails saying so and writes nothing there."""
    from cronium_desktop.engine.executors.local import run_folders_root

    root = run_folders_root(data_dir)
    root.mkdir(mode=0o700)
    root.chmod(0o777)
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start()
    try:
        event_id = await engine.events.create({"name": "Guarded", "type": "BASH", "content": "echo ran"})
        refused = await engine.runs.wait(await engine.runs.start(event_id))
        left = list(root.iterdir())
        root.chmod(0o700)
        allowed = await engine.runs.wait(await engine.runs.start(event_id))
        said = await log_texts(engine, allowed.execution_id)
    finally:
        await engine.stop(grace_seconds=1)
    assert refused.status == "FAILURE" and f"{root}, is not private to you" in (refused.error or "")
    assert left == []
    assert allowed.status == "SUCCESS" and said == ["ran"]


async def test_input_is_an_empty_object_when_nothing_is_passed(engine: Engine) -> None:
    event_id = await engine.events.create(
        {"name": "No input", "type": "PYTHON", "content": "import cronium\nprint('input', repr(cronium.input()))"}
    )
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert await log_texts(engine, run.execution_id) == ["input {}"]


async def test_stdout_and_stderr_are_told_apart_in_order(engine: Engine) -> None:
    script = "echo one\necho two >&2\necho three"
    event_id = await engine.events.create({"name": "Streams", "type": "BASH", "content": script})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    lines = [(line.stream, line.text) for line in await engine.runs.log(run.execution_id)]
    assert ("stderr", "two") in lines
    assert [t for s, t in lines if s == "stdout"] == ["one", "three"]


async def test_log_lines_stream_live_before_the_run_ends(engine: Engine) -> None:
    seen: list[tuple[float, str]] = []

    def on_notice(notice: Notice) -> None:
        if isinstance(notice, LogLines):
            seen.extend((time.monotonic(), line.text) for line in notice.lines)

    engine.bus.subscribe(on_notice)
    event_id = await engine.events.create(
        {"name": "Slow", "type": "BASH", "content": "echo first\nsleep 1\necho second"}
    )
    await engine.runs.wait(await engine.runs.start(event_id))
    first, second = (t for t, text in seen if text in ("first", "second"))
    assert second - first >= 0.8  # the first line arrived while the script was still sleeping


async def test_exit_codes_decide_success_and_failure(engine: Engine) -> None:
    ok = await engine.events.create({"name": "Ok", "type": "BASH", "content": "exit 0"})
    bad = await engine.events.create({"name": "Bad", "type": "BASH", "content": "echo oops >&2; exit 7"})
    assert (await engine.runs.wait(await engine.runs.start(ok))).status == "SUCCESS"
    failed = await engine.runs.wait(await engine.runs.start(bad))
    assert (failed.status, failed.exit_code) == ("FAILURE", 7)
    assert "7" in (failed.error or "")


async def test_a_script_killed_by_a_signal_says_which(engine: Engine) -> None:
    event_id = await engine.events.create({"name": "Killed", "type": "BASH", "content": "echo bye; kill -KILL $$"})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert (run.status, run.exit_code) == ("FAILURE", 137)
    assert run.error == "Killed by signal SIGKILL (exit code 137)."


async def test_env_values_reach_the_script(engine: Engine) -> None:
    event_id = await engine.events.create(
        {"name": "Env", "type": "PYTHON", "content": "import os\nprint(os.environ['MODE'])", "env": {"MODE": "fast"}}
    )
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert await log_texts(engine, run.execution_id) == ["fast"]


async def test_a_script_gets_the_apps_environment_as_it_is_now_under_the_events_env(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the app's environment holds when the run starts (set after the engine started, or
    removed since), with the event's own values over it, the app's search path after the helpers'."""
    monkeypatch.setenv("CRONIUM_TEST_LATE", "set after the start")
    monkeypatch.setenv("CRONIUM_TEST_SHADOWED", "the app's")
    monkeypatch.setenv("PYTHONPATH", "/from/the/app")
    monkeypatch.delenv("CRONIUM_TEST_GONE", raising=False)
    os.environ["CRONIUM_TEST_GONE"] = "soon gone"
    del os.environ["CRONIUM_TEST_GONE"]
    event_id = await engine.events.create({"name": "Env", "type": "BASH", "env": {"CRONIUM_TEST_SHADOWED": "the event's"},
                                           "content": 'echo "$CRONIUM_TEST_LATE|$CRONIUM_TEST_SHADOWED|'
                                                      '${CRONIUM_TEST_GONE-unset}|${PYTHONPATH##*:}"'})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert await log_texts(engine, run.execution_id) == ["set after the start|the event's|unset|/from/the/app"]


async def test_a_script_gets_none_of_the_apps_open_files(engine: Engine) -> None:
    """Only its input, output and error: not a descriptor the app holds, even one left inheritable
    (handed to the app by what started it, or opened by a library without close-on-exec)."""
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)
    try:
        event_id = await engine.events.create({"name": "Fds", "type": "BASH",
                                               "content": "ls /proc/self/fd | sort -n | tr '\\n' ' '"})
        run = await engine.runs.wait(await engine.runs.start(event_id))
        [line] = [record.text for record in await engine.runs.log(run.execution_id)]
    finally:
        os.close(read_end)
        os.close(write_end)
    assert run.status == "SUCCESS"
    assert line.split() == ["0", "1", "2", "3"]  # 3: the directory `ls` lists


async def test_event_search_paths_are_kept_next_to_the_helpers(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "python").mkdir()
    (tmp_path / "python" / "shared_lib.py").write_text("NAME = 'py lib'\n")
    (tmp_path / "node" / "shared_lib").mkdir(parents=True)
    (tmp_path / "node" / "shared_lib" / "index.js").write_text("module.exports = { name: 'node lib' };\n")
    python_event = await engine.events.create(
        {"name": "Py libs", "type": "PYTHON", "content": "import cronium, shared_lib\nprint(shared_lib.NAME)",
         "env": {"PYTHONPATH": str(tmp_path / "python")}}
    )
    node_event = await engine.events.create(
        {"name": "Node libs", "type": "NODEJS",
         "content": "require('cronium');\nconsole.log(require('shared_lib').name);",
         "env": {"NODE_PATH": str(tmp_path / "node")}}
    )
    for event_id, expected in ((python_event, "py lib"), (node_event, "node lib")):
        run = await engine.runs.wait(await engine.runs.start(event_id))
        assert run.status == "SUCCESS", await log_texts(engine, run.execution_id)
        assert await log_texts(engine, run.execution_id) == [expected]


async def test_secret_env_value_is_masked_in_stored_and_streamed_logs(engine: Engine) -> None:
    streamed: list[str] = []
    engine.bus.subscribe(lambda n: streamed.extend(line.text for line in n.lines) if isinstance(n, LogLines) else None)
    event_id = await engine.events.create(
        {
            "name": "Secretive",
            "type": "BASH",
            "content": 'echo "token is $API_TOKEN"; echo "$API_TOKEN" >&2; exit 1',
            "env": {"API_TOKEN": "tok-98765-secret"},
            "secret_env": ["API_TOKEN"],
        }
    )
    run = await engine.runs.wait(await engine.runs.start(event_id))
    stored = await log_texts(engine, run.execution_id)
    assert f"token is {MASK}" in stored
    assert MASK in stored
    assert not any("tok-98765-secret" in text for text in stored + streamed)
    assert (await engine.events.get(event_id))["env"]["API_TOKEN"] == ""  # never shown back
    assert (await engine.events.get(event_id, reveal_secrets=True))["env"]["API_TOKEN"] == "tok-98765-secret"


async def test_secret_variable_is_masked_when_a_script_prints_it(engine: Engine) -> None:
    await engine.variables.set("DB_PASSWORD", "hunter2-long", secret=True)
    event_id = await engine.events.create(
        {"name": "Leaky", "type": "PYTHON", "content": "import cronium\nprint('pw', cronium.getVariable('DB_PASSWORD'))"}
    )
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert await log_texts(engine, run.execution_id) == [f"pw {MASK}"]


async def test_runs_going_on_together_each_keep_their_own_output_in_order(engine: Engine) -> None:
    """One thread reads the output of every local run: twelve runs printing at the same time (with
    pauses, so their output is read in several looks) each get exactly their own lines, in order."""
    script = ("for i in $(seq 1 300); do echo \"$RUN_NAME line $i\"; [ $((i % 100)) = 0 ] && sleep 0.05; done\n"
              "echo \"$RUN_NAME done\" >&2")
    event_ids = [await engine.events.create({"name": f"Counts {n}", "type": "BASH", "content": script,
                                             "env": {"RUN_NAME": f"run{n}"}}) for n in range(12)]
    ids = await asyncio.gather(*(engine.runs.start(event_id) for event_id in event_ids))
    runs = await asyncio.gather(*(engine.runs.wait(execution_id) for execution_id in ids))
    for n, (run, execution_id) in enumerate(zip(runs, ids, strict=True)):
        assert run.status == "SUCCESS"
        assert await log_texts(engine, execution_id) == [f"run{n} line {i}" for i in range(1, 301)] + [f"run{n} done"]


async def test_a_run_whose_children_hold_its_output_open_does_not_hold_up_other_runs(engine: Engine) -> None:
    """After its script ends, a run waits seconds for background children that still hold its output
    open; runs started meanwhile start and end as usual."""
    lingering = await engine.events.create({"name": "Leaves a child", "type": "BASH",
                                            "content": "sleep 60 &\necho left", "timeout_seconds": 8})
    quick = await engine.events.create({"name": "Quick", "type": "BASH", "content": "echo quick"})
    waiting = await engine.runs.start(lingering)
    await asyncio.sleep(0.5)  # its script has ended; its child keeps the output open
    started = time.monotonic()
    run = await engine.runs.wait(await engine.runs.start(quick))
    assert (run.status, time.monotonic() - started < 1.5) == ("SUCCESS", True)
    assert await log_texts(engine, run.execution_id) == ["quick"]
    left = await engine.runs.wait(waiting)
    assert left.status == "SUCCESS"
    assert any("Background processes kept the output open" in text for text in await log_texts(engine, waiting))


async def test_timeout_kills_grandchildren(engine: Engine, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = f"bash -c 'sleep 60 & echo $! > {pid_file}; wait' &\nwait"
    event_id = await engine.events.create(
        {"name": "Hangs", "type": "BASH", "content": script, "timeout_seconds": 1}
    )
    started = time.monotonic()
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "TIMEOUT"
    assert time.monotonic() - started < 8
    grandchild = int(pid_file.read_text())
    await asyncio.sleep(0.2)
    assert not is_alive(grandchild)


async def test_background_child_holding_stdout_does_not_keep_a_finished_script_running(
    engine: Engine, tmp_path: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"sleep 0.3\nsleep 60 &\necho $! > {pid_file}\necho done"
    event_id = await engine.events.create({"name": "Leaves a child", "type": "BASH", "content": script, "timeout_seconds": 8})
    started = time.monotonic()
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert (run.status, run.exit_code) == ("SUCCESS", 0)
    assert time.monotonic() - started < 6
    lines = await log_texts(engine, run.execution_id)
    assert "done" in lines
    assert any("Background processes kept the output open" in text for text in lines)
    await asyncio.sleep(0.2)
    assert not is_alive(int(pid_file.read_text()))


async def test_child_that_left_the_process_group_does_not_hang_the_run(engine: Engine, tmp_path: Path) -> None:
    pid_file = tmp_path / "daemon.pid"
    script = f"setsid sleep 60 &\necho $! > {pid_file}\necho done"
    event_id = await engine.events.create({"name": "Daemonises", "type": "BASH", "content": script, "timeout_seconds": 30})
    started = time.monotonic()
    try:
        run = await engine.runs.wait(await engine.runs.start(event_id), timeout=20)
        assert run.status == "SUCCESS"
        assert time.monotonic() - started < 8
        assert any("stopped reading it" in text for text in await log_texts(engine, run.execution_id))
    finally:
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), 9)
            except ProcessLookupError:
                pass


async def test_timeout_escalates_to_sigkill_when_sigterm_is_ignored(engine: Engine) -> None:
    script = "trap '' TERM\necho ready\nwhile true; do sleep 0.1; done"
    event_id = await engine.events.create({"name": "Stubborn", "type": "BASH", "content": script, "timeout_seconds": 0.5})
    started = time.monotonic()
    run = await engine.runs.wait(await engine.runs.start(event_id))
    elapsed = time.monotonic() - started
    assert run.status == "TIMEOUT"
    assert 5 <= elapsed < 10  # SIGTERM ignored, SIGKILL after the 5 s grace


async def test_retries_record_each_attempt_with_growing_backoff(engine: Engine) -> None:
    event_id = await engine.events.create(
        {"name": "Flaky", "type": "BASH", "content": "exit 3", "retries": 2, "retry_backoff_seconds": 0.3}
    )
    run = await engine.runs.wait(await engine.runs.start(event_id))
    detail = await engine.runs.get(run.execution_id)
    assert detail.status == "FAILURE"
    assert [a.number for a in detail.attempts] == [1, 2, 3]
    gaps = [
        (later.started_at - earlier.finished_at).total_seconds()
        for earlier, later in zip(detail.attempts, detail.attempts[1:], strict=False)
    ]
    assert 0.25 <= gaps[0] < 0.6
    assert 0.5 <= gaps[1] < 1.0  # doubled


async def test_a_retry_that_succeeds_ends_the_run_as_success(engine: Engine, tmp_path: Path) -> None:
    marker = tmp_path / "tried"
    script = f"if [ -e {marker} ]; then echo fine; else touch {marker}; exit 1; fi"
    event_id = await engine.events.create(
        {"name": "Second time lucky", "type": "BASH", "content": script, "retries": 1, "retry_backoff_seconds": 0}
    )
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert (run.status, run.attempt) == ("SUCCESS", 2)


def test_backoff_doubles_is_capped_and_jittered() -> None:
    import random

    rng = random.Random(1)
    assert 4.5 <= retry_delay(5, 1, rng) <= 5.5
    assert 9 <= retry_delay(5, 2, rng) <= 11
    assert 18 <= retry_delay(5, 3, rng) <= 22
    assert retry_delay(5, 20, rng) <= 3600 * 1.1


async def test_missing_interpreter_fails_with_how_to_fix_it(engine: Engine) -> None:
    engine.settings.set("interpreters", {"PYTHON": "python-that-does-not-exist"})
    event_id = await engine.events.create({"name": "No python", "type": "PYTHON", "content": "print(1)"})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "FAILURE"
    assert "python-that-does-not-exist" in (run.error or "")
    assert "Settings" in (run.error or "")


async def test_output_over_ten_megabytes_is_refused_with_a_clear_log_line(engine: Engine) -> None:
    script = "source cronium.sh\nhead -c 11000000 /dev/zero | tr '\\0' a | sed 's/^/\"/;s/$/\"/' > \"$CRONIUM_RUN_DIR/output.json\""
    event_id = await engine.events.create({"name": "Huge", "type": "BASH", "content": script})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "FAILURE"
    assert run.output is None
    assert any("10 MB" in text for text in await log_texts(engine, run.execution_id))


async def test_python_helper_refuses_oversized_output(engine: Engine) -> None:
    script = "import cronium\ncronium.output('x' * (11 * 1024 * 1024))"
    event_id = await engine.events.create({"name": "Huge py", "type": "PYTHON", "content": script})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "FAILURE"
    assert any("over the 10 MB limit" in text for text in await log_texts(engine, run.execution_id))


async def test_python_output_limit_counts_the_data_not_its_unicode_escapes(engine: Engine) -> None:
    script = "import cronium\ncronium.output({'text': 'é' * (2 * 1024 * 1024)})"  # 4 MB as UTF-8, 12 MB escaped
    event_id = await engine.events.create({"name": "Accents", "type": "PYTHON", "content": script})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "SUCCESS", await log_texts(engine, run.execution_id)
    assert run.output == {"text": "é" * (2 * 1024 * 1024)}


async def test_bash_output_over_the_limit_fails_the_run_even_if_the_script_goes_on(engine: Engine) -> None:
    script = 'source cronium.sh\ncronium_output "\\"$(head -c 11000000 /dev/zero | tr \'\\0\' a)\\""\necho "went on ($?)"'
    event_id = await engine.events.create({"name": "Huge sh", "type": "BASH", "content": script})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    lines = await log_texts(engine, run.execution_id)
    assert "went on (1)" in lines
    assert (run.status, run.output) == ("FAILURE", None)
    assert any("over the 10 MB limit" in text for text in lines)


@pytest.mark.parametrize(
    ("language", "script"),
    [
        ("PYTHON", "import cronium\ncronium.setVariable('my key', 'v')"),
        ("NODEJS", "const c = require('cronium');\nc.setVariable('my key', 'v').catch((e) => { console.error(e.message); process.exit(1); });"),
        ("BASH", "source cronium.sh\ncronium_setVariable 'my key' v || exit $?"),
    ],
)
async def test_helpers_refuse_a_bad_variable_name_where_it_is_set(engine: Engine, language: str, script: str) -> None:
    event_id = await engine.events.create({"name": f"Bad key {language}", "type": language, "content": script})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "FAILURE"
    assert run.exit_code != 0  # the script itself stopped, not the collection after it
    assert any("invalid variable name 'my key'" in text or 'invalid variable name "my key"' in text
               for text in await log_texts(engine, run.execution_id))


@pytest.mark.parametrize(
    ("language", "script"),
    [
        ("PYTHON", "import cronium\ncronium.output({'ratio': float('nan')})"),
        ("NODEJS", "const c = require('cronium');\nc.output(undefined).catch((e) => { console.error(e.message); process.exit(1); });"),
        ("NODEJS", "const c = require('cronium');\nc.setVariable('k', undefined).catch((e) => { console.error(e.message); process.exit(1); });"),
    ],
)
async def test_values_that_are_not_json_are_refused_by_the_helper(engine: Engine, language: str, script: str) -> None:
    event_id = await engine.events.create({"name": "Not JSON", "type": language, "content": script})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "FAILURE"
    assert any("must be JSON-serialisable" in text for text in await log_texts(engine, run.execution_id))
    assert run.output is None


async def test_output_with_nan_written_by_hand_is_refused(engine: Engine) -> None:
    script = 'echo \'{"ratio": NaN}\' > "$CRONIUM_RUN_DIR/output.json"'
    event_id = await engine.events.create({"name": "NaN", "type": "BASH", "content": script})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert (run.status, run.output) == ("FAILURE", None)
    assert "NaN is not a JSON value" in (run.error or "")


async def test_run_is_recorded_pending_before_it_starts(engine: Engine) -> None:
    event_id = await engine.events.create({"name": "Quick", "type": "BASH", "content": "true"})
    execution_id = await engine.runs.start(event_id)
    assert (await engine.runs.summary(execution_id)).status in ("PENDING", "RUNNING")
    await engine.runs.wait(execution_id)


async def test_cancel_keeps_what_the_script_prints_while_it_stops(engine: Engine) -> None:
    script = "trap 'echo cleaning up; exit 3' TERM\necho go\nsleep 30 &\nwait"
    event_id = await engine.events.create({"name": "Tidy", "type": "BASH", "content": script})
    execution_id = await engine.runs.start(event_id)
    deadline = time.monotonic() + 5
    while "go" not in await log_texts(engine, execution_id) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await engine.runs.cancel(execution_id)
    run = await engine.runs.wait(execution_id, timeout=10)
    assert run.status == "CANCELLED"
    assert "cleaning up" in await log_texts(engine, execution_id)


async def test_cancel_stops_a_running_run(engine: Engine) -> None:
    event_id = await engine.events.create({"name": "Long", "type": "BASH", "content": "echo go; sleep 30"})
    execution_id = await engine.runs.start(event_id)
    await asyncio.sleep(0.5)
    assert await engine.runs.cancel(execution_id)
    run = await engine.runs.wait(execution_id, timeout=10)
    assert run.status == "CANCELLED"


async def test_cancel_right_after_start_records_the_run_cancelled(engine: Engine, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    event_id = await engine.events.create(
        {"name": "Quickly cancelled", "type": "BASH", "content": f"touch {marker}; sleep 30", "overlap": "ALLOW"}
    )
    for delay in (0, 0.001):
        execution_id = await engine.runs.start(event_id)
        await asyncio.sleep(delay)
        assert await engine.runs.cancel(execution_id)
        run = await engine.runs.wait(execution_id, timeout=10)
        assert run.status == "CANCELLED"
        assert run.finished_at is not None


async def test_cancel_while_waiting_to_retry_says_so(engine: Engine) -> None:
    event_id = await engine.events.create(
        {"name": "Backing off", "type": "BASH", "content": "exit 1", "retries": 3, "retry_backoff_seconds": 5}
    )
    execution_id = await engine.runs.start(event_id)
    deadline = time.monotonic() + 5
    while (await engine.runs.summary(execution_id)).attempt < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await engine.runs.cancel(execution_id)
    run = await engine.runs.wait(execution_id, timeout=5)
    assert run.status == "CANCELLED"
    assert run.error == "Cancelled while waiting to retry (attempt 2 of 4)."
    assert [(a.number, a.status) for a in (await engine.runs.get(execution_id)).attempts] == [(1, "FAILURE")]


async def test_waiting_for_a_run_whose_event_was_deleted_while_queued_ends(engine: Engine) -> None:
    engine.settings.set("concurrency", 1)
    blocker = await engine.events.create({"name": "Blocker", "type": "BASH", "content": "sleep 1"})
    doomed = await engine.events.create({"name": "Doomed", "type": "BASH", "content": "echo never"})
    first = await engine.runs.start(blocker)
    queued = await engine.runs.start(doomed)
    assert (await engine.runs.summary(queued)).status == "PENDING"
    await engine.events.delete(doomed)
    run = await engine.runs.wait(queued, timeout=10)
    assert (run.status, run.error) == ("FAILURE", "The event was deleted before the run started.")
    assert (await engine.runs.wait(first)).status == "SUCCESS"


async def test_duplicate_names_are_refused_case_insensitively(engine: Engine) -> None:
    await engine.events.create({"name": "Nightly", "type": "BASH", "content": "true"})
    with pytest.raises(ValidationError) as caught:
        await engine.events.create({"name": "NIGHTLY", "type": "BASH", "content": "true"})
    assert caught.value.field == "name"
    assert len(await engine.events.list()) == 1


async def test_duplicate_names_are_refused_whatever_the_case_of_accented_letters(engine: Engine) -> None:
    await engine.events.create({"name": "Éclair import", "type": "BASH", "content": "true"})
    with pytest.raises(ValidationError) as caught:
        await engine.events.create({"name": "éCLAIR IMPORT", "type": "BASH", "content": "true"})
    assert caught.value.field == "name"
    assert "Éclair import" in caught.value.message
    assert [event.name for event in await engine.events.list()] == ["Éclair import"]
    assert (await engine.events.get("ÉCLAIR IMPORT"))["name"] == "Éclair import"


async def test_refused_schedule_changes_nothing_and_the_list_still_loads(engine: Engine) -> None:
    event_id = await engine.events.create(
        {"name": "Rare", "type": "BASH", "content": "true", "trigger": "SCHEDULE", "status": "ACTIVE",
         "schedule": {"every": 2, "unit": "DAYS"}}
    )
    before = await engine.events.get(event_id)
    for schedule in ({"every": 10**12, "unit": "WEEKS"}, {"cron": "0 0 31 4,6,9,11 *"}):
        with pytest.raises(ValidationError):
            await engine.events.update(event_id, {**before, "schedule": schedule})
    assert await engine.events.get(event_id) == before
    [summary] = await engine.events.list()
    assert summary.next_run is not None


async def test_remote_event_needs_servers_that_exist(engine: Engine) -> None:
    with pytest.raises(ValidationError) as caught:
        await engine.events.create(
            {"name": "Far", "type": "BASH", "content": "true", "run_location": "REMOTE", "servers": ["db1"]}
        )
    assert caught.value.field == "servers"
    assert "db1" in caught.value.message
    assert await engine.events.list() == []


async def test_clone_copies_everything_but_the_name_and_status(engine: Engine) -> None:
    event_id = await engine.events.create(
        {"name": "Original", "type": "BASH", "content": "echo $K", "env": {"K": "v"}, "status": "ACTIVE",
         "secret_env": ["S"]}
    )
    await engine.events.update(event_id, {**(await engine.events.get(event_id)), "env": {"K": "v", "S": "shh-value"}})
    clone_id = await engine.events.clone(event_id)
    clone = await engine.events.get(clone_id, reveal_secrets=True)
    assert clone["name"] == "Original (copy)"
    assert clone["status"] == "DRAFT"
    assert clone["env"] == {"K": "v", "S": "shh-value"}


async def test_clones_of_a_long_name_stay_within_two_hundred_characters(engine: Engine) -> None:
    event_id = await engine.events.create({"name": "N" * 200, "type": "BASH", "content": "true"})
    names = []
    for _ in range(2):
        clone = await engine.events.get(await engine.events.clone(event_id))
        names.append(clone["name"])
        await engine.events.update(clone["id"], clone)  # a clone saves again as it is
    assert [len(name) for name in names] == [200, 200]
    assert names[0].endswith(" (copy)") and names[1].endswith(" (copy) 2")


async def test_updating_with_an_empty_secret_keeps_the_stored_value(engine: Engine) -> None:
    event_id = await engine.events.create(
        {"name": "Keeps", "type": "BASH", "content": "true", "env": {"T": "keep-me"}, "secret_env": ["T"]}
    )
    shown = await engine.events.get(event_id)
    await engine.events.update(event_id, {**shown, "description": "edited"})
    assert (await engine.events.get(event_id, reveal_secrets=True))["env"]["T"] == "keep-me"


async def test_a_run_whose_secrets_are_locked_fails_saying_how_to_unlock(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Engine(data_dir, passphrase="correct horse battery staple")
    await first.start()
    await first.events.create({"name": "Deploy", "type": "BASH", "content": "echo deploying",
                               "env": {"TOKEN": "tok-123456"}, "secret_env": ["TOKEN"]})
    await first.events.create({"name": "Plain", "type": "BASH", "content": "echo plain"})
    await first.stop()
    monkeypatch.delenv("CRONIUM_PASSPHRASE", raising=False)
    locked = Engine(data_dir)  # a window or headless started without the passphrase
    await locked.start()
    try:
        locked.settings.set("concurrency", 1)
        run = await asyncio.wait_for(locked.runs.wait(await locked.runs.start("Deploy")), 10)
        assert run.status == "FAILURE"
        assert "protected by a passphrase" in (run.error or "") and "CRONIUM_PASSPHRASE" in (run.error or "")
        assert any("protected by a passphrase" in text for text in await log_texts(locked, run.execution_id))
        plain = await asyncio.wait_for(locked.runs.wait(await locked.runs.start("Plain")), 10)
        assert plain.status == "SUCCESS"  # the queue's only slot was given back
    finally:
        await locked.stop(grace_seconds=1)


async def test_an_event_at_its_run_limit_is_not_activated_without_resetting_the_counter(engine: Engine) -> None:
    event_id = await engine.events.create({"name": "Once", "type": "BASH", "content": "true", "status": "ACTIVE",
                                           "max_executions": 1, "reset_counter_on_activate": False})
    await engine.runs.wait(await engine.runs.start(event_id))
    assert (await engine.events.get(event_id))["status"] == "PAUSED"  # its one run is used
    with pytest.raises(ValidationError) as refused:
        await engine.events.set_status(event_id, "ACTIVE")
    assert refused.value.field == "status" and "max_executions" in refused.value.message
    assert (await engine.events.get(event_id))["status"] == "PAUSED"  # nothing changed
    data = await engine.events.get(event_id)
    await engine.events.update(event_id, {**data, "max_executions": 2, "status": "ACTIVE"})  # a higher limit
    assert (await engine.events.get(event_id))["status"] == "ACTIVE"


async def test_a_bash_script_with_windows_line_endings_runs(engine: Engine) -> None:
    event_id = await engine.events.create({"name": "Pasted", "type": "BASH",
                                           "content": "cd /tmp\r\nif true; then\r\n  echo \"in $PWD\"\r\nfi\r\necho done\r\n"})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "SUCCESS", await log_texts(engine, run.execution_id)
    assert await log_texts(engine, run.execution_id) == ["in /tmp", "done"]


async def test_a_run_that_starts_at_once_is_recorded_in_two_write_transactions(engine: Engine) -> None:
    """Recorded with its start, and finished (its output in the second): the store's single writer
    is held twice per run, not once per step."""
    from sqlalchemy import event as sa_event

    # Long enough for its state to be read while it runs (a bare `echo` can end before the read), and its
    # line comes at its end, so that it is written with the final record, not as a block of its own.
    event_id = await engine.events.create({"name": "Says hello", "type": "BASH", "content": "sleep 1\necho hello"})
    await engine.runs.wait(await engine.runs.start(event_id))  # the first run reads what later ones find cached
    commits: list[int] = []

    def committed(_connection: object) -> None:
        commits.append(1)

    sa_event.listen(engine.ctx.db.engine, "commit", committed)
    try:
        execution_id = await engine.runs.start(event_id)
        assert (await engine.runs.summary(execution_id)).status == "RUNNING"  # started as it was recorded
        run = await engine.runs.wait(execution_id)
    finally:
        sa_event.remove(engine.ctx.db.engine, "commit", committed)
    assert run.status == "SUCCESS"
    assert await log_texts(engine, execution_id) == ["hello"]
    assert len(commits) == 2


async def test_a_pause_another_process_commits_while_a_run_is_recorded_is_kept(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI pauses an event in the instant the app records a fire of it: the event stays paused.
    (Recording a run reads its event before it takes the store's write lock; the fire's count must
    not write the status it read back over the pause.) The pause is committed, as the CLI commits it,
    on a connection of its own, at the moment between the read and the write."""
    import sqlite3

    from cronium_desktop.engine.runs import service

    event_id = await engine.events.create({"name": "Ticks", "type": "BASH", "content": "true"})
    insert_run = service._INSERT_RUN  # the run's insert: its event was read just before

    class PausedFromElsewhereFirst:
        def first(self, *args: object, **kwargs: object) -> object:
            other = sqlite3.connect(engine.ctx.db.path, timeout=15)
            try:
                with other:
                    other.execute("UPDATE events SET status = 'PAUSED' WHERE id = ?", (event_id,))
            finally:
                other.close()
            return insert_run.first(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "_INSERT_RUN", PausedFromElsewhereFirst())
    run = await engine.runs.wait(await engine.runs.start(event_id))
    monkeypatch.undo()
    assert run.status == "SUCCESS"
    assert (await engine.events.get(event_id))["status"] == "PAUSED"
    other = sqlite3.connect(engine.ctx.db.path)
    try:
        assert other.execute("SELECT execution_count FROM events WHERE id = ?", (event_id,)).fetchone() == (1,)
    finally:
        other.close()
