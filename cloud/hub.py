"""The hub's runtime context: settings, engine and clock, passed to routes and jobs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, OperationalError

from cloud.errors import InvalidInput, StorageError
from cloud.settings import CloudSettings
from cloud.storage import make_engine
from sync.hlc import HybridClock


@dataclass
class Hub:
    settings: CloudSettings
    engine: Engine
    clock: HybridClock = field(default_factory=lambda: HybridClock("cloud"))

    @classmethod
    def from_settings(cls, settings: CloudSettings) -> Hub:
        return cls(
            settings, make_engine(settings.database_url, settings.pool_size), HybridClock(settings.node_id)
        )

    def close(self) -> None:
        """Close the engine's pooled database connections. Whoever built the hub closes it."""
        self.engine.dispose()

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """One transaction: everything in it commits together or not at all."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as err:
            raise StorageError(
                f"the hub's database is unavailable, full or failing ({err.orig}); retry in a moment "
                "(operators: docs/operations.md, storage faults)"
            ) from err
        except DataError as err:  # e.g. a number out of the column's range
            raise InvalidInput(f"value not storable: {err.orig}") from err
        except UnicodeEncodeError as err:
            raise InvalidInput("text contains characters that cannot be stored") from err
