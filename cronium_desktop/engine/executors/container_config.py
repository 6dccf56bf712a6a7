"""The per-event container settings (SPEC §1 `container`): their rules and their defaults.

Stored as the user gave them (`{"image": ..., "memory_mb": 512, ...}`, every key optional); the
defaults fill the gaps when a run starts, so a changed default image in Settings reaches every event
that does not name its own. No Docker here: validation must not load the SDK.
"""

from __future__ import annotations

import math
import re
from typing import Any

from cronium_desktop.engine.errors import ValidationError

NETWORKS = ("none", "bridge", "host")
DEFAULT_IMAGES = {"BASH": "bash:5", "PYTHON": "python:3.12-slim", "NODEJS": "node:22-slim"}
DEFAULTS: dict[str, Any] = {"memory_mb": 512, "cpus": 1.0, "pids": 256, "network": "bridge"}
KEYS = ("image", "memory_mb", "cpus", "pids", "network")
MIN_MEMORY_MB = 6  # Docker refuses less
MAX_MEMORY_MB = 1024 * 1024
MAX_CPUS = 1024.0
MAX_PIDS = 4_194_304
# A reference as `docker pull` takes it: [registry[:port]/]path[:tag][@digest], no spaces.
IMAGE_REFERENCE = re.compile(r"^[a-z0-9][a-z0-9._/:@+-]*$", re.IGNORECASE)


def _whole(value: Any, field: str, low: int, high: int, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"must be a whole number of {unit}, not {value!r}.")
    if not low <= value <= high:
        raise ValidationError(field, f"must be between {low} and {high:,} {unit}, not {value}.")
    return value


def normalize_container(value: Any, field: str = "container") -> dict[str, Any] | None:
    """The container settings in normal form (only the keys given), or ValidationError naming the key."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError(field, 'must be {"image", "memory_mb", "cpus", "pids", "network"} (each optional).')
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise ValidationError(f"{field}.{unknown[0]}", f"unknown key; the keys are {', '.join(KEYS)}.")
    result: dict[str, Any] = {}
    image = value.get("image")
    if image not in (None, ""):
        if not isinstance(image, str) or not IMAGE_REFERENCE.match(image.strip()) or len(image) > 255:
            raise ValidationError(f"{field}.image", f"must be an image name such as 'python:3.12-slim', not {image!r}.")
        result["image"] = image.strip()
    if value.get("memory_mb") is not None:
        result["memory_mb"] = _whole(value["memory_mb"], f"{field}.memory_mb", MIN_MEMORY_MB, MAX_MEMORY_MB, "MB")
    if value.get("cpus") is not None:
        cpus = value["cpus"]
        if isinstance(cpus, bool) or not isinstance(cpus, int | float) or math.isnan(cpus):
            raise ValidationError(f"{field}.cpus", f"must be a number of CPUs such as 0.5 or 2, not {cpus!r}.")
        if not 0.01 <= cpus <= MAX_CPUS:
            raise ValidationError(f"{field}.cpus", f"must be between 0.01 and {MAX_CPUS:g}, not {cpus}.")
        result["cpus"] = float(cpus)
    if value.get("pids") is not None:
        result["pids"] = _whole(value["pids"], f"{field}.pids", 1, MAX_PIDS, "processes")
    if value.get("network") is not None:
        if value["network"] not in NETWORKS:
            raise ValidationError(f"{field}.network", f"must be one of {', '.join(NETWORKS)}, not {value['network']!r}.")
        result["network"] = value["network"]
    return result


def effective_container(container: dict[str, Any] | None, event_type: str, images: dict[str, str]) -> dict[str, Any]:
    """Every key filled in: the event's own values, else the defaults (the image from Settings)."""
    given = container or {}
    image = given.get("image") or images.get(event_type) or DEFAULT_IMAGES[event_type]
    return {"image": image, **{key: given.get(key, default) for key, default in DEFAULTS.items()}}
