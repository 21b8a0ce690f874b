"""Bad import files through the real CLI: rows are rejected and counted per reason (exit 0, the
rest imported); unusable input (no directory, wrong columns) exits 1 with one clear line and
imports nothing. Never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cloud.cli import app
from cloud.storage import make_engine
from cloud.storage import schema as s
from tests.support.paths import REPO

SMALL = Path(__file__).parent / "data" / "import_small"
runner = CliRunner()


def _append(name: str, text: str) -> Callable[[Path], None]:
    def change(directory: Path) -> None:
        with open(directory / name, "a", encoding="utf-8") as handle:
            handle.write(text)

    return change


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def change(directory: Path) -> None:
        text = (directory / name).read_text(encoding="utf-8")
        assert old in text
        (directory / name).write_text(text.replace(old, new), encoding="utf-8")

    return change


def _bad_bytes(directory: Path) -> None:
    with open(directory / "customers.csv", "ab") as handle:
        handle.write(b"C9,Z\xe9lie Latin-1,zelie@example.com,,,,,,\n")


ROW_REJECTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "bad GTIN check digits": (
        _append("products.csv", "X1,5901234123458,Wrong digit,x,,,\nX2,4006381333932,Wrong too,x,,,\n"),
        "products 4 imported, 2 rejected (bad GTIN 2)",
    ),
    "duplicate skus": (
        _append("products.csv", "CAP,4006381333931,Another cap,x,,,\n"),
        "products 4 imported, 1 rejected (duplicate sku 1)",
    ),
    "negative prices": (
        _append("prices.csv", "base,2024-01-01,X9,1\nsale,2024-03-01,CAP,-2.50\n"),
        "prices 5 imported, 2 rejected (negative price 1, unknown sku 1)",
    ),
    "invalid UTF-8": (_bad_bytes, "customers 3 imported, 1 rejected (invalid UTF-8 1)"),
    "decimal quantity of a unit product": (
        _replace(
            "sales.csv",
            "R3,store-1,store,C1,2024-02-09T09:30:00Z,CAP,1,",
            "R3,store-1,store,C1,2024-02-09T09:30:00Z,CAP,1.5,",
        ),
        "sales 4 imported, 1 rejected (decimal quantity 1)",
    ),
    "unknown store and sku in sales": (
        _append(
            "sales.csv",
            "R8,store-9,store,,2024-02-10T10:00:00Z,CAP,1,5.00,,\n"
            "R9,store-2,store,,2024-02-10T10:00:00Z,NOPE,1,5.00,,\n"
            "R9,store-2,store,,2024-02-10T10:00:00Z,CAP,1,5.00,,\n",
        ),
        "sales 5 imported, 3 rejected (receipt has a rejected line 1, unknown sku 1, unknown store 1)",
    ),
}


@pytest.mark.parametrize("case", sorted(ROW_REJECTS))
def test_bad_rows_are_counted_and_the_rest_imported(case: str, db_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "in"
    shutil.copytree(SMALL, directory)
    change, expected = ROW_REJECTS[case]
    change(directory)
    r = runner.invoke(app, ["import", str(directory), "--db", db_url, "--no-progress"])
    assert r.exit_code == 0, r.output
    assert expected in r.output, r.output
    assert f"rejects in {directory / 'import-rejects.csv'}" in r.output
    assert "Traceback" not in r.output and r.exception is None


UNUSABLE: dict[str, tuple[Callable[[Path], None], str]] = {
    "unknown column": (
        _replace("products.csv", "sku,gtin,name", "sku,gtn,name"),
        "products.csv: unknown column(s) 'gtn' (expected required: sku, name; optional: gtin, category, unit; any attr_<name>)",
    ),
    "missing column": (
        _replace("sales.csv", ",quantity,", ",qty,"),
        "sales.csv: missing column(s) quantity; unknown column(s) 'qty'",
    ),
    "header not UTF-8": (
        lambda d: (d / "stock.csv").write_bytes(b"st\xf6re,sku,quantity\n"),
        "stock.csv: the header is not UTF-8; save the file as UTF-8",
    ),
    "no import files": (
        lambda d: [p.unlink() for p in d.glob("*.csv")],
        "holds none of the import files (stores.csv, products.csv",
    ),
    "no such directory": (shutil.rmtree, "no such directory"),
}


@pytest.mark.parametrize("case", sorted(UNUSABLE))
def test_unusable_input_exits_1_with_a_clear_message_and_imports_nothing(case: str, tmp_path: Path) -> None:
    directory = tmp_path / "in"
    shutil.copytree(SMALL, directory)
    change, expected = UNUSABLE[case]
    change(directory)
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    r = runner.invoke(app, ["import", str(directory), "--db", db, "--no-progress"])
    assert r.exit_code == 1, r.output
    assert r.output.startswith("error: ") and expected in r.output, r.output
    assert "Traceback" not in r.output
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(s.store_directory)).scalar_one() == 0
    finally:
        engine.dispose()


def test_the_real_command_reports_without_a_traceback(tmp_path: Path) -> None:
    directory = tmp_path / "in"
    shutil.copytree(SMALL, directory)
    _append("products.csv", "X1,5901234123458,Wrong digit,x,,,\n")(directory)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        "-m",
        "cloud.cli",
        "import",
        str(directory),
        "--db",
        f"sqlite:///{tmp_path / 'hub.db'}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "products 4 imported, 1 rejected (bad GTIN 1)" in done.stdout
    _replace("stores.csv", "store_id,name", "store,name")(directory)
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 1
    assert "error: stores.csv: missing column(s) store_id" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
