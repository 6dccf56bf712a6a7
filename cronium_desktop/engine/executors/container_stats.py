"""A container run's cost from the engine's own cgroup figures (Docker stats), as systemd reports a unit's.

The engine streams a stats sample about once a second while the container runs; once it has stopped
the stream goes on with zeroed samples (until the container is removed; some engines end it), and
`stopped` is set at the first of them. The cgroup is gone then, so the figures at exit are those of
the last sample before:
CPU user and system time, the cgroup's peak memory (cgroup v1 `max_usage`; v2 has none, so the
largest usage seen stands in) and the bytes read and written on block devices. A run shorter than
the engine's first sample has none, and its figures stay unknown rather than guessed.
"""

from __future__ import annotations

import threading
from typing import Any

from cronium_desktop.engine.metrics import RunMetrics

NANOSECONDS = 1e9


class ContainerStats(threading.Thread):
    def __init__(self, container: Any) -> None:
        super().__init__(name=f"cronium-stats-{container.short_id}", daemon=True)
        self._container = container
        self._cpu: dict[str, Any] = {}
        self._peak = 0
        self._io: tuple[int, int] | None = None
        self.samples = 0
        self.stopped = threading.Event()  # the stream has told the container stopped (or ended): figures are final

    def run(self) -> None:
        try:
            for sample in self._container.stats(stream=True, decode=True):
                self._take(sample)
        except Exception:  # noqa: BLE001, S110 - the engine went away or the container is gone: keep what was seen
            pass
        finally:
            self.stopped.set()

    def _take(self, sample: dict[str, Any]) -> None:
        memory = sample.get("memory_stats") or {}
        usage = (sample.get("cpu_stats") or {}).get("cpu_usage") or {}
        if not memory and not usage.get("total_usage"):
            self.stopped.set()  # the zeroed sample of a container that has stopped
            return
        self.samples += 1
        self._peak = max(self._peak, int(memory.get("max_usage") or 0), int(memory.get("usage") or 0))
        if usage.get("total_usage"):
            self._cpu = usage
        entries = ((sample.get("blkio_stats") or {}).get("io_service_bytes_recursive")) or []
        if entries:
            read = sum(int(e.get("value", 0)) for e in entries if str(e.get("op", "")).lower() == "read")
            write = sum(int(e.get("value", 0)) for e in entries if str(e.get("op", "")).lower() == "write")
            self._io = (read, write)

    def figures(self) -> RunMetrics | None:
        if not self.samples:
            return None
        metrics = RunMetrics(max_rss_bytes=self._peak or None)
        if self._cpu:
            user, system = self._cpu.get("usage_in_usermode"), self._cpu.get("usage_in_kernelmode")
            if user is not None and system is not None:
                metrics.cpu_user_s, metrics.cpu_system_s = round(user / NANOSECONDS, 3), round(system / NANOSECONDS, 3)
            else:  # only the total: counted as user time (cgroup v2 engines without the split)
                metrics.cpu_user_s = round(int(self._cpu["total_usage"]) / NANOSECONDS, 3)
        if self._io is not None:
            metrics.read_bytes, metrics.write_bytes = self._io
        return metrics
