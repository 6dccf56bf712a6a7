"""Start-up: from process start to the window shown, from the source tree and from the bundle.

Beside them, in the same run, a bare `QApplication` + empty `QMainWindow` shown the same way (the
floor: Python and Qt starting). Each is started ROUNDS times after one warm-up start (the data
folder then exists and is migrated, and caches are warm); the median is printed. Prints the
bundle's unpacked size too.

    ./dev bench startup                 (QT_QPA_PLATFORM=offscreen unless set)
    ./dev bench startup --bytecode-off  (PYTHONDONTWRITEBYTECODE=1: every import compiled again)

Targets: window shown ≤ 1.5 × bare + 400 ms; bundle ≤ 200 MB unpacked. The app writes the moment
its window got its first turn of the event loop to the file named by CRONIUM_STARTUP_PROBE, and a
second line once it is ready (engine started, first page built): both are printed, the time to ready
beside the time to shown. Each process is then stopped with SIGTERM.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "cronium-desktop"
ROUNDS = 5
BARE = """
import os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1200, 800)
window.show()
def shown():
    open(os.environ["CRONIUM_STARTUP_PROBE"], "w").write(f"{time.time():.6f}\\n")
QTimer.singleShot(0, shown)
app.exec()
"""


def time_to_shown(command: list[str], env: dict[str, str], probe: Path) -> float:
    return time_to_window(command, env, probe)[0]


def time_to_window(command: list[str], env: dict[str, str], probe: Path) -> tuple[float, float]:
    """Start `command`, wait for it to write the probe file (for the app: its "ready" line too), stop
    it with SIGTERM. Returns the seconds to the window shown and to the window ready."""
    probe.unlink(missing_ok=True)
    started = time.time()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    bare = "-c" in command

    def written() -> bool:
        text = probe.read_text() if probe.exists() else ""
        return text.endswith("\n") and (bare or "ready" in text)

    try:
        while not written():
            if process.poll() is not None or time.time() - started > 120:
                raise SystemExit(f"{command[0]} never showed its window: {process.communicate()[1][-2000:]}")
            time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    lines = probe.read_text().split("\n")
    shown = float(lines[0]) - started
    ready = float(lines[1].split()[1]) - started if len(lines) > 2 else shown
    return shown, ready


def median_of(command: list[str], env: dict[str, str], probe: Path) -> tuple[float, float]:
    time_to_window(command, env, probe)  # warm-up: data folder made and migrated, files cached
    samples = [time_to_window(command, env, probe) for _ in range(ROUNDS)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main() -> int:
    bytecode_off = "--bytecode-off" in sys.argv
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "shown"
        env = {**os.environ, "CRONIUM_STARTUP_PROBE": str(probe), "CRONIUM_DATA_DIR": str(Path(folder) / "data"),
               "CRONIUM_PASSPHRASE": "bench", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
               "XDG_CONFIG_HOME": str(Path(folder) / "config"), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if bytecode_off:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        bare = median_of([sys.executable, "-c", BARE], env, probe)[0]
        source, source_ready = median_of([sys.executable, "-m", "cronium_desktop"], env, probe)
        program = BUNDLE / "cronium-desktop"
        bundled, bundled_ready = median_of([str(program)], env, probe) if program.exists() else (None, None)

    target = 1.5 * bare + 0.4
    print(f"start-up to window shown (median of {ROUNDS}, after a warm-up; bytecode caches "
          f"{'off' if bytecode_off else 'on'}; QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']})")
    print(f"  bare QApplication + QMainWindow   {bare * 1000:7.0f} ms   (floor)")
    print(f"  Cronium from the source tree      {source * 1000:7.0f} ms   target ≤ {target * 1000:.0f} ms "
          f"{'OK' if source <= target else 'OVER'}   (ready: engine started, first page built: "
          f"{source_ready * 1000:.0f} ms)")
    if bundled is None:
        print("  Cronium from the bundle           (no bundle: ./dev package)")
    else:
        print(f"  Cronium from the bundle           {bundled * 1000:7.0f} ms   target ≤ {target * 1000:.0f} ms "
              f"{'OK' if bundled <= target else 'OVER'}   (ready: {bundled_ready * 1000:.0f} ms)")
        size = folder_size(BUNDLE) / 1e6
        print(f"bundle size (unpacked)              {size:7.1f} MB   target ≤ 200 MB {'OK' if size <= 200 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
