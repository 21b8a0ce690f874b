"""Browser-test fixtures: headless Chromium (Playwright, sync API) and a slice of the real retail data."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright

from tests.cloud.conftest import db_url, pg_template  # noqa: F401  (hub-backed UI tests on both backends)
from tests.web.harness import CHROMIUM, CHROMIUM_ARGS, SLICE_LINES, SYNC_SLICE_LINES


def first_lines(source: Path, out: Path, lines: int) -> Path:
    """The header and the first ``lines`` rows of the real Online Retail CSV, as a smaller .csv.gz."""
    with (
        gzip.open(source, "rt", encoding="utf-8", newline="") as src,
        gzip.open(out, "wt", encoding="utf-8", newline="") as dst,
    ):
        for n, line in enumerate(src):
            if n > lines:
                break
            dst.write(line)
    return out


@pytest.fixture(scope="session")
def retail_slice(retail_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first weeks of the real data (~2,100 products, ~350 customers, ~470 past baskets)."""
    return first_lines(retail_csv, tmp_path_factory.mktemp("retail") / "slice.csv.gz", SLICE_LINES)


@pytest.fixture(scope="session")
def retail_sync_slice(retail_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A smaller slice (~800 products, ~70 customers, ~940 seed ops) for tests whose seed must
    reach the cloud over MQTT before they start; same products and customers as the journeys use."""
    return first_lines(retail_csv, tmp_path_factory.mktemp("retail") / "sync-slice.csv.gz", SYNC_SLICE_LINES)


@pytest.fixture
def browser(playwright_driver: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A Chromium with a fresh profile for one test (nothing left over in localStorage)."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 800},
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()
