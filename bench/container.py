"""Per-run overhead of a container run, beside the `docker` CLI's own `docker run --rm IMAGE true`.

Starts its own dockerd on a private socket (as the tests do; needs root and Debian's docker.io),
builds the busybox test image, then alternates: a trivial BASH event (`true`) run through the
ContainerExecutor (create, start, output read from the spool files, wait, remove, run folder
written and read back), and the CLI's `docker run --rm --network none IMAGE true` on the same
engine. Prints both medians.
Target: the executor's median ≤ 1.25 × the CLI's.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cronium_desktop.engine.docker_engine import DockerEngine  # noqa: E402
from cronium_desktop.engine.executors.base import Job  # noqa: E402
from cronium_desktop.engine.executors.container import ContainerExecutor  # noqa: E402
from cronium_desktop.engine.secrets import Masker  # noqa: E402
from tests.fixtures.dockerd import BASH_IMAGE, build_image, dockerd_unavailable, start_dockerd, stop_dockerd  # noqa: E402

RUNS = 15
TARGET = 1.25


class QuietSink:
    masker = Masker([])

    def line(self, stream: str, text: str, server: str | None = None) -> None:
        pass

    def segment(self, segment: object, offsets: object = None) -> None:
        pass


class FixedSettings:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def get(self, key: str) -> object:
        return self.endpoint if key == "docker_endpoint" else {}


async def executor_run(executor: ContainerExecutor, number: int) -> float:
    job = Job(execution_id=number, attempt=1, event_id=1, event_name="bench", event_type="BASH", content="true",
              run_location="CONTAINER", timeout_seconds=60, container={"image": BASH_IMAGE, "network": "none"})
    started = time.perf_counter()
    result = await executor.run(job, QuietSink())
    elapsed = time.perf_counter() - started
    assert result.status == "SUCCESS", result.error
    return elapsed


def cli_run(docker: str, endpoint: str) -> float:
    started = time.perf_counter()
    subprocess.run([docker, "-H", endpoint, "run", "--rm", "--network", "none", BASH_IMAGE, "true"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


async def main() -> int:
    reason = dockerd_unavailable()
    docker_cli = shutil.which("docker")
    if reason or docker_cli is None:
        print(f"skipped: {reason or 'the docker CLI is not installed'}")
        return 0
    base = Path(tempfile.mkdtemp(prefix="cronium-dockerd-", dir="/tmp"))
    daemon = start_dockerd(base)
    data_dir = Path(tempfile.mkdtemp(prefix="cronium-bench-"))
    try:
        client = daemon.client
        build_image(client, BASH_IMAGE, python=False)
        client.close()
        engine = DockerEngine(FixedSettings(daemon.endpoint))  # type: ignore[arg-type]
        executor = ContainerExecutor(data_dir, engine, data_dir / "runs", dict)
        await executor_run(executor, 0)  # warm: SDK import, client, first container of the image
        cli_run(docker_cli, daemon.endpoint)
        ours, theirs = [], []
        for number in range(1, RUNS + 1):
            ours.append(await executor_run(executor, number))
            theirs.append(await asyncio.to_thread(cli_run, docker_cli, daemon.endpoint))
        ours_median, cli_median = statistics.median(ours), statistics.median(theirs)
        ratio = ours_median / cli_median
        print(f"container run (executor), median of {RUNS}: {ours_median * 1000:.0f} ms")
        print(f"docker run --rm IMAGE true (CLI, floor), median of {RUNS}: {cli_median * 1000:.0f} ms")
        print(f"ratio: {ratio:.2f} × the CLI (target ≤ {TARGET} ×): {'met' if ratio <= TARGET else 'NOT met'}")
        return 0
    finally:
        stop_dockerd(daemon)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
