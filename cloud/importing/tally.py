"""What happened to every input row: counts per file and outcome, rejects written as they come.

Invariant (checked by :meth:`FileTally.balanced`): every data row of a file is counted exactly
once, as imported, updated, unchanged or rejected with one reason.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REJECT_COLUMNS = ("file", "line", "reason", "detail", "raw")


class RejectsWriter:
    """The rejects CSV (file, line, reason, detail, raw row), opened on the first reject."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None
        self._writer: Any = None
        self.count = 0

    def write(self, file: str, line: int, reason: str, detail: str, raw: str) -> None:
        if self._writer is None:
            self._handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._handle)
            self._writer.writerow(REJECT_COLUMNS)
        self._writer.writerow((file, line, reason, detail, raw))
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass
class FileTally:
    name: str
    rejects: RejectsWriter
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def reject(self, line: int, reason: str, detail: str, raw: str) -> None:
        self.rejected[reason] += 1
        self.rejects.write(self.name, line, reason, detail, raw)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def balanced(self) -> bool:
        return self.rows == self.imported + self.updated + self.unchanged + self.rejected_total

    def changed(self) -> bool:
        return bool(self.imported or self.updated)

    def summary(self) -> str:
        label = self.name.removesuffix(".csv")
        parts = [f"{label} {self.imported:,} imported"]
        if self.updated:
            parts.append(f"{self.updated:,} updated")
        if self.unchanged:
            parts.append(f"{self.unchanged:,} unchanged")
        text = ", ".join(parts) + f", {self.rejected_total:,} rejected"
        if self.rejected:
            reasons = ", ".join(
                f"{r} {n:,}" for r, n in sorted(self.rejected.items(), key=lambda x: (-x[1], x[0]))
            )
            text += f" ({reasons})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": dict(sorted(self.rejected.items())),
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ImportReport:
    directory: Path
    report_path: Path
    rejects_path: Path
    files: dict[str, FileTally] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def changed(self) -> bool:
        return any(t.changed() for t in self.files.values())

    @property
    def rejected_total(self) -> int:
        return sum(t.rejected_total for t in self.files.values())

    def lines(self) -> list[str]:
        out = [f"ignored {name}: not a file of the import format" for name in self.ignored]
        out += [t.summary() for t in self.files.values()]
        for tally in self.files.values():
            out += [f"{tally.name}: {note}" for note in tally.notes]
        if self.rejected_total:
            out.append(f"rejects in {self.rejects_path}")
        if self.files and not self.changed():
            out.append("nothing changed: the hub already holds every row of this import")
        out.append(f"report in {self.report_path}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "changed": self.changed(),
            "files": {name: t.to_dict() for name, t in self.files.items()},
            "ignored": self.ignored,
            "rejects_file": str(self.rejects_path) if self.rejected_total else None,
        }

    def write(self) -> None:
        self.report_path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
