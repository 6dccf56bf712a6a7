"""The window's asyncio loop: qasync's, with timers that are gone when they are cancelled.

qasync schedules every `call_later`/`call_at` as a Qt timer and keeps its handle until the timer
fires, cancelled or not. Each run arms two timeouts of its timeout's length (an hour by default) and
cancels them as it ends, so with the window open every run left two Qt timers and their handles
behind for an hour: thousands of live timers after a busy hour, memory that grew with every run and
an event loop that slowed as the timers piled up. Here a cancelled timer is killed and forgotten at
once. A wait longer than a Qt timer can hold (2^31 ms, 24.8 days) is armed in steps."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimerEvent
from qasync import QEventLoop

LONGEST_MS = 2**31 - 1  # what one Qt timer can wait


class _Timer(asyncio.TimerHandle):
    """A callback due at `when`, armed as a Qt timer on `timers`."""

    __slots__ = ("_timers", "_timer_id", "_stepped")

    def __init__(self, when: float, callback: Callable[..., object], args: tuple[Any, ...],
                 loop: asyncio.AbstractEventLoop, context: contextvars.Context | None, timers: _Timers) -> None:
        super().__init__(when, callback, args, loop, context=context)
        self._timers = timers
        self._timer_id = 0
        self._stepped = False  # armed for less than its wait (longer than a Qt timer holds)

    def cancel(self) -> None:
        if not self._cancelled:
            self._timers.drop(self)
        super().cancel()


class _Timers(QObject):
    """The loop's timers by Qt timer id: each is in the table from when it is armed until it fires or
    is cancelled (the table also keeps a handle nobody else holds alive until then)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self._armed: dict[int, _Timer] = {}
        self.stopped = False

    def __len__(self) -> int:
        return len(self._armed)

    def arm(self, timer: _Timer) -> None:
        delay_ms = max(0, int((timer.when() - self._loop.time()) * 1000))
        timer._stepped = delay_ms > LONGEST_MS
        timer._timer_id = self.startTimer(min(delay_ms, LONGEST_MS))
        self._armed[timer._timer_id] = timer

    def drop(self, timer: _Timer) -> None:
        if self._armed.pop(timer._timer_id, None) is not None:
            self.killTimer(timer._timer_id)

    def timerEvent(self, event: QTimerEvent) -> None:  # noqa: N802 - Qt's name
        timer_id = event.timerId()
        self.killTimer(timer_id)
        timer = self._armed.pop(timer_id, None)
        if timer is None or timer._cancelled or self.stopped:
            return
        if timer._stepped:
            self.arm(timer)  # a wait longer than one Qt timer holds: the next step (or the last)
            return
        timer._run()


class QtLoop(QEventLoop):
    """qasync's QEventLoop whose `call_later`, `call_at` and `call_soon` (on the loop's thread) use
    `_Timers`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timers = _Timers(self)

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any,  # type: ignore[override]
                   context: contextvars.Context | None = None) -> asyncio.TimerHandle:
        if asyncio.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with call_later")
        if not callable(callback):
            raise TypeError(f"callback must be callable: {type(callback).__name__}")
        timer = _Timer(self.time() + max(0.0, delay), callback, args, self, context, self._timers)
        self._timers.arm(timer)
        return timer

    def close(self) -> None:
        self._timers.stopped = True  # as qasync's own timer: nothing fires once the loop is closed
        super().close()
