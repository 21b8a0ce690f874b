"""What a SQLite write-ahead log holds, read from its file before SQLite opens it.

A WAL frame belongs to the log's current generation when its salts equal the header's; SQLite
replays those frames up to the first one whose checksum fails (a torn write in a crash). Counting
the current generation's frames here and comparing with what SQLite accepted tells whether
committed transactions were dropped (https://www.sqlite.org/fileformat2.html#walformat).
"""

from __future__ import annotations

import struct
from pathlib import Path

HEADER = 32
FRAME_HEADER = 24


def current_frames(wal: Path) -> int:
    """Frames of the log's current generation in ``wal`` (0 when absent, empty or unreadable)."""
    try:
        data = wal.read_bytes()
    except OSError:
        return 0
    if len(data) < HEADER:
        return 0
    magic, _version, page_size, _ckpt, salt1, salt2 = struct.unpack(">6I", data[:24])
    if magic not in (0x377F0682, 0x377F0683) or page_size < 512:
        return 0
    frames = 0
    offset = HEADER
    while offset + FRAME_HEADER + page_size <= len(data):
        f_salt1, f_salt2 = struct.unpack(">2I", data[offset + 8 : offset + 16])
        if (f_salt1, f_salt2) != (salt1, salt2):
            break
        frames += 1
        offset += FRAME_HEADER + page_size
    return frames
