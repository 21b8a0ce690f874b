"""Fixtures shared by every test package: real Mosquitto, real PostgreSQL, the shared data."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright

from cloud.localpg import LocalPostgres
from sync.broker import MosquittoProcess, free_port
from tests.support.paths import shared_data


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return shared_data()


@pytest.fixture(scope="session")
def retail_csv(data_dir: Path) -> Path:
    path = data_dir / "retail" / "online_retail_2010-12_2011-10.csv.gz"
    assert path.exists(), f"missing {path}"
    return path


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoProcess]:
    """A fresh Mosquitto on a free loopback port, anonymous, for one test."""
    proc = MosquittoProcess(workdir=tmp_path / "mosquitto")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def broker_files() -> Iterator[Path]:
    """A directory Mosquitto can read after dropping root privileges (pytest's tmp tree is 0700),
    for password files, ACLs, certificates or a whole simulated fleet."""
    base = Path(tempfile.mkdtemp(prefix="vitrine-broker-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """One PostgreSQL cluster for the session; tests create their own databases in it.

    Lives outside pytest's 0700 temp tree because the server runs as the ``postgres`` user.
    """
    base = Path(tempfile.mkdtemp(prefix="vitrine-pg-"))
    pg = LocalPostgres(datadir=base / "data", port=free_port())
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """One Playwright for the whole session: the browser tests of every package (tests/web,
    tests/console) share it; a second sync Playwright in the same process cannot start."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(autouse=True)
def _model_signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Provisioning creates the hub's model-signing key where the settings say: in a test, never in
    the working copy's ``var/``."""
    monkeypatch.setenv("VITRINE_CLOUD_MODEL_SIGNING_KEY", str(tmp_path / "model-signing.pem"))
