"""The Docker engine this app talks to: where it is, whether it answers, its images, pulls.

The endpoint is the `docker_endpoint` Setting when set, else `DOCKER_HOST`, else the platform's
default socket. Every method blocks (the docker SDK): call them from a worker thread. Failures to
reach the engine become `DockerUnavailable` with one sentence that names the fix, the line a run's
log and the Settings page show.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronium_desktop.engine.settings import Settings

if TYPE_CHECKING:
    import docker

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "unix:///var/run/docker.sock"
API_TIMEOUT_SECONDS = 60
# Labels on every container this app starts: which data folder and which run it belongs to.
LABEL_DATA_FOLDER = "io.cronium-desktop.data-folder"
LABEL_EXECUTION = "io.cronium-desktop.execution"
LABEL_ATTEMPT = "io.cronium-desktop.attempt"
LABEL_EVENT = "io.cronium-desktop.event"
NETWORK_CHECK_SECONDS = 30.0
FIX_ENDPOINT = "or set its endpoint in Settings → Docker"


class DockerUnavailable(Exception):
    """The engine cannot be reached; the message names the fix."""


class PullFailed(Exception):
    """An image could not be pulled; the message names the image."""


@dataclass
class DockerStatus:
    endpoint: str
    running: bool
    version: str | None = None
    reason: str | None = None  # why it is not running, naming the fix


def unavailable_message(error: BaseException, endpoint: str) -> str:
    """One sentence for an engine that does not answer, from the SDK's (nested) error."""
    text = str(error)
    if "Permission denied" in text or isinstance(error, PermissionError):
        return (f"Docker at {endpoint}: permission denied on its socket. Add your user to the 'docker' group "
                f"(sudo usermod -aG docker $USER, then log in again), {FIX_ENDPOINT}.")
    if "No such file or directory" in text or isinstance(error, FileNotFoundError):
        return (f"Docker is not running or not installed (nothing at {endpoint}). Install Docker and start it "
                f"(e.g. sudo systemctl start docker), {FIX_ENDPOINT}.")
    if "Connection refused" in text or isinstance(error, ConnectionRefusedError):
        return f"Docker is not running at {endpoint}. Start it (e.g. sudo systemctl start docker), {FIX_ENDPOINT}."
    reason = text.splitlines()[0][:300] if text else type(error).__name__
    return f"Docker at {endpoint} could not be reached ({reason}). Check that it is running, {FIX_ENDPOINT}."


class DockerEngine:
    """One client per endpoint, made on first use and kept (its connections are pooled)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._clients: dict[str, docker.DockerClient] = {}
        self._lock = threading.Lock()
        self._networks: dict[tuple[str, str], tuple[bool, float]] = {}

    def endpoint(self) -> str:
        configured = str(self._settings.get("docker_endpoint") or "").strip()
        return configured or os.environ.get("DOCKER_HOST") or DEFAULT_ENDPOINT

    def client(self) -> docker.DockerClient:
        """A client of the engine, or DockerUnavailable. Connecting asks the engine its API version."""
        endpoint = self.endpoint()
        with self._lock:
            client = self._clients.get(endpoint)
        if client is not None:
            return client
        import docker  # loaded on first use: the SDK takes a while to import

        try:
            client = docker.DockerClient(base_url=endpoint, version="auto", timeout=API_TIMEOUT_SECONDS)
        except docker.errors.DockerException as error:
            raise DockerUnavailable(unavailable_message(error, endpoint)) from error
        with self._lock:
            self._clients[endpoint] = client
        return client

    def forget(self) -> None:
        """Drop the clients, so the next use connects afresh (after the engine went away)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def call(self, action: Callable[[docker.DockerClient], Any]) -> Any:
        """Run `action` with a client; a connection error becomes DockerUnavailable."""
        import requests

        client = self.client()
        try:
            return action(client)
        except requests.exceptions.ConnectionError as error:
            self.forget()
            raise DockerUnavailable(unavailable_message(error, self.endpoint())) from error

    def status(self) -> DockerStatus:
        endpoint = self.endpoint()
        try:
            version = self.call(lambda client: client.version())
        except DockerUnavailable as error:
            return DockerStatus(endpoint, False, reason=str(error))
        return DockerStatus(endpoint, True, version=str(version.get("Version", "?")))

    def local_images(self) -> list[str]:
        """Every tagged image on the engine, as `name:tag`, sorted."""
        images = self.call(lambda client: client.images.list())
        return sorted({tag for image in images for tag in image.tags})

    def has_network(self, name: str) -> bool:
        """Whether the engine has this network; remembered a while, as it is asked before each run."""
        endpoint = self.endpoint()
        now = time.monotonic()
        known = self._networks.get((endpoint, name))
        if known is not None and now - known[1] < NETWORK_CHECK_SECONDS:
            return known[0]
        found = bool(self.call(lambda client: client.networks.list(names=[name])))
        self._networks[(endpoint, name)] = (found, now)
        return found

    def has_image(self, image: str) -> bool:
        import docker

        try:
            self.call(lambda client: client.images.get(image))
            return True
        except docker.errors.ImageNotFound:
            return False

    def pull(self, image: str, progress: Callable[[str], None]) -> None:
        """Pull `image`, telling `progress` one line per layer step; PullFailed names the image."""
        import docker
        from docker.utils import parse_repository_tag

        repository, tag = parse_repository_tag(image)
        progress(f"Pulling image {image!r}…")
        try:
            stream = self.call(lambda client: client.api.pull(repository, tag or "latest", stream=True, decode=True))
            last: dict[str, str] = {}
            for item in stream:
                if "error" in item:
                    raise PullFailed(pull_failed_message(image, str(item["error"])))
                status, layer = str(item.get("status", "")), str(item.get("id", ""))
                # Byte counts change many times a second: report only each layer's step changes.
                if status and last.get(layer) != status:
                    last[layer] = status
                    progress(f"{layer}: {status}" if layer else status)
        except docker.errors.APIError as error:
            raise PullFailed(pull_failed_message(image, str(error.explanation or error))) from error
        progress(f"Pulled image {image!r}.")

    def remove_left_behind(self, data_dir: Path, execution_ids: list[int]) -> int:
        """Remove the containers of these runs of this data folder; returns how many were removed."""
        if not execution_ids:
            return 0
        wanted = {str(execution_id) for execution_id in execution_ids}
        containers = self.call(lambda client: client.containers.list(
            all=True, filters={"label": [f"{LABEL_DATA_FOLDER}={data_dir}"]}))
        removed = 0
        for container in containers:
            if container.labels.get(LABEL_EXECUTION) in wanted:
                container.remove(force=True)
                removed += 1
        return removed


def pull_failed_message(image: str, reason: str) -> str:
    reason = reason.strip().splitlines()[0][:300] if reason.strip() else "no reason given"
    return (f"Image {image!r} is not on this computer and could not be pulled ({reason}). Check the image name, "
            "or pull or load it into Docker on this computer.")
