"""Import a directory in the neutral format into the hub: check every header first, then load
each file in its own transaction, in the format's order, and write the report and the rejects."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from cloud.errors import StorageError
from cloud.hub import Hub
from cloud.importing import reader
from cloud.importing.context import Context
from cloud.importing.errors import UnusableInput
from cloud.importing.format import (
    FILES,
    FORMAT_VERSION,
    MANIFEST,
    REJECTS_FILE,
    REPORT_FILE,
    SOURCE_REJECTS_FILE,
    SPECS,
)
from cloud.importing.loaders import customers, prices, products, sales, stock, stores
from cloud.importing.reader import Progress, Row
from cloud.importing.tally import FileTally, ImportReport, RejectsWriter

Loader = Callable[[Context, Iterable[Row], FileTally], None]
LOADERS: dict[str, Loader] = {
    "stores.csv": stores.load,
    "products.csv": products.load,
    "prices.csv": prices.load,
    "customers.csv": customers.load,
    "sales.csv": sales.load,
    "stock.csv": stock.load,
}


@dataclass(frozen=True)
class Manifest:
    synthetic_gtins: bool = False
    source: str = ""


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    if not path.is_file():
        return Manifest()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UnusableInput(f"{MANIFEST}: not a readable JSON object: {err}") from err
    if not isinstance(data, dict) or data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        raise UnusableInput(f"{MANIFEST}: format must be {FORMAT_VERSION!r} (see docs/import.md)")
    unknown = sorted(set(data) - {"format", "synthetic_gtins", "source"})
    if unknown or not isinstance(data.get("synthetic_gtins", False), bool):
        raise UnusableInput(
            f"{MANIFEST}: keys are format, synthetic_gtins (true/false), source; got {sorted(data)}"
        )
    return Manifest(bool(data.get("synthetic_gtins", False)), str(data.get("source") or ""))


def check(directory: Path) -> tuple[Manifest, list[Path]]:
    """The manifest and the files to import; raises :class:`UnusableInput` before anything is written."""
    if not directory.is_dir():
        raise UnusableInput(
            f"{directory}: no such directory (give the directory holding the import's CSV files)"
        )
    manifest = read_manifest(directory)
    present = [directory / spec.name for spec in FILES if (directory / spec.name).is_file()]
    if not present:
        names = ", ".join(spec.name for spec in FILES)
        raise UnusableInput(f"{directory} holds none of the import files ({names}); see docs/import.md")
    for path in present:
        reader.header_of(path, SPECS[path.name])
    return manifest, present


def run_import(
    hub: Hub, directory: Path, *, progress: Progress | None = None, report_dir: Path | None = None
) -> ImportReport:
    """Import ``directory`` (the neutral format, ``docs/import.md``) into ``hub`` (migrated).
    Every row is imported, updated, found unchanged or rejected with its reason; the returned
    report (also written as JSON) says which. ``progress(phase, done, total)`` is called while
    each file is read (bytes). Raises :class:`UnusableInput` before writing anything when the
    input cannot be imported at all, :class:`cloud.errors.StorageError` when the database fails."""
    directory = Path(directory)
    manifest, present = check(directory)
    out = Path(report_dir) if report_dir else directory
    ignored = sorted(
        p.name
        for p in directory.glob("*.csv")
        if p.name not in SPECS and p.name not in (REJECTS_FILE, SOURCE_REJECTS_FILE)
    )
    report = ImportReport(directory, out / REPORT_FILE, out / REJECTS_FILE, ignored=ignored)
    try:
        out.mkdir(parents=True, exist_ok=True)
        report.rejects_path.unlink(missing_ok=True)  # a previous run's rejects would mislead
    except OSError as err:
        raise UnusableInput(f"cannot write the report in {out}: {err}") from err
    rejects = RejectsWriter(report.rejects_path)
    try:
        for path in present:
            tally = report.files[path.name] = FileTally(path.name, rejects)
            started = time.perf_counter()
            try:
                with hub.tx() as conn:
                    ctx = Context(conn, hub.clock, hub.settings.warehouse_store, manifest.synthetic_gtins)
                    LOADERS[path.name](ctx, reader.rows(path, SPECS[path.name], tally, progress), tally)
            except SQLAlchemyError as err:  # the file's transaction is rolled back: nothing of it stays
                raise StorageError(f"{path.name} was not imported, the database refused it: {err}") from err
            tally.seconds = time.perf_counter() - started
            if not tally.balanced():  # a loader bug, never the input's fault: say so loudly
                tally.notes.append("ROW COUNT MISMATCH: some rows are neither imported nor rejected")
        report.write()
    except OSError as err:  # a file vanished or the report directory is not writable
        raise UnusableInput(f"import stopped: {err}") from err
    finally:
        rejects.close()
    return report
