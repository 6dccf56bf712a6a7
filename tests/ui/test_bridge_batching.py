"""The engine-to-window bridge hands log lines over in batches: a script's burst of output reaches the
Runs page as a few signals, every line once and in order, while a lone line still shows up on its own."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import datetime, timedelta
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cronium_desktop.engine import notices as n  # noqa: E402
from cronium_desktop.ui.bridge import FLUSH_MS, EngineBridge  # noqa: E402

START = datetime(2026, 12, 1, 8, 0, 0)
Line = tuple[datetime, str, str]


def _line(number: int, stream: str = "stdout") -> n.LogLineNotice:
    return n.LogLineNotice(START + timedelta(microseconds=number), stream, f"line {number}")


def _shown(notice_lines: list[n.LogLineNotice]) -> list[Line]:
    """The lines as the Runs page receives them: (timestamp, stream, text)."""
    return [(line.ts, line.stream, line.text) for line in notice_lines]


class Received:
    """Every logLines and runFinished signal of a bridge, in the order they were emitted."""

    def __init__(self, bridge: EngineBridge) -> None:
        self.signals: list[tuple[str, int, Any]] = []
        bridge.logLines.connect(lambda execution_id, lines: self.signals.append(("lines", execution_id, lines.rows())))
        bridge.runFinished.connect(lambda execution_id, status, _name: self.signals.append(("finished", execution_id, status)))

    def batches(self, execution_id: int) -> list[list[Line]]:
        return [lines for kind, run, lines in self.signals if kind == "lines" and run == execution_id]

    def lines(self, execution_id: int) -> list[Line]:
        return [line for batch in self.batches(execution_id) for line in batch]


def test_a_burst_of_output_arrives_as_one_batch_with_every_line_in_order(qtbot: Any) -> None:
    bus = n.NoticeBus()
    bridge = EngineBridge(bus)
    received = Received(bridge)
    sent = [_line(i, "stderr" if i % 5 == 0 else "stdout") for i in range(20_000)]
    for line in sent:  # one notice per line, faster than the window could draw them one by one
        bus.publish(n.LogLines(7, 1, (line,)))
    assert received.signals == []  # nothing is handed over line by line
    qtbot.waitUntil(lambda: len(received.lines(7)) >= len(sent), timeout=5000)
    qtbot.wait(FLUSH_MS * 4)  # and nothing more follows
    assert len(received.batches(7)) == 1
    assert received.lines(7) == _shown(sent)
    bridge.close()


def test_a_lone_line_is_shown_without_waiting_for_more_output(qtbot: Any) -> None:
    bus = n.NoticeBus()
    bridge = EngineBridge(bus)
    line = _line(1)
    with qtbot.waitSignal(bridge.logLines, timeout=3000) as shown:  # no further line, no end of run
        bus.publish(n.LogLines(3, 1, (line,)))
    assert shown.args[0] == 3 and shown.args[1].rows() == _shown([line])
    bridge.close()


def test_the_lines_of_two_runs_stay_apart_each_in_its_own_order(qtbot: Any) -> None:
    bus = n.NoticeBus()
    bridge = EngineBridge(bus)
    received = Received(bridge)
    first, second = [_line(i) for i in range(0, 300)], [_line(i, "stderr") for i in range(1000, 1300)]
    for one, other in zip(first, second, strict=True):
        bus.publish(n.LogLines(1, 1, (one,)))
        bus.publish(n.LogLines(2, 1, (other,)))
    qtbot.waitUntil(lambda: len(received.lines(1)) == 300 and len(received.lines(2)) == 300, timeout=5000)
    assert received.lines(1) == _shown(first)
    assert received.lines(2) == _shown(second)
    bridge.close()


def test_a_finished_run_shows_its_last_lines_before_it_is_shown_as_finished(qtbot: Any) -> None:
    bus = n.NoticeBus()
    bridge = EngineBridge(bus)
    received = Received(bridge)
    last = [_line(i) for i in range(50)]
    bus.publish(n.LogLines(9, 1, tuple(last)))
    bus.publish(n.RunFinished(9, 4, "Nightly backup", "SUCCESS", 0, None))
    # at once, before any timer: the run's page must not say "finished" while its last lines are missing
    assert received.signals == [("lines", 9, _shown(last)), ("finished", 9, "SUCCESS")]
    qtbot.wait(FLUSH_MS * 4)
    assert received.lines(9) == _shown(last)  # and they are not shown a second time
    bridge.close()


def test_output_that_keeps_coming_is_shown_in_later_batches_none_lost_or_repeated(qtbot: Any) -> None:
    bus = n.NoticeBus()
    bridge = EngineBridge(bus)
    received = Received(bridge)
    sent: list[n.LogLineNotice] = []
    for burst in range(5):
        lines = [_line(burst * 1000 + i) for i in range(400)]
        sent += lines
        bus.publish(n.LogLines(5, 1, tuple(lines[:200])))
        bus.publish(n.LogLines(5, 1, tuple(lines[200:])))
        expected = len(sent)
        qtbot.waitUntil(lambda expected=expected: len(received.lines(5)) == expected, timeout=5000)
    qtbot.wait(FLUSH_MS * 4)
    assert received.lines(5) == _shown(sent)
    assert len(received.batches(5)) == 5  # one batch per burst: never one per notice
    bridge.close()


def test_lines_a_worker_thread_publishes_arrive_in_order(loop: asyncio.AbstractEventLoop, qtbot: Any) -> None:
    """Output readers run in worker threads; their lines reach the window through the loop, in order."""
    bus = n.NoticeBus()
    bus.bind_loop(loop)
    bridge = EngineBridge(bus)
    received = Received(bridge)
    sent = [_line(i) for i in range(5000)]

    def reader() -> None:
        for start in range(0, len(sent), 10):
            bus.publish(n.LogLines(11, 1, tuple(sent[start:start + 10])))

    async def all_shown() -> None:
        worker = threading.Thread(target=reader)
        worker.start()
        while len(received.lines(11)) < len(sent):
            await asyncio.sleep(0.01)
        worker.join()

    loop.run_until_complete(asyncio.wait_for(all_shown(), 10))
    assert received.lines(11) == _shown(sent)
    assert len(received.batches(11)) < len(sent) // 10  # batched, not one signal per notice
    bridge.close()
