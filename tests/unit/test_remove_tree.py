"""A run's folder goes whatever its script left in it (`folder.remove_tree`).

Permissions only bind a user who is not root, and this suite runs as root on CI: there the folder is
made and removed in a child process that has become `nobody`, as an app of an ordinary user would.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cronium_desktop.engine.folder import remove_tree

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


@pytest.fixture
def shared_base() -> Iterator[Path]:
    """A folder an unprivileged user can work in (pytest's own tmp_path is root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="cronium-remove-tree-"))
    base.chmod(0o777)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def removed_as_a_user(base: Path, leave: Callable[[Path], None], remove: Callable[[Path], object]) -> bool:
    """In a process of an ordinary user: make a run folder, let `leave` fill it as a script would,
    `remove` it; whether it is gone."""
    pid = os.fork()
    if pid == 0:  # the child only touches files, then leaves without running any cleanup of pytest's
        code = 2
        try:
            if os.getuid() == 0:
                nobody = pwd.getpwnam("nobody")
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
            run = base / "run-1-abcdefgh"
            run.mkdir(mode=0o700)
            leave(run)
            remove(run)
            code = 1 if os.path.lexists(run) else 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, 1), f"the child failed before it could tell (exit {code})"
    return code == 0


def locked_folders(run: Path) -> None:
    """What a script may leave: a folder no one may enter (with one inside), and one it made
    read-only with files in it."""
    (run / "locked" / "inner").mkdir(parents=True)
    (run / "locked" / "inner" / "data").write_text("x")
    (run / "read-only").mkdir()
    (run / "read-only" / "data").write_text("x")
    (run / "script.sh").write_text("true\n")
    (run / "locked" / "inner").chmod(0o000)
    (run / "locked").chmod(0o000)
    (run / "read-only").chmod(0o500)


def test_a_run_folder_with_folders_its_script_locked_is_removed_whole(shared_base: Path) -> None:
    assert removed_as_a_user(shared_base, locked_folders, remove_tree)


def test_the_locked_folders_bind_that_user_rmtree_alone_leaves_them(shared_base: Path) -> None:
    """Why `remove_tree` exists: this is what the app did before (and what it must not do again)."""
    assert not removed_as_a_user(shared_base, locked_folders, lambda run: shutil.rmtree(run, ignore_errors=True))


def test_a_link_out_of_the_run_folder_is_removed_and_what_it_points_at_is_untouched(shared_base: Path) -> None:
    outside = shared_base / "outside"

    def leave(run: Path) -> None:
        outside.mkdir(mode=0o500)
        (run / "link").symlink_to(outside)

    assert removed_as_a_user(shared_base, leave, remove_tree)
    assert outside.is_dir() and outside.stat().st_mode & 0o777 == 0o500


def test_a_folder_that_is_already_gone_is_no_error(tmp_path: Path) -> None:
    remove_tree(tmp_path / "never-made")
    assert not (tmp_path / "never-made").exists()
