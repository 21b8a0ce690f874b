"""Console tests share the browser fixtures of the store UIs' tests."""

from tests.web.conftest import browser, playwright_driver  # noqa: F401
