"""The script editor against a bare ScintillaEdit holding the same text, in the same run.

Prints: opening a 10,000-line script (widget, highlighting, text, first frame); keystroke-to-paint
while checks and completion run in the background; jedi completion on a 1,000-line script.
Targets: open ≤ 200 ms, keystroke p99 ≤ 16 ms, completion p50 ≤ 150 ms.

    ./dev bench editor [--keys 300] [--completions 30]
    xvfb-run -a env QT_QPA_PLATFORM=xcb .venv/bin/python bench/editor.py   # the real platform
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
from pyside6_scintilla import ScintillaEdit  # noqa: E402

from cronium_desktop.ui.editor.code_editor import CodeEditor  # noqa: E402
from cronium_desktop.ui.editor.completion import Context, Request, complete  # noqa: E402


def python_script(lines: int) -> str:
    """Plausible automation code: imports, small functions, loops, dict literals."""
    out = ["import json", "import os", "import subprocess", "from pathlib import Path", ""]
    n = 0
    while len(out) < lines - 2:
        out += [f"def step_{n}(rows, limit={n % 7}):",
                f'    """Process batch {n}."""',
                "    total = 0",
                "    for row in rows:",
                "        if row.get('size', 0) > limit:",
                f"            total += row['size'] * {n % 5 + 1}",
                f"    print(json.dumps({{'step': {n}, 'total': total}}))",
                "    return total", ""]
        n += 1
    out = out[: lines - 2] + ["data = step_0([{'size': 3}])", "json."]
    return "\n".join(out)


def settle(app: QApplication, seconds: float = 0.0) -> None:
    end = time.perf_counter() + seconds
    app.processEvents()
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def open_time(app: QApplication, text: str, editor_kind: str) -> float:
    start = time.perf_counter()
    if editor_kind == "bare":
        widget: QWidget = ScintillaEdit()
        widget.setText(text)  # type: ignore[attr-defined]
    else:
        code = CodeEditor()
        code.set_language("PYTHON")
        code.set_text(text)
        widget = code
    widget.resize(1000, 700)
    widget.show()
    widget.repaint()  # the first frame, painted now
    elapsed = time.perf_counter() - start
    widget.close()
    widget.deleteLater()
    settle(app)
    return elapsed * 1000


def keystrokes(app: QApplication, text: str, count: int, editor_kind: str) -> tuple[list[float], list[float]]:
    """Type `count` characters at the end; each timed from the key to the repainted widget, in
    wall-clock and in the GUI thread's own CPU time (what a loaded machine does not inflate)."""
    code = CodeEditor() if editor_kind == "editor" else None
    scintilla = code.editor if code is not None else ScintillaEdit()
    if code is not None:
        code.set_language("PYTHON")
        code.set_text(text)
        top: QWidget = code
    else:
        scintilla.setText(text)
        top = scintilla
    top.resize(1000, 700)
    top.show()
    settle(app, 0.3)
    QWidget.setFocus(scintilla)
    scintilla.documentEnd()
    times, cpu = [], []
    word = "value_total "
    for i in range(count):
        if code is not None and i % 5 == 0:  # keep both workers busy the whole time
            code.diagnostics.run_now()
            code.completer.request(explicit=False)
        character = word[i % len(word)]
        start, start_cpu = time.perf_counter(), time.thread_time()
        QTest.keyClick(scintilla, character)
        scintilla.repaint()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        app.processEvents()  # results coming back are part of the load
    top.close()
    top.deleteLater()
    settle(app, 0.5)
    return times, cpu


def completion_times(text: str, count: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per completion (CPU shows what a busy machine adds)."""
    lines = text.split("\n")
    times, cpu = [], []
    for i in range(count):
        # A slightly different text each time, as typing makes it (jedi re-parses what changed).
        changed = text.replace("total = 0", f"total = {i}", 1)
        request = Request("PYTHON", changed, len(lines) - 1, len(lines[-1]), Context())
        start, start_cpu = time.perf_counter(), time.thread_time()
        result = complete(request)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        assert "dumps" in result.items, result.items[:10]
    return times, cpu


def bare_completion_times(app: QApplication, text: str, count: int) -> list[float]:
    """The floor: Scintilla's own list of the script's words, shown at the same place."""
    import re

    scintilla = ScintillaEdit()
    scintilla.setText(text)
    scintilla.resize(1000, 700)
    scintilla.show()
    scintilla.documentEnd()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        words = sorted(set(re.findall(r"[A-Za-z_]\w+", scintilla_text(scintilla))))
        scintilla.autoCShow(0, " ".join(words))
        times.append((time.perf_counter() - start) * 1000)
        scintilla.autoCCancel()
    scintilla.close()
    return times


def scintilla_text(scintilla: ScintillaEdit) -> str:
    return bytes(scintilla.getText(scintilla.length() + 1)).rstrip(b"\0").decode()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--completions", type=int, default=30)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    big, medium = python_script(10_000), python_script(1_000)

    open_time(app, big, "bare")
    open_time(app, big, "editor")  # warm-up: fonts, lexers
    bare_open = statistics.median(open_time(app, big, "bare") for _ in range(5))
    editor_open = statistics.median(open_time(app, big, "editor") for _ in range(5))
    print(f"open 10,000 lines:         editor {editor_open:7.1f} ms   bare ScintillaEdit {bare_open:7.1f} ms   (target ≤ 200 ms)")

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall-clock figures grow with it)")
    bare_keys, bare_cpu = keystrokes(app, big, args.keys, "bare")
    editor_keys, editor_cpu = keystrokes(app, big, args.keys, "editor")
    print(f"keystroke→paint (10k, checks+completion running): editor p50 {pct(editor_keys, .5):5.1f} p99 "
          f"{pct(editor_keys, .99):5.1f} ms   bare p50 {pct(bare_keys, .5):5.1f} p99 {pct(bare_keys, .99):5.1f} ms"
          "   (target p99 ≤ 16 ms)")
    print(f"  GUI-thread CPU per keystroke: editor p50 {pct(editor_cpu, .5):5.1f} p99 {pct(editor_cpu, .99):5.1f} ms"
          f"   bare p50 {pct(bare_cpu, .5):5.1f} p99 {pct(bare_cpu, .99):5.1f} ms")

    complete(Request("PYTHON", medium, 0, 0, Context()))  # jedi's first import of its own caches
    jedi_times, jedi_cpu = completion_times(medium, args.completions)
    floor = bare_completion_times(app, medium, args.completions)
    print(f"completion on 1,000 lines: jedi p50 {statistics.median(jedi_times):6.1f} ms (p90 {pct(jedi_times, .9):6.1f}, "
          f"CPU p50 {statistics.median(jedi_cpu):5.1f})"
          f"   bare ScintillaEdit word list p50 {statistics.median(floor):5.1f} ms   (target p50 ≤ 150 ms)")


if __name__ == "__main__":
    main()
