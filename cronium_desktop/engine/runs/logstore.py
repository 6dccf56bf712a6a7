"""A run's log in the store: blocks of many lines per row, compressed when that pays.

A block holds segments (lines of one stream read at one moment, see `notices.Segment`): a small
header per segment (stream, server, time, line count, byte length) and the segments' text. Line
numbers count from 1 per execution across its attempts, so `logs --follow` and the window can ask
for "lines after N". Times are per segment, the moment its lines were read: the log view shows
milliseconds, and lines read in one chunk arrived within one.

Blocks are zstd-compressed at level 1 (hundreds of MB/s) when a probe of their start shrinks to
under 70 % and the whole saves at least a tenth, stored raw otherwise (random-like output). Everything here is blocking: call it from
worker threads.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from cronium_desktop.engine.notices import Segment
from cronium_desktop.engine.store.driven import Driven

RAW, ZSTD = 0, 1
STREAMS = ("stdout", "stderr", "system")
_STREAM_CODES = {name: code for code, name in enumerate(STREAMS)}
_HEADER = struct.Struct("<IH")
_SEGMENT = struct.Struct("<BHqII")  # stream, server index + 1, time (µs since 1970), lines, bytes
_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
# A block compresses on its own; at 1 MiB zstd has all the context it needs.
BLOCK_BYTES = 1024 * 1024
# A block is compressed only if its first 64 KiB shrink to under 70 %: base64 of random bytes shrinks
# to 75 % at three times the cost of storing it (the store then grows about 1.0 × the output).
PROBE_BYTES = 64 * 1024
PROBE_RATIO = 0.7

# One statement appends a block after the execution's last line, run as the run's records are
# (`store/driven.py`): a run's last block is written with its end, and SQLAlchemy's execution context
# costs several times what SQLite takes to run it.
_APPEND = Driven(text(
    "INSERT INTO log_blocks (execution_id, attempt, first_line, line_count, codec, spool_out, spool_err, data) "
    "SELECT :execution_id, :attempt, COALESCE(MAX(first_line + line_count), 1), :line_count, :codec, :spool_out, "
    ":spool_err, :data FROM log_blocks WHERE execution_id = :execution_id"
))


@dataclass
class LogRecord:
    id: int  # the line's number in its execution's log, from 1
    attempt: int
    ts: datetime
    stream: str
    text: str
    server: str | None


def _micros(ts: datetime) -> int:
    return (ts - _EPOCH) // _MICROSECOND


def encode(segments: list[Segment]) -> bytes:
    servers: list[str] = []
    index: dict[str | None, int] = {None: 0}
    for segment in segments:
        if segment.server not in index:
            index[segment.server] = len(servers) + 1
            servers.append(segment.server)  # type: ignore[arg-type]
    parts = [_HEADER.pack(len(segments), len(servers))]
    for server in servers:
        name = server.encode()
        parts.append(struct.pack("<H", len(name)) + name)
    parts += [_SEGMENT.pack(_STREAM_CODES.get(s.stream, 2), index[s.server], _micros(s.ts), s.count, len(s.data))
              for s in segments]
    parts += [segment.data for segment in segments]
    return b"".join(parts)


def decode(payload: bytes) -> list[Segment]:
    count, server_count = _HEADER.unpack_from(payload)
    offset = _HEADER.size
    servers: list[str | None] = [None]
    for _ in range(server_count):
        (length,) = struct.unpack_from("<H", payload, offset)
        servers.append(payload[offset + 2:offset + 2 + length].decode())
        offset += 2 + length
    headers = [_SEGMENT.unpack_from(payload, offset + i * _SEGMENT.size) for i in range(count)]
    offset += count * _SEGMENT.size
    segments = []
    for stream, server, micros, lines, size in headers:
        segments.append(Segment(STREAMS[stream], _EPOCH + micros * _MICROSECOND, payload[offset:offset + size], lines,
                                servers[server]))
        offset += size
    return segments


_compressor: Any = None
_decompressor: Any = None


def compress(payload: bytes) -> tuple[int, bytes]:
    global _compressor
    import zstandard

    if _compressor is None:
        _compressor = zstandard.ZstdCompressor(level=1)
    if len(payload) > 2 * PROBE_BYTES and len(_compressor.compress(payload[:PROBE_BYTES])) > PROBE_BYTES * PROBE_RATIO:
        return RAW, payload  # random-like output (base64 of binary data): compressing it costs more than it saves
    packed: bytes = _compressor.compress(payload)
    return (ZSTD, packed) if len(packed) < len(payload) * 0.9 else (RAW, payload)


def decompress(codec: int, data: bytes) -> bytes:
    global _decompressor
    if codec == RAW:
        return data
    import zstandard

    if _decompressor is None:
        _decompressor = zstandard.ZstdDecompressor()
    result: bytes = _decompressor.decompress(data)
    return result


def pack(segments: list[Segment]) -> tuple[int, bytes, int]:
    """(codec, data, lines) of a block holding `segments`: the CPU part of a write, done before
    the store is asked."""
    codec, data = compress(encode(segments))
    return codec, data, sum(segment.count for segment in segments)


def insert_block(connection: Any, execution_id: int, attempt: int, block: tuple[int, bytes, int],
                 offsets: tuple[int | None, int | None] = (None, None)) -> int:
    """Append a packed block after the execution's last line; returns the lines written.

    `offsets` are how far the run's spool files had been read when these lines were complete (a
    re-attached run goes on reading from there)."""
    codec, data, lines = block
    if not lines:
        return 0
    _APPEND.run(connection, execution_id=execution_id, attempt=attempt, line_count=lines, codec=codec,
                spool_out=offsets[0], spool_err=offsets[1], data=data)
    return lines


def write_block(connection: Any, execution_id: int, attempt: int, segments: list[Segment],
                offsets: tuple[int | None, int | None] = (None, None)) -> int:
    return insert_block(connection, execution_id, attempt, pack(segments), offsets)


def write_system_line(connection: Any, execution_id: int, attempt: int, ts: datetime, message: str) -> None:
    write_block(connection, execution_id, attempt, [Segment("system", ts, message.encode(), 1)])


def spool_offsets(connection: Any, execution_id: int, attempt: int) -> tuple[int, int]:
    """How far the stored log of this attempt had read its spool files."""
    row = connection.execute(text(
        "SELECT MAX(spool_out), MAX(spool_err) FROM log_blocks WHERE execution_id = :id AND attempt = :attempt"
    ), {"id": execution_id, "attempt": attempt}).one()
    return row[0] or 0, row[1] or 0


def stored_line_counts(connection: Any, execution_id: int, attempt: int) -> dict[tuple[str | None, str], int]:
    """How many lines of each (server, stream) this attempt's stored log holds: where a re-attached
    remote or container run's output goes on (output that only counts lines, not bytes)."""
    counts: dict[tuple[str | None, str], int] = {}
    for _, block_attempt, segment in iter_segments(connection, execution_id):
        if block_attempt == attempt and segment.stream != "system":
            key = (segment.server, segment.stream)
            counts[key] = counts.get(key, 0) + segment.count
    return counts


def iter_segments(connection: Any, execution_id: int, after_line: int = 0) -> Iterator[tuple[int, int, Segment]]:
    """(number of the segment's first line, attempt, segment) in order, from line `after_line + 1`.

    One block is in memory at a time: a log of any size streams in constant memory. A segment that
    straddles `after_line` is cut."""
    blocks = connection.execute(text(
        "SELECT id, first_line, attempt FROM log_blocks WHERE execution_id = :id AND first_line + line_count > :after "
        "ORDER BY first_line"
    ), {"id": execution_id, "after": after_line + 1}).all()
    for block_id, first_line, attempt in blocks:
        codec, data = connection.execute(text("SELECT codec, data FROM log_blocks WHERE id = :id"), {"id": block_id}).one()
        number = first_line
        for segment in decode(decompress(codec, data)):
            if number + segment.count <= after_line + 1:
                number += segment.count
                continue
            if number <= after_line:
                skip = after_line + 1 - number
                texts = segment.texts[skip:]
                segment = Segment(segment.stream, segment.ts, "\n".join(texts).encode(), len(texts), segment.server)
                segment._texts = texts
                number += skip
            yield number, attempt, segment
            number += segment.count


def stream(connection: Any, execution_id: int, write: Callable[[int, int, Segment], object], after_line: int = 0) -> int:
    """Hand the run's log after `after_line` to `write` segment by segment (line number, attempt,
    segment), one stored block in memory at a time; returns the last line's number."""
    last = after_line
    for number, attempt, segment in iter_segments(connection, execution_id, after_line):
        write(number, attempt, segment)
        last = number + segment.count - 1
    return last


def records(connection: Any, execution_id: int, after_line: int = 0, limit: int | None = None) -> list[LogRecord]:
    result: list[LogRecord] = []
    for number, attempt, segment in iter_segments(connection, execution_id, after_line):
        for offset, line in enumerate(segment.texts):
            if limit is not None and len(result) >= limit:
                return result
            result.append(LogRecord(number + offset, attempt, segment.ts, segment.stream, line, segment.server))
    return result


def tail(connection: Any, execution_id: int, lines: int) -> list[str]:
    """The last `lines` lines' text (what a message's log_tail shows)."""
    blocks = connection.execute(text(
        "SELECT codec, data FROM log_blocks WHERE execution_id = :id ORDER BY first_line DESC"
    ), {"id": execution_id})
    found: list[str] = []
    for codec, data in blocks:
        texts = [line for segment in decode(decompress(codec, data)) for line in segment.texts]
        found = texts[-(lines - len(found)):] + found if len(found) < lines else found
        if len(found) >= lines:
            break
    return found[-lines:] if lines else []
