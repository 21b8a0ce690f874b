"""Console tests use the cloud tests' fresh database of each backend (``db_url``: SQLite and
PostgreSQL); Chromium comes from tests/conftest.py."""

from tests.cloud.conftest import db_url, pg_template  # noqa: F401
