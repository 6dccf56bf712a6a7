"""Hiding secret values in everything a run leaves behind (SPEC §7).

The log masks them line by line as it is written; every other copy a script can make — its output,
the variables it sets, per-server results — goes through `mask_copies()` before it is stored, so a
secret never reaches the store, `list variables`, a message or a later run's input in clear.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cronium_desktop.engine.executors.base import ExecResult

MASK = "••••••"
MASKED_NOTE = "A secret value copied into the run's output, variables or server results was stored as ••••••."


class Masker:
    """Replaces every secret value handed to a run by ``••••••`` in each line of text it is given.

    The rule (never leak a secret, keep logs readable):

    - A value is hidden line by line: each of its lines, stripped of surrounding whitespace, is a
      piece of its own, since a log line never spans two lines (a private key is hidden line by line).
    - A piece of two or more characters is hidden wherever it occurs, inside words too (``pin42``
      with the secret ``42`` shows ``pin••••••``). Overlapping and adjacent occurrences become one
      mask, so no fragment of a value is left showing, and the mask never tells a value's length.
    - A one-character piece is hidden only where it stands alone (touching no letter, digit or
      underscore): hiding every ``a`` would leave the log unreadable, and a one-character secret is
      guessed in a hundred tries whatever the log shows.
    - Empty and whitespace-only values hide nothing.

    One regular expression finds whether a line holds any piece at all (the usual answer is no), so a
    long log costs one scan per line. `add` may run while other threads call `mask`.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._pieces: frozenset[str] = frozenset()
        self._matcher: _Matcher | None = None
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        new = {piece.strip() for value in values if value for piece in value.splitlines()} - {""}
        with self._lock:
            if not new <= self._pieces:
                self._pieces |= new
                self._matcher = _Matcher(self._pieces)

    @property
    def active(self) -> bool:
        """Whether there is anything to hide (a reader skips decoding output when not)."""
        return self._matcher is not None

    def mask(self, text: str) -> str:
        matcher = self._matcher
        if matcher is None or not text:
            return text
        return matcher.mask(text)


class _Matcher:
    def __init__(self, pieces: Iterable[str]) -> None:
        self._long = sorted((piece for piece in pieces if len(piece) > 1), key=len, reverse=True)
        singles = "".join(sorted(piece for piece in pieces if len(piece) == 1))
        self._singles = re.compile(rf"(?<!\w)[{re.escape(singles)}](?!\w)") if singles else None
        # Alternatives grouped by first character: at each position the engine tries one group, not
        # every value, which keeps a scan fast with hundreds of secrets.
        by_first: dict[str, list[str]] = {}
        for piece in self._long:
            by_first.setdefault(piece[0], []).append(re.escape(piece[1:]))
        alternatives = [f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in by_first.items()]
        if self._singles is not None:
            alternatives.append(self._singles.pattern)
        self._any = re.compile("|".join(alternatives))

    def mask(self, text: str) -> str:
        first = self._any.search(text)
        if first is None:
            return text
        start = first.start()
        spans: list[tuple[int, int]] = []
        for piece in self._long:
            found = text.find(piece, start)
            while found != -1:
                spans.append((found, found + len(piece)))
                found = text.find(piece, found + 1)
        if self._singles is not None:
            spans.extend(match.span() for match in self._singles.finditer(text, start))
        spans.sort()
        parts, done, (begin, end) = [], 0, spans[0]
        for span_begin, span_end in spans[1:]:
            if span_begin > end:
                parts += [text[done:begin], MASK]
                done, begin = end, span_begin
            end = max(end, span_end)
        parts += [text[done:begin], MASK, text[end:]]
        return "".join(parts)


def _mask_value(value: Any, masker: Masker) -> Any:
    """`value` (JSON data) with every string holding a secret masked; keys too, numbers whole."""
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return MASK if masker.mask(str(value)) != str(value) else value
    if isinstance(value, list):
        return [_mask_value(item, masker) for item in value]
    if isinstance(value, dict):
        return {masker.mask(str(key)): _mask_value(item, masker) for key, item in value.items()}
    return value


def mask_copies(result: ExecResult, masker: Masker) -> bool:
    """Mask, in place, every copy of a secret in what a run returns; True if anything was masked."""
    before = (result.output, result.variables, [(s.output, s.error) for s in result.servers])
    result.output = _mask_value(result.output, masker)
    result.variables = {key: masker.mask(value) for key, value in result.variables.items()}
    for outcome in result.servers:
        outcome.output = _mask_value(outcome.output, masker)
        outcome.error = masker.mask(outcome.error) if outcome.error else outcome.error
    return before != (result.output, result.variables, [(s.output, s.error) for s in result.servers])
