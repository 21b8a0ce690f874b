"""Console tests share the browser fixtures of the store UIs' tests, and the cloud tests' fresh
database of each backend (``db_url``: SQLite and PostgreSQL)."""

from tests.cloud.conftest import db_url, pg_template  # noqa: F401
from tests.web.conftest import browser  # noqa: F401
