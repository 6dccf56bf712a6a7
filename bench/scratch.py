"""A bench's data folder, removed at the end together with the run folders root its local runs made
(in /dev/shm where there is one): benches run again and again leave nothing behind."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cronium_desktop.engine.executors.local import run_folders_root


@contextlib.contextmanager
def data_folder(prefix: str = "cronium-bench-") -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(run_folders_root(folder), ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
