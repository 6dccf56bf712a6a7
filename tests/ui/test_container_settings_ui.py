"""The window's container parts on a real dockerd: the editor's container fields with local images and
"Pull image", and Settings → Docker showing the engine's state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fixtures.dockerd import DockerDaemon
from tests.fixtures.dockerd import dockerd_fixture as dockerd  # noqa: F401 - session-scoped fixture
from tests.ui.conftest import run, wait_until
from tests.ui.test_window import open_editor

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def keep_screenshot(widget: Any, name: str) -> None:
    """Kept beside the other screenshots, to be looked at (offscreen here, under Xvfb by ./dev screenshots)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(SCREENSHOTS / name))


def test_editor_shows_container_fields_lists_local_images_and_saves_them(
        application: Any, loop: Any, dockerd: DockerDaemon) -> None:  # noqa: F811
    application.engine.settings.set("docker_endpoint", dockerd.endpoint)
    editor = open_editor(application)
    editor.name.setText("Boxed")
    editor.type.setCurrentIndex(editor.type.findData("PYTHON"))
    editor.code.set_text("print('hi')\n")
    assert editor.container.isHidden()
    editor.run_location.setCurrentIndex(editor.run_location.findData("CONTAINER"))
    assert not editor.container.isHidden()
    assert "python:3.12-slim" in editor.container.image.lineEdit().placeholderText()
    box = editor.container.image
    wait_until(loop, lambda: box.findText(dockerd.python_image) >= 0)
    box.setCurrentIndex(box.findText(dockerd.python_image))
    editor.container.memory.setValue(128)
    editor.container.network.setCurrentIndex(editor.container.network.findData("none"))
    assert editor.check()
    editor.tabs.setCurrentIndex(2)
    keep_screenshot(editor, "editor-container.png")
    editor.save()
    wait_until(loop, lambda: editor.saved_id is not None)
    saved = run(loop, application.engine.events.get("Boxed"))
    assert saved["container"] == {"image": dockerd.python_image, "memory_mb": 128, "cpus": 1.0, "pids": 256,
                                  "network": "none"}


def test_pull_of_an_unknown_image_says_so_beside_the_button(application: Any, loop: Any, dockerd: DockerDaemon) -> None:  # noqa: F811
    application.engine.settings.set("docker_endpoint", dockerd.endpoint)
    editor = open_editor(application)
    editor.run_location.setCurrentIndex(editor.run_location.findData("CONTAINER"))
    editor.container.image.setEditText("cronium-no-such-image:9")
    editor.container.pull_button.click()
    wait_until(loop, lambda: "could not be pulled" in editor.container.status.text())
    assert "'cronium-no-such-image:9'" in editor.container.status.text()
    wait_until(loop, lambda: editor.container.pull_button.isEnabled())


def test_settings_show_dockers_state_and_the_reason_when_it_is_not_running(
        application: Any, loop: Any, dockerd: DockerDaemon, tmp_path: Any) -> None:  # noqa: F811
    application.engine.settings.set("docker_endpoint", dockerd.endpoint)
    settings = application.window.pages["Settings"]
    application.window.open_page("Settings")
    settings.refresh()
    wait_until(loop, lambda: settings.docker.state.text().startswith("Running: Docker 20.10"))
    assert settings.docker.images["PYTHON"].placeholderText() == "python:3.12-slim"
    keep_screenshot(application.window, "settings-docker.png")
    settings.docker.endpoint.setText(f"unix://{tmp_path}/nothing.sock")
    settings.save()
    wait_until(loop, lambda: settings.docker.state.text().startswith("Not available: Docker is not running"))
    assert application.engine.settings.get("docker_endpoint") == f"unix://{tmp_path}/nothing.sock"
