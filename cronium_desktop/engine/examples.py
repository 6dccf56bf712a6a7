"""The examples gallery: the original Cronium's use cases as importable files (examples/index.json).

Each entry names a `.cronium.json` file in the examples folder with a title and a one-line
description; the window's "New from example…" lists them and imports the chosen one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# A source checkout keeps them beside the package; a bundle puts them in the package's resources.
CANDIDATE_FOLDERS = (
    Path(__file__).resolve().parents[2] / "examples",
    Path(__file__).resolve().parents[1] / "resources" / "examples",
)


@dataclass(frozen=True)
class Example:
    title: str
    description: str
    path: Path


def examples_folder() -> Path | None:
    return next((folder for folder in CANDIDATE_FOLDERS if (folder / "index.json").is_file()), None)


def list_examples(folder: Path | None = None) -> list[Example]:
    """The examples in the index's order; entries whose file is missing are left out."""
    folder = folder or examples_folder()
    if folder is None:
        return []
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    found = []
    for item in index.get("examples", []):
        path = folder / item["file"]
        if path.is_file():
            found.append(Example(item["title"], item["description"], path))
    return found
