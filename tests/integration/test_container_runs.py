"""Container runs end to end on a real dockerd (SPEC §1 `container`, §2, §3): isolation, helpers,
limits, clean-up, secrets, and the lines a user reads when Docker or an image is missing."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cronium_desktop.engine.docker_engine import LABEL_DATA_FOLDER, LABEL_EXECUTION
from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.executors.local import run_folders_root
from cronium_desktop.engine.runs.runner import REATTACHED
from cronium_desktop.engine.secrets import MASK
from tests.conftest import TEST_PASSPHRASE, Cli
from tests.fixtures.dockerd import DockerDaemon
from tests.fixtures.dockerd import dockerd_fixture as dockerd  # noqa: F401 - session-scoped fixture

BASH_HELPERS = """
source cronium.sh
echo "input $(cronium_input)"
echo "seen $(cronium_getVariable counter)"
cronium_setVariable counter "from-bash"
cronium_setCondition true
cronium_output '{"doubled": 10}'
"""

PYTHON_HELPERS = """
import cronium
data = cronium.input()
print("input", data)
print("seen", cronium.getVariable("counter"))
cronium.setVariable("counter", "from-python")
cronium.setCondition(True)
cronium.output({"doubled": data["n"] * 2})
"""

NEXT_EVENT = {"BASH": "source cronium.sh\necho \"next got $(cronium_input)\"",
              "PYTHON": "import cronium\nprint('next got', cronium.input())"}


@pytest.fixture
async def engine(data_dir: Path, dockerd: DockerDaemon) -> AsyncIterator[Engine]:  # noqa: F811
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    engine.settings.set("docker_endpoint", dockerd.endpoint)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop(grace_seconds=1)


def container_event(dockerd: DockerDaemon, name: str, event_type: str, content: str, **extra: object) -> dict:  # noqa: F811
    image = dockerd.python_image if event_type == "PYTHON" else dockerd.bash_image
    container = {"image": image, "network": "none", **extra.pop("container", {})}  # type: ignore[dict-item]
    return {"name": name, "type": event_type, "content": content, "run_location": "CONTAINER",
            "container": container, **extra}


async def log_texts(engine: Engine, execution_id: int) -> list[str]:
    return [line.text for line in await engine.runs.log(execution_id)]


def containers_of(dockerd: DockerDaemon, data_dir: Path) -> list[str]:  # noqa: F811
    return dockerd.containers(f"{LABEL_DATA_FOLDER}={data_dir}")


async def wait_for_container(dockerd: DockerDaemon, data_dir: Path, timeout: float = 60) -> str:  # noqa: F811
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await asyncio.to_thread(containers_of, dockerd, data_dir)
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError("no container was started")


async def test_script_runs_in_a_container_of_its_own_that_is_removed_after(
        engine: Engine, dockerd: DockerDaemon, data_dir: Path) -> None:  # noqa: F811
    event_id = await engine.events.create(container_event(dockerd, "Where", "BASH", "hostname; cat /proc/1/cgroup"))
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "SUCCESS", await log_texts(engine, run.execution_id)
    lines = await log_texts(engine, run.execution_id)
    assert lines[0] != socket.gethostname()
    assert any("docker" in line for line in lines[1:])  # the container's own cgroup, not the host's
    assert Path("/proc/1/cgroup").read_text().splitlines() != lines[1:]
    assert containers_of(dockerd, data_dir) == []


@pytest.mark.parametrize(("language", "script"), [("BASH", BASH_HELPERS), ("PYTHON", PYTHON_HELPERS)])
async def test_helpers_pass_input_output_variables_and_condition_to_the_next_event(
        engine: Engine, dockerd: DockerDaemon, language: str, script: str) -> None:  # noqa: F811
    await engine.events.create(container_event(dockerd, "Next", language, NEXT_EVENT[language]))
    event_id = await engine.events.create(container_event(
        dockerd, "Helpers", language, script,
        conditional_actions=[{"on": "ON_CONDITION", "action": "RUN_EVENT", "event": "Next"}]))
    first = await engine.runs.wait(await engine.runs.start(event_id, input={"n": 5}))
    assert first.status == "SUCCESS", await log_texts(engine, first.execution_id)
    assert first.output == {"doubled": 10}
    lines = await log_texts(engine, first.execution_id)
    assert lines[0].replace(" ", "").replace("'", '"') == 'input{"n":5}'
    assert lines[1] in ("seen None", "seen ")
    assert (await engine.variables.get("counter")).value == f"from-{language.lower()}"
    assert (await engine.runs.get(first.execution_id)).condition is True
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = [r for r in await engine.runs.list() if r.event == "Next" and r.finished_at]
        if runs:
            break
        await asyncio.sleep(0.1)
    [following] = runs
    assert following.status == "SUCCESS"
    [got] = await log_texts(engine, following.execution_id)
    assert got.replace(" ", "").replace("'", '"') == 'nextgot{"doubled":10}'


async def test_memory_limit_ends_the_run_as_failure_naming_the_limit(engine: Engine, dockerd: DockerDaemon) -> None:  # noqa: F811
    script = "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n"
    event_id = await engine.events.create(container_event(dockerd, "Hungry", "PYTHON", script,
                                                          container={"memory_mb": 64}))
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "FAILURE"
    assert "Out of memory" in (run.error or "") and "64 MB" in (run.error or "")
    assert any("Out of memory" in line and "64 MB" in line for line in await log_texts(engine, run.execution_id))


async def test_network_none_allows_no_connection(engine: Engine, dockerd: DockerDaemon) -> None:  # noqa: F811
    script = """
import os, socket
print("interfaces", sorted(os.listdir("/sys/class/net")))
try:
    socket.create_connection(("192.0.2.1", 80), timeout=3)
    print("connected")
except OSError as error:
    print("refused", type(error).__name__)
"""
    event_id = await engine.events.create(container_event(dockerd, "Offline", "PYTHON", script))
    run = await engine.runs.wait(await engine.runs.start(event_id))
    lines = await log_texts(engine, run.execution_id)
    assert lines[0] == "interfaces ['lo']"
    assert lines[1].startswith("refused")


async def test_unavailable_network_mode_fails_with_a_clear_line(engine: Engine, dockerd: DockerDaemon) -> None:  # noqa: F811
    event_id = await engine.events.create(container_event(dockerd, "Bridged", "BASH", "echo hi",
                                                          container={"network": "bridge"}))
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "FAILURE"
    assert "network 'bridge' is not available" in (run.error or "")
    assert await log_texts(engine, run.execution_id) == [run.error]


async def test_timeout_stops_the_container_with_sigterm_first_and_removes_it(
        engine: Engine, dockerd: DockerDaemon, data_dir: Path) -> None:  # noqa: F811
    script = "trap 'echo got TERM; exit 143' TERM\necho started\nsleep 60 & wait"
    event_id = await engine.events.create(container_event(dockerd, "Slow", "BASH", script, timeout_seconds=2))
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "TIMEOUT"
    lines = await log_texts(engine, run.execution_id)
    assert "started" in lines and "got TERM" in lines
    assert containers_of(dockerd, data_dir) == []


async def test_cancel_stops_and_removes_the_container(engine: Engine, dockerd: DockerDaemon, data_dir: Path) -> None:  # noqa: F811
    event_id = await engine.events.create(container_event(dockerd, "Cancel me", "BASH", "trap 'exit 143' TERM; sleep 60 & wait"))
    execution_id = await engine.runs.start(event_id)
    await wait_for_container(dockerd, data_dir)
    await engine.runs.cancel(execution_id)
    run = await engine.runs.wait(execution_id)
    assert run.status == "CANCELLED"
    assert containers_of(dockerd, data_dir) == []


async def test_secret_env_value_reaches_the_script_but_not_docker_inspect(
        engine: Engine, dockerd: DockerDaemon, data_dir: Path) -> None:  # noqa: F811
    secret = "s3cret-token-4-container"
    # It waits (up to 20 s) for the test to have looked at the container before it ends.
    script = ('echo "plain=$MODE"\n[ "$TOKEN" = "s3cret-token-4-container" ] && echo token-ok\n'
              '[ -e .cronium-env ] || echo env-file-gone\necho "$TOKEN"\n'
              'for i in $(seq 200); do [ -e inspected ] && break; sleep 0.1; done')
    event_id = await engine.events.create(container_event(
        dockerd, "Secret", "BASH", script, env={"MODE": "fast", "TOKEN": secret}, secret_env=["TOKEN"]))
    execution_id = await engine.runs.start(event_id)
    container_id = await wait_for_container(dockerd, data_dir)
    client = dockerd.client
    try:
        inspected = json.dumps(client.api.inspect_container(container_id))
    finally:
        client.close()
    for folder in run_folders_root(data_dir).glob(f"run-{execution_id}-*"):
        (folder / "inspected").touch()
    assert secret not in inspected
    assert json.loads(inspected)["Config"]["Labels"][LABEL_EXECUTION] == str(execution_id)
    run = await engine.runs.wait(execution_id)
    lines = await log_texts(engine, run.execution_id)
    assert run.status == "SUCCESS" and lines[:3] == ["plain=fast", "token-ok", "env-file-gone"], (run, lines)
    assert lines[3] == MASK


async def test_missing_image_is_pulled_and_a_failing_pull_names_the_image(engine: Engine, dockerd: DockerDaemon) -> None:  # noqa: F811
    event_id = await engine.events.create(container_event(dockerd, "No image", "BASH", "true",
                                                          container={"image": "cronium-no-such-image:9"}))
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert run.status == "FAILURE"
    assert "Image 'cronium-no-such-image:9' is not on this computer and could not be pulled" in (run.error or "")
    lines = await log_texts(engine, run.execution_id)
    assert lines[0] == "Pulling image 'cronium-no-such-image:9'…"
    assert lines[-1] == run.error


def image_whose_shell_cannot_read_the_run_folder(dockerd: DockerDaemon) -> str:  # noqa: F811
    """The test image with a /bin/sh that fails before it reads the run's wrapper, as an image's shell
    does where the bind-mounted folder is not readable to it (SELinux without a relabel, a remapped user)."""
    name = "cronium-test-no-access:1"
    client = dockerd.client
    try:
        client.images.get(name)
    except Exception:  # noqa: BLE001 - not built yet in this dockerd
        script = ("rm /bin/sh && printf '#!/bin/busybox sh\\necho \"/bin/sh: cannot open /cronium/run/.cronium-run.sh: "
                  "Permission denied\" >&2\\nexit 2\\n' > /bin/sh && chmod 755 /bin/sh")
        builder = client.containers.run(dockerd.bash_image, ["/bin/busybox", "sh", "-c", script], detach=True)
        try:
            assert builder.wait()["StatusCode"] == 0, builder.logs()
            repository, tag = name.split(":")
            builder.commit(repository=repository, tag=tag)
        finally:
            builder.remove(force=True)
    finally:
        client.close()
    return name


async def test_what_the_images_shell_says_before_the_script_runs_is_in_the_log(
        engine: Engine, dockerd: DockerDaemon) -> None:  # noqa: F811
    """A run's output goes to spool files once the wrapper runs; a shell that fails before that still
    explains the failure: Docker's own log of the container is read for it."""
    image = await asyncio.to_thread(image_whose_shell_cannot_read_the_run_folder, dockerd)
    event_id = await engine.events.create(container_event(dockerd, "No access", "BASH", "echo never",
                                                          container={"image": image}))
    run = await engine.runs.wait(await engine.runs.start(event_id))
    assert (run.status, run.exit_code, run.error) == ("FAILURE", 2, "Exited with code 2.")
    assert await log_texts(engine, run.execution_id) == [
        "/bin/sh: cannot open /cronium/run/.cronium-run.sh: Permission denied"]


async def test_docker_not_running_fails_the_run_with_one_line_naming_the_fix(data_dir: Path, tmp_path: Path) -> None:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    engine.settings.set("docker_endpoint", f"unix://{tmp_path}/docker.sock")
    await engine.start()
    try:
        event_id = await engine.events.create({"name": "Nowhere", "type": "BASH", "content": "true",
                                               "run_location": "CONTAINER"})
        run = await engine.runs.wait(await engine.runs.start(event_id))
        assert run.status == "FAILURE"
        assert run.error and "Docker is not running or not installed" in run.error
        assert "Settings → Docker" in run.error and "systemctl start docker" in run.error
        assert await log_texts(engine, run.execution_id) == [run.error]
        status = await asyncio.to_thread(engine.docker.status)
        assert (status.running, status.reason) == (False, run.error)
    finally:
        await engine.stop(grace_seconds=1)


async def test_container_of_a_killed_app_is_followed_again_at_restart_and_can_be_cancelled(
        data_dir: Path, cli: Cli, dockerd: DockerDaemon) -> None:  # noqa: F811
    observer = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    observer.settings.set("docker_endpoint", dockerd.endpoint)
    await observer.start()
    await observer.events.create(container_event(dockerd, "Long", "BASH", "echo started; sleep 60 & wait"))
    process = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "run", "Long"], env=cli.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await wait_for_container(dockerd, data_dir)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    await observer.stop()
    assert containers_of(dockerd, data_dir)  # Docker keeps it running while the app is down

    restarted = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await restarted.start(scheduler=True)
    try:
        [run] = await restarted.runs.list()
        assert run.status == "RUNNING"  # followed again, not failed as interrupted
        await restarted.runs.cancel(run.execution_id)
        run = await restarted.runs.wait(run.execution_id, timeout=60)
        assert run.status == "CANCELLED"
        assert REATTACHED in await log_texts(restarted, run.execution_id)
        assert containers_of(dockerd, data_dir) == []
    finally:
        await restarted.stop(grace_seconds=1)


DIES_AS_IT_RECORDS = """
import os, signal, sys
from cronium_desktop.engine.runs.runner import Runner
Runner._record_final = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
sys.argv = ["cronium-desktop", "run", "Quick"]
import runpy
runpy.run_module("cronium_desktop", run_name="__main__")
"""


async def test_a_run_whose_app_died_as_it_recorded_the_end_is_recorded_with_its_true_end_at_restart(
        data_dir: Path, cli: Cli, dockerd: DockerDaemon) -> None:  # noqa: F811
    """The app is killed (SIGKILL, at the moment it records the run's end): the container and its
    folder are still there, so the next start reads the rest of the output and the exit code."""
    observer = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    observer.settings.set("docker_endpoint", dockerd.endpoint)
    await observer.start()
    await observer.events.create(container_event(dockerd, "Quick", "BASH", "echo partial; exit 3"))
    await observer.stop()
    died = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", DIES_AS_IT_RECORDS], env=cli.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    assert died.returncode == -signal.SIGKILL
    assert containers_of(dockerd, data_dir)  # not removed before the end was recorded

    restarted = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await restarted.start(scheduler=True)
    try:
        [run] = await restarted.runs.list()
        run = await restarted.runs.wait(run.execution_id, timeout=60)
        assert (run.status, run.exit_code) == ("FAILURE", 3)
        lines = await log_texts(restarted, run.execution_id)
        assert "partial" in lines and REATTACHED in lines
        assert containers_of(dockerd, data_dir) == []
    finally:
        await restarted.stop(grace_seconds=1)


async def test_container_nodes_pass_data_in_a_workflow_like_any_other(engine: Engine, dockerd: DockerDaemon) -> None:  # noqa: F811
    await engine.events.create(container_event(dockerd, "Double", "PYTHON",
                                               "import cronium\ncronium.output({'n': cronium.input()['n'] * 2})"))
    await engine.events.create({"name": "Add", "type": "PYTHON", "content":
                                "import cronium\ncronium.output({'n': cronium.input()['n'] + 1})"})
    await engine.workflows.save({"name": "Mixed", "nodes": [{"id": "a", "event": "Double", "label": "Double"},
                                                            {"id": "b", "event": "Add", "label": "Add"}],
                                 "edges": [{"from": "a", "to": "b", "type": "ON_SUCCESS"}]})
    result = await engine.workflows.wait(await engine.workflows.run("Mixed", input={"n": 4}), timeout=60)
    assert (result.nodes["Double"].output, result.nodes["Add"].output) == ({"n": 8}, {"n": 9})


async def test_docker_host_is_honoured_when_no_endpoint_is_set(
        data_dir: Path, dockerd: DockerDaemon, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("DOCKER_HOST", dockerd.endpoint)
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start()
    try:
        status = await asyncio.to_thread(engine.docker.status)
        assert (status.running, status.endpoint) == (True, dockerd.endpoint)
        event_id = await engine.events.create(container_event(dockerd, "Via env", "BASH", "echo via env"))
        run = await engine.runs.wait(await engine.runs.start(event_id))
        assert run.status == "SUCCESS" and await log_texts(engine, run.execution_id) == ["via env"]
    finally:
        await engine.stop(grace_seconds=1)


async def test_scripts_written_for_cronium_run_as_written_in_a_container(engine: Engine, dockerd: DockerDaemon) -> None:  # noqa: F811
    """No `import cronium` in Python, and a Bash script's last JSON stdout line as its output (SPEC §3)."""
    python = await engine.events.create(container_event(
        dockerd, "As written", "PYTHON", 'cronium.setVariable("seen_in", "container")\ncronium.output({"ok": True})'))
    run = await engine.runs.wait(await engine.runs.start(python))
    assert (run.status, run.output) == ("SUCCESS", {"ok": True}), await log_texts(engine, run.execution_id)
    assert (await engine.variables.get("seen_in")).value == "container"
    bash = await engine.events.create(container_event(
        dockerd, "Backup", "BASH", '# Output for next event\necho "{\\"backup_file\\": \\"/tmp/b.tar.gz\\"}"'))
    run = await engine.runs.wait(await engine.runs.start(bash))
    assert (run.status, run.output) == ("SUCCESS", {"backup_file": "/tmp/b.tar.gz"})
