"""A container run outlives the app: Docker keeps the container (and its exit code) when the app is
killed, so the next start finds it again by its labels and reads its spool files on from the byte
offsets the store already holds (the files are in its run folder on this computer, bind-mounted,
which is left in the run folders root until the run is recorded, then removed with the container).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cronium_desktop.engine.docker_engine import (
    LABEL_ATTEMPT,
    LABEL_DATA_FOLDER,
    LABEL_EXECUTION,
    DockerEngine,
    DockerUnavailable,
)
from cronium_desktop.engine.executors.local import run_folder_prefix
from cronium_desktop.engine.folder import remove_tree


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


def remove(docker: DockerEngine, left: Left) -> None:
    """Remove the container (what is left of it) and the run folder. Blocking."""
    try:
        docker.call(lambda client: client.containers.get(left.container_id).remove(force=True))
    except Exception:  # noqa: BLE001, S110 - already gone, or Docker is away
        pass
    remove_tree(left.folder)
