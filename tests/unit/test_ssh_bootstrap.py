"""The SSH bootstrap's shell text (`ssh_detach.launch`), run by this machine's `sh` as a server's would."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cronium_desktop.engine.executors import ssh_detach


def test_a_script_that_removes_its_folder_at_once_is_followed_even_by_followers_that_start_late(
        tmp_path: Path) -> None:
    """The followers read the spool files through descriptors opened before the script starts: a
    follower that starts only after the script removed its folder (a loaded server) still gets its
    output. With followers that opened the files by name, the output was lost."""
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "wrapper.sh").write_text('rm -rf "$1"; echo gone; echo oops >&2; sleep 1\n')
    bootstrap = ssh_detach.launch("wrapper.sh", "token", "MARK")
    late = bootstrap.replace('echo "MARK', 'sleep 0.2; echo "MARK', 1)  # the followers start after the removal
    assert late != bootstrap
    done = subprocess.run(["sh", "-c", f'd={folder}; cd "$d"; {late}'], capture_output=True, text=True, timeout=30)
    [mark, *followed] = done.stdout.splitlines()
    assert mark.startswith("MARK ") and mark.endswith(str(folder))
    assert followed == ["gone"]
    assert done.stderr == "oops\n"
    assert not folder.exists()
