"""A container run outlives the app: Docker keeps the container (and its exit code) when the app is
killed, so the next start finds it again by its labels and follows its logs from the lines the
store already holds. Its run folder on this computer (bind-mounted) is left in the run folders root
until the run is recorded, then removed with the container.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cronium_desktop.engine.docker_engine import (
    LABEL_ATTEMPT,
    LABEL_DATA_FOLDER,
    LABEL_EXECUTION,
    DockerEngine,
    DockerUnavailable,
)
from cronium_desktop.engine.executors.local import run_folder_prefix
from cronium_desktop.engine.executors.ssh import LineSplitter


@dataclass(frozen=True)
class Left:
    container_id: str
    folder: Path
    attempt: int


def find(docker: DockerEngine, data_dir: Path, root: Path, execution_id: int) -> Left | None:
    """The newest container of the run and its run folder, if both are still there. Docker is asked
    only when a container run's folder was left behind (a local run's folder has an `identity`)."""
    folders = [f for f in root.glob(run_folder_prefix(execution_id) + "*") if not (f / "identity").exists()] if root.is_dir() else []
    if not folders:
        return None
    labels = [f"{LABEL_DATA_FOLDER}={data_dir}", f"{LABEL_EXECUTION}={execution_id}"]
    try:
        containers = docker.call(lambda client: client.containers.list(all=True, filters={"label": labels}))
    except DockerUnavailable:
        return None  # as interrupted: Docker is not there to ask
    for container in sorted(containers, key=lambda c: int(c.labels.get(LABEL_ATTEMPT, "0")), reverse=True):
        attempt = int(container.labels.get(LABEL_ATTEMPT, "0"))
        for folder in folders:
            if folder.name.endswith(f"-{attempt}"):
                return Left(container.id, folder, attempt)
    return None


def skip_lines(chunks: Iterable[bytes], count: int) -> Iterator[bytes]:
    """The chunks after their first `count` newlines: the lines the store already holds."""
    for chunk in chunks:
        while count > 0 and chunk:
            cut = chunk.find(b"\n")
            if cut < 0:
                chunk = b""
                break
            chunk, count = chunk[cut + 1:], count - 1
        if chunk:
            yield chunk


def follow_logs(container: Any, skips: tuple[int, int], out: LineSplitter, err: LineSplitter) -> None:
    """Follow the container's stdout and stderr (one thread each: the log stream does not say which
    stream a chunk came from) until it ends. Blocking."""
    def one(stdout: bool, skip: int, splitter: LineSplitter) -> None:
        try:
            for chunk in skip_lines(container.logs(stdout=stdout, stderr=not stdout, stream=True, follow=True), skip):
                splitter.feed(chunk)
        finally:
            splitter.close()

    other = threading.Thread(target=one, args=(False, skips[1], err), name="container-logs", daemon=True)
    other.start()
    one(True, skips[0], out)
    other.join()


def remove(docker: DockerEngine, left: Left) -> None:
    """Remove the container (what is left of it) and the run folder. Blocking."""
    try:
        docker.call(lambda client: client.containers.get(left.container_id).remove(force=True))
    except Exception:  # noqa: BLE001, S110 - already gone, or Docker is away
        pass
    shutil.rmtree(left.folder, ignore_errors=True)
