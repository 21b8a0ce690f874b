"""Hub storage: one schema on SQLite (default) or PostgreSQL, created through ordered migrations."""

from cloud.storage.engine import is_sqlite, make_engine
from cloud.storage.migrations import MIGRATIONS, applied_versions, migrate

__all__ = ["MIGRATIONS", "applied_versions", "is_sqlite", "make_engine", "migrate"]
