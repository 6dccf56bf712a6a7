"""A run's output on its way to the window and the store (engine/runs/logsink.py): secrets masked,
lines in order, the per-run cap keeping the start and the end with a note between them."""

from __future__ import annotations

import threading

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.masking import Masker
from cronium_desktop.engine.notices import LogLines, Notice, Segment
from cronium_desktop.engine.runs.logsink import TAIL_LINES, LogSink

SECRET = "hunter2-very-secret"


class Stored:
    """The store's side of a sink: the blocks it is given, in order (the real writer needs a run row)."""

    def __init__(self) -> None:
        self.blocks: list[list[Segment]] = []

    async def write(self, execution_id: int, attempt: int, segments: list[Segment],
                    offsets: tuple[int | None, int | None]) -> None:
        self.blocks.append(list(segments))

    @property
    def texts(self) -> list[str]:
        return [text for block in self.blocks for segment in block for text in segment.texts]


def published(engine: Engine) -> list[LogLines]:
    seen: list[LogLines] = []

    def keep(notice: Notice) -> None:
        if isinstance(notice, LogLines):
            seen.append(notice)

    engine.bus.subscribe(keep)
    return seen


async def test_a_secret_never_reaches_the_window_or_the_store(engine: Engine) -> None:
    stored, shown = Stored(), published(engine)
    sink = LogSink(engine.ctx, 1, 1, Masker([SECRET]), writer=stored.write)
    sink.line("stdout", f"token={SECRET}")
    sink.line("stderr", "nothing to hide")
    await sink.close()
    assert stored.texts == ["token=••••••", "nothing to hide"]
    assert [line.text for notice in shown for line in notice.lines] == ["token=••••••", "nothing to hide"]
    assert SECRET not in repr(sink.tail)


async def test_lines_from_a_worker_thread_arrive_in_order(engine: Engine) -> None:
    stored = Stored()
    sink = LogSink(engine.ctx, 1, 1, Masker(), writer=stored.write)
    reader = threading.Thread(target=lambda: [sink.line("stdout", f"line {n}") for n in range(500)])
    reader.start()
    reader.join()
    await sink.close()
    assert stored.texts == [f"line {n}" for n in range(500)]
    assert sink.count == 500


async def test_over_the_cap_the_start_and_the_end_are_kept_with_a_note_between(engine: Engine) -> None:
    stored = Stored()
    sink = LogSink(engine.ctx, 1, 1, Masker(), cap_bytes=2000, writer=stored.write)
    for n in range(1000):
        sink.line("stdout", f"line {n:04d}")  # 9 bytes a line: the cap holds about 200 of 1000
    await sink.close()
    texts = stored.texts
    [note] = [text for text in texts if "not kept" in text]
    head, tail = texts[:texts.index(note)], texts[texts.index(note) + 1:]
    assert head[0] == "line 0000" and tail[-1] == "line 0999"
    dropped = int(note.split()[1].replace(",", ""))
    assert len(head) + dropped + len(tail) == 1000  # nothing lost silently: the note counts the rest
    assert note.endswith("(this run's output is over the 0.00190735 MB cap)")
    # The cap counts the lines' bytes; a line crossing the end of either half is kept whole.
    assert sum(len(text.encode()) for text in head + tail) <= 2000 + 2 * len("line 0000")
    assert len(head) > 50 and len(tail) > 50  # half for the start, half for the end


async def test_the_tail_for_message_templates_is_the_last_lines(engine: Engine) -> None:
    sink = LogSink(engine.ctx, 1, 1, Masker(), writer=Stored().write)
    for n in range(TAIL_LINES + 30):
        sink.line("stdout", f"line {n}")
    assert sink.tail == [f"line {n}" for n in range(30, TAIL_LINES + 30)]
    await sink.close()
