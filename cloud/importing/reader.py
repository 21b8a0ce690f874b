"""Reading one CSV file of the import: header check, then rows, with invalid ones rejected.

Bytes are decoded as UTF-8 (a leading BOM is allowed) with ``surrogateescape``, so one row with
invalid bytes is rejected on its own instead of failing the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cloud.importing.errors import UnusableInput
from cloud.importing.format import FileSpec
from cloud.importing.tally import FileTally

Progress = Callable[[str, int, int], None]  # (phase, done, total): bytes read of a file
_TICK_ROWS = 2000


_SUSPECT = re.compile("[\udc80-\udcff\x00]")  # undecodable bytes (surrogateescape) or NUL
_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]
    fields: list[str]

    @property
    def raw(self) -> str:
        """The row as CSV text, for the rejects file."""
        return _printable(self.fields)


def _printable(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue().encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _has_bad_bytes(fields: list[str]) -> bool:
    return any(_UNDECODABLE.search(f) for f in fields)


def header_of(path: Path, spec: FileSpec) -> list[str]:
    """The header of ``path``; raises :class:`UnusableInput` when its columns are not the spec's."""
    try:
        with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, csv.Error) as err:
        raise UnusableInput(f"{path.name}: cannot read the header: {err}") from err
    if not header:
        raise UnusableInput(f"{path.name}: empty file (the first line must be the header: {spec.describe()})")
    header = [h.strip() for h in header]
    if _has_bad_bytes(header):
        raise UnusableInput(f"{path.name}: the header is not UTF-8; save the file as UTF-8")
    problems = spec.check_header(header)
    if problems:
        raise UnusableInput(f"{path.name}: {'; '.join(problems)} (expected {spec.describe()})")
    return header


def rows(path: Path, spec: FileSpec, tally: FileTally, progress: Progress | None = None) -> Iterator[Row]:
    """Every data row that decodes and has the header's number of fields; other rows are
    counted and rejected in ``tally``. Blank lines are not rows."""
    header = header_of(path, spec)
    total = path.stat().st_size
    with open(path, "rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.reader(text)
        next(reader)
        start = reader.line_num + 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                tally.rows += 1
                tally.reject(start, "malformed CSV row", str(err), "")
                start = reader.line_num + 1
                continue
            line, start = start, reader.line_num + 1
            if not fields or fields == [""]:
                continue
            tally.rows += 1
            if progress is not None and tally.rows % _TICK_ROWS == 0:
                progress(spec.name, binary.tell(), total)
            if _SUSPECT.search("\x1f".join(fields)):
                if _has_bad_bytes(fields):
                    tally.reject(
                        line,
                        "invalid UTF-8",
                        "bytes that are not UTF-8 (save the file as UTF-8)",
                        _printable(fields),
                    )
                else:
                    tally.reject(line, "NUL character", "a field holds a NUL byte", _printable(fields))
                continue
            if len(fields) != len(header):
                tally.reject(
                    line,
                    "wrong number of fields",
                    f"{len(fields)} fields, the header has {len(header)}",
                    _printable(fields),
                )
                continue
            yield Row(line, dict(zip(header, fields, strict=True)), fields)
    if progress is not None:
        progress(spec.name, total, total)
