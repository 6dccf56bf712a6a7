"""Remote runs against a real OpenSSH sshd on loopback: helpers, streaming, timeout, cleanup, fan-out."""

from __future__ import annotations

import asyncio
import glob
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from cronium_desktop.engine.executors import ssh as ssh_executor
from cronium_desktop.engine.executors.base import SUCCESS
from cronium_desktop.engine.executors.ssh import SshExecutor
from cronium_desktop.engine.servers import ServerInfo, ServerService
from tests.fixtures.servers import RecordingSink, add_key_server, executor_fixture, make_job, servers_fixture  # noqa: F401
from tests.fixtures.sshd import SshServer, free_port, sshd_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(120)

BASH_SCRIPT = """\
source cronium.sh
echo "input=$(cronium_input)"
echo "greeting=$(cronium_getVariable greeting)"
echo "event=$(cronium_event)"
cronium_output '{"lang": "bash", "n": 1}'
cronium_setVariable touched bash
cronium_setCondition true
"""

PYTHON_SCRIPT = """\
import cronium
print("input=" + str(cronium.input()["x"]))
print("greeting=" + cronium.getVariable("greeting"))
print("server=" + cronium.event()["server"])
cronium.output({"lang": "python", "n": 2})
cronium.set_variable("touched", "python")
cronium.setCondition(True)
"""

NODE_SCRIPT = """\
const cronium = require("cronium");
(async () => {
  console.log("input=" + (await cronium.input()).x);
  console.log("greeting=" + (await cronium.getVariable("greeting")));
  console.log("server=" + (await cronium.event()).server);
  await cronium.output({lang: "nodejs", n: 3});
  await cronium.setVariable("touched", "nodejs");
  await cronium.setCondition(true);
})();
"""


def is_running(pid: int) -> bool:
    """True while `pid` is alive; a zombie waiting for its reaper counts as stopped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def remote_folders(sshd: SshServer) -> set[str]:
    """Run folders on the (loopback) server: what runs made in its sessions' TMPDIR."""
    return set(glob.glob(f"{sshd.tmp}/cronium-run.*"))


@pytest.mark.parametrize(
    ("event_type", "script", "lang"),
    [("BASH", BASH_SCRIPT, "bash"), ("PYTHON", PYTHON_SCRIPT, "python"), ("NODEJS", NODE_SCRIPT, "nodejs")],
)
async def test_each_language_helper_works_remotely(
    sshd: SshServer, servers: ServerService, executor: SshExecutor, event_type: str, script: str, lang: str
) -> None:
    server = await add_key_server(servers, sshd)
    sink = RecordingSink()
    job = make_job(event_type, script, [server], input={"x": 41}, variables={"greeting": "hello"})

    result = await executor.run(job, sink)

    assert result.status == SUCCESS, sink.lines
    out = sink.texts("stdout", server="loop")
    assert any("41" in line and line.startswith("input=") for line in out)
    assert "greeting=hello" in out
    if lang == "bash":
        event_line = next(line for line in out if line.startswith("event="))
        assert json.loads(event_line[len("event="):])["server"] == "loop"
    else:
        assert "server=loop" in out
    assert result.output == {"lang": lang, "n": {"bash": 1, "python": 2, "nodejs": 3}[lang]}
    assert result.variables == {"touched": lang}
    assert result.condition is True
    assert [(o.server_name, o.status, o.exit_code) for o in result.servers] == [("loop", SUCCESS, 0)]


async def test_output_streams_live_and_in_order(sshd: SshServer, servers: ServerService, executor: SshExecutor,
                                                tmp_path: Path) -> None:
    # The script waits for a file the test creates only after seeing the first line: if lines were
    # delivered at the end instead of live, the run would hang until its timeout.
    marker = tmp_path / "seen-first-line"
    server = await add_key_server(servers, sshd)
    script = f"""\
        for i in 1 2 3; do echo "line $i"; done
        echo "to stderr" >&2
        while [ ! -e {marker} ]; do sleep 0.05; done
        for i in 4 5 6; do echo "line $i"; done
    """
    sink = RecordingSink()
    sink.on_line = lambda stream, text, server: marker.touch() if text == "line 1" else None

    result = await executor.run(make_job("BASH", textwrap.dedent(script), [server], timeout=20), sink)

    assert result.status == SUCCESS, sink.lines
    assert sink.texts("stdout") == [f"line {i}" for i in range(1, 7)]
    assert sink.texts("stderr") == ["to stderr"]


async def test_timeout_kills_the_remote_process_group(sshd: SshServer, servers: ServerService,
                                                      executor: SshExecutor, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    server = await add_key_server(servers, sshd)
    script = f"""\
        sleep 300 &
        echo $! > {pids}
        ( sleep 300; echo never ) &
        echo started
        sleep 300
    """
    before = remote_folders(sshd)
    sink = RecordingSink()

    result = await executor.run(make_job("BASH", textwrap.dedent(script), [server], timeout=1.5), sink)

    assert result.status == "TIMEOUT"
    assert result.servers[0].status == "TIMEOUT"
    assert "started" in sink.texts("stdout")
    assert any("Timed out after 1.5 s" in text for text in sink.texts("system"))
    assert not is_running(int(pids.read_text()))
    assert remote_folders(sshd) == before


async def test_cancelling_a_run_stops_the_remote_process_and_reraises(
    sshd: SshServer, servers: ServerService, executor: SshExecutor, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    server = await add_key_server(servers, sshd)
    before = remote_folders(sshd)
    sink = RecordingSink()
    task = asyncio.create_task(executor.run(make_job("BASH", f"echo $$ > {pid_file}; echo up; sleep 300", [server]), sink))
    while "up" not in sink.texts("stdout"):
        await asyncio.sleep(0.05)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert not is_running(int(pid_file.read_text()))
    assert remote_folders(sshd) == before


async def test_a_run_cancelled_while_it_starts_is_stopped_with_sigterm_and_leaves_nothing_behind(
    sshd: SshServer, servers: ServerService, executor: SshExecutor, tmp_path: Path
) -> None:
    server = await add_key_server(servers, sshd)
    await executor.run(make_job("BASH", "true", [server]), RecordingSink())  # connected: start-up is all that is left
    before = remote_folders(sshd)
    for attempt, delay in enumerate([0, 0.002, 0.005, 0.01, 0.02, 0.04]):
        pid_file, terminated = tmp_path / f"pid-{attempt}", tmp_path / f"terminated-{attempt}"
        script = f"trap 'touch {terminated}; exit 0' TERM\necho $$ > {pid_file}\nsleep 300\n"
        task = asyncio.create_task(executor.run(make_job("BASH", script, [server]), RecordingSink()))
        await asyncio.sleep(delay)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.3)  # a script that escaped would have written its PID by now

        if pid_file.exists():  # it had started: it was asked to stop, not killed after the grace
            assert terminated.exists(), f"cancelled after {delay} s"
            assert not is_running(int(pid_file.read_text()))
        assert remote_folders(sshd) == before, f"cancelled after {delay} s"


async def test_the_remote_folder_is_removed_after_success_and_failure(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    server = await add_key_server(servers, sshd)
    before = remote_folders(sshd)
    sink = RecordingSink()
    script = 'echo "$CRONIUM_RUN_DIR"; mkdir -p deep/er; touch deep/er/file; chmod 000 deep; exit 3'

    failed = await executor.run(make_job("BASH", script, [server]), sink)
    ok = await executor.run(make_job("PYTHON", "print('fine')", [server]), RecordingSink())

    assert failed.status == "FAILURE" and failed.exit_code == 3
    assert failed.error == "Exited with code 3."
    assert ok.status == SUCCESS
    run_dir = sink.texts("stdout")[0]
    assert run_dir.startswith(f"{sshd.tmp}/cronium-run.")
    assert not Path(run_dir).exists()
    assert remote_folders(sshd) == before


async def add_unprivileged_server(servers: ServerService, sshd: SshServer) -> ServerInfo:
    """A server that logs in as the fixture's ordinary user: root could remove anything."""
    return await servers.add("plain", host=sshd.host, port=sshd.port, username=sshd.password_user,
                             auth_method="PASSWORD", password=sshd.password, verify=True, accept_host_key=True)


async def test_a_folder_the_script_locked_is_still_removed(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    server = await add_unprivileged_server(servers, sshd)
    before = remote_folders(sshd)
    sink = RecordingSink()
    script = 'echo "$CRONIUM_RUN_DIR"; mkdir -p deep/er; touch deep/er/file; chmod 000 deep'

    result = await executor.run(make_job("BASH", script, [server]), sink)

    assert result.status == SUCCESS, sink.lines
    assert not Path(sink.texts("stdout")[0]).exists()
    assert remote_folders(sshd) == before
    assert sink.texts("system") == []


async def test_what_the_login_user_cannot_remove_is_named_in_the_log(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    server = await add_unprivileged_server(servers, sshd)
    script = 'echo "$CRONIUM_RUN_DIR"; while [ ! -e "$CRONIUM_RUN_DIR/locked/file" ]; do sleep 0.05; done; echo done'
    planted: list[Path] = []

    def plant_a_file_of_roots(stream: str, text: str, server: str | None) -> None:
        if stream == "stdout" and text.startswith(f"{sshd.tmp}/cronium-run."):  # as a script run with sudo might
            (Path(text) / "locked").mkdir()
            (Path(text) / "locked" / "file").write_text("root's\n")
            planted.append(Path(text))

    sink = RecordingSink()
    sink.on_line = plant_a_file_of_roots
    try:
        result = await executor.run(make_job("BASH", script, [server], timeout=20), sink)

        assert result.status == SUCCESS, sink.lines
        [folder] = planted
        assert sink.texts("system") == [
            f"Server 'plain' ({sshd.host}:{sshd.port}): the run folder {folder} could not be removed "
            f"(rm: cannot remove '{folder}/locked/file': Permission denied)."
        ]
        assert os.listdir(folder) == ["locked"]  # everything else is gone
    finally:
        for folder in planted:
            shutil.rmtree(folder, ignore_errors=True)


async def test_a_script_that_removes_its_own_folder_is_still_stopped_at_its_timeout(
    sshd: SshServer, servers: ServerService, executor: SshExecutor, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    server = await add_key_server(servers, sshd)
    sink = RecordingSink()
    script = f'echo "$CRONIUM_RUN_DIR"; rm -rf "$CRONIUM_RUN_DIR"; echo $$ > {pid_file}; echo gone; sleep 300'

    result = await executor.run(make_job("BASH", script, [server], timeout=1.5), sink)

    assert result.status == "TIMEOUT"
    assert "gone" in sink.texts("stdout")
    assert not is_running(int(pid_file.read_text()))
    assert result.output is None and result.variables == {}
    assert not any("could not" in text for text in sink.texts("system"))
    # Its own folder, not a count of /tmp: other workers' runs come and go there meanwhile.
    [folder] = [text for text in sink.texts("stdout") if text.startswith(f"{sshd.tmp}/cronium-run.")]
    assert not os.path.exists(folder)


async def test_an_output_over_10_mb_is_refused_on_the_server_without_being_sent(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    server = await add_key_server(servers, sshd)
    before = remote_folders(sshd)
    sink = RecordingSink()
    # 3 GB, sparse: instant to make, and a run that fetched it first would not finish in time.
    script = "source cronium.sh\ncronium_setVariable kept yes\ntruncate -s 3G output.json\n"

    result = await asyncio.wait_for(executor.run(make_job("BASH", script, [server]), sink), 20)

    assert result.status == "FAILURE"
    assert result.error == "Output refused: 3072.0 MB is over the 10 MB limit for cronium output."
    assert sink.texts("system") == [result.error]
    assert result.output is None
    assert result.variables == {"kept": "yes"}
    assert remote_folders(sshd) == before


async def test_links_and_pipes_the_script_leaves_are_not_read_back(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    server = await add_key_server(servers, sshd)
    sink = RecordingSink()
    script = ("ln -s /dev/zero output.json; mkfifo condition; mkdir vars.out; ln -s /etc/hostname vars.out/linked; "
              "printf v > vars.out/kept")

    result = await asyncio.wait_for(executor.run(make_job("BASH", script, [server]), sink), 20)

    assert result.status == SUCCESS, sink.lines
    assert result.output is None and result.condition is False
    assert result.variables == {"kept": "v"}


async def test_long_names_odd_names_and_non_utf8_values_round_trip_as_locally(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    server = await add_key_server(servers, sshd)
    long_key = "k" * 200
    sink = RecordingSink()
    script = textwrap.dedent(f"""\
        source cronium.sh
        echo "read=$(cronium_getVariable {long_key})"
        cronium_setVariable {long_key} "back: $(cronium_getVariable {long_key})"
        printf '\\377\\376raw' > vars.out/raw
        printf x > "vars.out/bad name"
        printf x > "$(printf 'vars.out/\\377')"
    """)

    result = await executor.run(make_job("BASH", script, [server], variables={long_key: "wert ü €"}), sink)

    assert "read=wert ü €" in sink.texts("stdout"), sink.lines
    assert result.variables == {long_key: "back: wert ü €", "raw": "\ufffd\ufffdraw"}
    assert result.status == "FAILURE"  # names Cronium cannot save are an error, as for local runs
    problems = sink.texts("system")
    assert len(problems) == 2
    assert problems[0].startswith("Variable 'bad name' not saved: names start with a letter or '_'")
    assert problems[1].startswith("Variable '\\udcff' not saved")


async def test_a_server_without_tar_gets_a_clear_error(
    sshd: SshServer, servers: ServerService, executor: SshExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await add_key_server(servers, sshd)
    before = remote_folders(sshd)
    monkeypatch.setattr(ssh_executor, "TAR", "tar-not-installed")  # what the server's PATH lacks
    sink = RecordingSink()

    result = await executor.run(make_job("BASH", "echo never", [server]), sink)

    assert result.status == "FAILURE" and result.exit_code is None
    assert result.error == (f"Server 'loop' ({sshd.host}:{sshd.port}): tar-not-installed was not found on this server; "
                            "install tar-not-installed there (the run's files are sent to the server as a tar archive).")
    assert sink.texts("system") == [result.error]
    assert sink.texts("stdout") == []
    assert remote_folders(sshd) == before
    monkeypatch.undo()
    assert (await executor.run(make_job("BASH", "echo fine", [server]), RecordingSink())).status == SUCCESS


def command_lines_containing(value: str) -> list[str]:
    found = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        if value.encode() in data:
            found.append(data.replace(b"\0", b" ").decode(errors="replace"))
    return found


async def test_secret_env_reaches_the_script_but_not_any_command_line(
    sshd: SshServer, servers: ServerService, executor: SshExecutor, tmp_path: Path
) -> None:
    server = await add_key_server(servers, sshd)
    secret = "s3cr3t-value-" + os.urandom(4).hex()
    marker = tmp_path / "scanned"
    script = textwrap.dedent(f"""\
        [ "$API_TOKEN" = '{secret}' ] && echo "token matches"
        echo "mode=$MODE"
        ls -a "$CRONIUM_RUN_DIR" | grep -c cronium-env | sed 's/^/env_files=/'
        ls -ld "$CRONIUM_RUN_DIR" | cut -c1-10
        echo running
        while [ ! -e {marker} ]; do sleep 0.05; done
    """)
    seen: list[str] = []

    def scan_while_running(stream: str, text: str, server: str | None) -> None:
        if text == "running":
            seen.extend(command_lines_containing(secret))
            marker.touch()

    sink = RecordingSink()
    sink.on_line = scan_while_running
    job = make_job("BASH", script, [server], env={"API_TOKEN": secret, "MODE": "it's \"quoted\""})

    result = await executor.run(job, sink)

    assert result.status == SUCCESS, sink.lines
    out = sink.texts("stdout")
    assert "token matches" in out
    assert "mode=it's \"quoted\"" in out
    assert "env_files=0" in out  # sourced, then deleted before the script started
    assert "drwx------" in out  # the private mktemp -d folder
    assert seen == []


async def test_several_servers_run_in_parallel_with_one_result_each(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    first = await add_key_server(servers, sshd, "alpha")
    second = await add_key_server(servers, sshd, "beta")
    sink = RecordingSink()
    script = 'import cronium\nname = cronium.event()["server"]\nprint("on " + name)\ncronium.output({"on": name})\n'

    result = await executor.run(make_job("PYTHON", script, [first, second]), sink)

    assert result.status == SUCCESS
    assert [(o.server_name, o.status) for o in result.servers] == [("alpha", SUCCESS), ("beta", SUCCESS)]
    assert result.output == {"alpha": {"on": "alpha"}, "beta": {"on": "beta"}}
    assert sink.texts("stdout", server="alpha") == ["on alpha"]
    assert sink.texts("stdout", server="beta") == ["on beta"]


async def test_one_unreachable_server_makes_the_run_partial(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    good = await add_key_server(servers, sshd, "good")
    down = await servers.add("down", host="127.0.0.1", port=free_port(), username=sshd.user, auth_method="KEY",
                             key_path=str(sshd.key_path))
    sink = RecordingSink()

    result = await executor.run(make_job("BASH", "echo hi", [good, down]), sink)

    assert result.status == "PARTIAL"
    by_name = {o.server_name: o for o in result.servers}
    assert by_name["good"].status == SUCCESS and by_name["good"].exit_code == 0
    assert by_name["down"].status == "FAILURE" and by_name["down"].exit_code is None
    assert "cannot connect" in (by_name["down"].error or "")
    assert "1 of 2 servers did not succeed" in (result.error or "")
    assert any("cannot connect" in text for text in sink.texts("system", server="down"))


async def test_every_server_failing_makes_the_run_a_failure(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    first = await add_key_server(servers, sshd, "one")
    second = await add_key_server(servers, sshd, "two")

    result = await executor.run(make_job("BASH", "exit 4", [first, second]), RecordingSink())

    assert result.status == "FAILURE"
    assert result.exit_code == 4
    assert [o.exit_code for o in result.servers] == [4, 4]


async def test_a_second_run_reuses_the_connection(sshd: SshServer, servers: ServerService, executor: SshExecutor) -> None:
    server = await add_key_server(servers, sshd)
    script = 'echo "$SSH_CONNECTION" | cut -d" " -f2'
    first_sink, second_sink = RecordingSink(), RecordingSink()

    await executor.run(make_job("BASH", script, [server]), first_sink)
    accepted = sshd.connections()
    await executor.run(make_job("BASH", script, [server]), second_sink)

    assert sshd.connections() == accepted  # sshd accepted no new TCP connection
    assert first_sink.texts("stdout") == second_sink.texts("stdout")  # same client port
    assert servers.pool.connects(server.id) == 1


async def test_a_dropped_connection_is_reopened_for_the_next_run(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    server = await add_key_server(servers, sshd)
    await executor.run(make_job("BASH", "true", [server]), RecordingSink())
    spec = await servers.load_spec(server.id)
    servers.pool.transport(spec).close()  # as if the network dropped it

    result = await executor.run(make_job("BASH", "echo again", [server]), RecordingSink())

    assert result.status == SUCCESS
    assert servers.pool.connects(server.id) == 2


async def test_a_missing_interpreter_is_named(sshd: SshServer, servers: ServerService, executor: SshExecutor) -> None:
    server = await add_key_server(servers, sshd)
    sink = RecordingSink()

    result = await executor.run(make_job("NODEJS", "console.log(1)", [server], env={"PATH": "/nonexistent"}), sink)

    assert result.status == "FAILURE" and result.exit_code == 127
    assert any("Node.js interpreter 'node' was not found on this server" in t for t in sink.texts("stderr"))


async def test_an_events_own_search_paths_stay_behind_the_helper_remotely(
    sshd: SshServer, servers: ServerService, executor: SshExecutor, tmp_path: Path
) -> None:
    (tmp_path / "python").mkdir()
    (tmp_path / "python" / "shared_lib.py").write_text("NAME = 'py lib'\n")
    (tmp_path / "node" / "shared_lib").mkdir(parents=True)
    (tmp_path / "node" / "shared_lib" / "index.js").write_text("module.exports = { name: 'node lib' };\n")
    server = await add_key_server(servers, sshd)
    for event_type, script, env, expected in (
        ("PYTHON", "import cronium, shared_lib\nprint(shared_lib.NAME)", {"PYTHONPATH": str(tmp_path / "python")},
         "py lib"),
        ("NODEJS", "require('cronium');\nconsole.log(require('shared_lib').name);",
         {"NODE_PATH": str(tmp_path / "node")}, "node lib"),
    ):
        sink = RecordingSink()
        result = await executor.run(make_job(event_type, script, [server], env=env), sink)
        assert result.status == SUCCESS, sink.lines
        assert sink.texts("stdout", server="loop") == [expected]


async def test_a_remote_run_records_the_cpu_seconds_the_server_reports(
        sshd: SshServer, servers: ServerService, executor: SshExecutor) -> None:  # noqa: F811
    server = await add_key_server(servers, sshd)
    script = ("import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end:\n"
              "    for _ in range(100000):\n        pass\n")
    result = await executor.run(make_job("PYTHON", script, [server]), RecordingSink())
    assert result.status == SUCCESS
    assert result.metrics is not None and result.metrics.cpu_user_s is not None
    assert result.metrics.cpu_user_s >= 0.9
    assert result.metrics.max_rss_bytes is None  # not told through the session: left unknown, not guessed


async def test_a_remote_script_killed_by_a_signal_is_still_reported_as_killed_and_named(
        sshd: SshServer, servers: ServerService, executor: SshExecutor) -> None:  # noqa: F811
    server = await add_key_server(servers, sshd)
    result = await executor.run(make_job("BASH", "kill -KILL $$", [server]), RecordingSink())
    assert result.status == "FAILURE"
    assert result.exit_code == 137 and "Killed by signal SIGKILL" in (result.error or "")  # as a local run says it
    assert result.metrics is not None and result.metrics.signal == "SIGKILL"
