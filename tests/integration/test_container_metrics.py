"""A container run's cost comes from the engine's own cgroup figures (real dockerd)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cronium_desktop.engine.engine import Engine
from tests.conftest import TEST_PASSPHRASE
from tests.fixtures.dockerd import DockerDaemon
from tests.fixtures.dockerd import dockerd_fixture as dockerd  # noqa: F401 - session-scoped fixture

MB = 1024 * 1024


@pytest.fixture
async def engine(data_dir: Path, dockerd: DockerDaemon) -> AsyncIterator[Engine]:  # noqa: F811
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    engine.settings.set("docker_endpoint", dockerd.endpoint)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop(grace_seconds=1)


def python_in_container(dockerd: DockerDaemon, name: str, content: str, memory_mb: int = 512) -> dict:  # noqa: F811
    return {"name": name, "type": "PYTHON", "content": content, "run_location": "CONTAINER",
            "container": {"image": dockerd.python_image, "network": "none", "memory_mb": memory_mb}}


async def test_a_container_runs_peak_memory_and_cpu_come_from_the_engine(engine: Engine, dockerd: DockerDaemon) -> None:  # noqa: F811
    script = "import time\ndata = b'\\x01' * (120 * 1024 * 1024)\nend = time.time() + 2.5\nwhile time.time() < end:\n    pass\n"
    event_id = await engine.events.create(python_in_container(dockerd, "Big in a box", script))
    run = await engine.runs.get((await engine.runs.wait(await engine.runs.start(event_id), timeout=120)).execution_id)
    assert run.status == "SUCCESS", run.error
    assert run.metrics is not None
    assert run.metrics.figures["max_rss_bytes"] >= 120 * MB
    assert run.metrics.figures["cpu_user_s"] > 0.2  # the last sample may be up to a second before the end


async def test_a_container_stopped_at_its_memory_limit_records_sigkill_and_the_reason(
        engine: Engine, dockerd: DockerDaemon) -> None:  # noqa: F811
    script = "chunks = []\nwhile True:\n    chunks.append(b'\\x01' * (16 * 1024 * 1024))\n"
    event_id = await engine.events.create(python_in_container(dockerd, "Hungry box", script, memory_mb=64))
    run = await engine.runs.get((await engine.runs.wait(await engine.runs.start(event_id), timeout=120)).execution_id)
    assert run.status == "FAILURE"
    attempts = await engine.metrics.of_run(run.execution_id)
    assert attempts[0].figures["signal"] == "SIGKILL"
    assert "Out of memory" in (attempts[0].limit_reason or "") and "64 MB" in (attempts[0].limit_reason or "")
