"""A library stood in for loads at its first use, once, from whichever thread uses it first."""

from __future__ import annotations

import importlib
import inspect
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cronium_desktop.engine.on_first_use import load_on_first_use


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package whose import is slow and counts how often it ran."""
    name = f"slowlib_{tmp_path.name}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text(
        "import time\nimport builtins\n"
        "builtins.SLOWLIB_LOADS = getattr(builtins, 'SLOWLIB_LOADS', 0) + 1\n"
        "time.sleep(0.2)\nVALUE = 42\n")
    (package / "part.py").write_text("PART = 'part'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins

    monkeypatch.setattr(builtins, "SLOWLIB_LOADS", 0, raising=False)
    yield name
    for module in [key for key in sys.modules if key == name or key.startswith(name + ".")]:
        del sys.modules[module]


def loads() -> int:
    import builtins

    return int(builtins.SLOWLIB_LOADS)  # type: ignore[attr-defined]


def test_importing_and_inspecting_it_does_not_load_it(library: str) -> None:
    load_on_first_use(library)
    module = importlib.import_module(library)
    with pytest.raises((OSError, TypeError)):
        inspect.getsource(module)  # what Qt's import hook does with every imported module
    assert not hasattr(module, "__wrapped__")
    assert loads() == 0
    assert module.VALUE == 42 and loads() == 1
    assert importlib.import_module(f"{library}.part").PART == "part"
    assert importlib.import_module(library).VALUE == 42 and loads() == 1


def test_first_uses_from_many_threads_load_it_once(library: str) -> None:
    load_on_first_use(library)
    module = importlib.import_module(library)
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(module.VALUE)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [42] * 8
    assert loads() == 1


def test_a_library_that_is_not_installed_is_left_to_fail_at_its_import() -> None:
    load_on_first_use("no_such_library_here")
    assert "no_such_library_here" not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("no_such_library_here")
