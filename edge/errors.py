"""The one exception root of the edge package.

The HTTP API maps :class:`NotFound` to 404, :class:`Invalid` to 422, :class:`Conflict` to 409 and
:class:`Unauthorised`/:class:`Forbidden` to 401/403. Anything else derived from :class:`EdgeError`
(e.g. :class:`ConfigError`) is a deployment problem, reported at start-up; :class:`StorageError`
(a busy, full or failing replica) is a 503.
"""

from __future__ import annotations


class EdgeError(Exception):
    """Base of every error raised by ``edge``; ``reason`` (when set) is a machine-readable cause the
    pages translate (HTTP header ``X-Vitrine-Reason``)."""

    reason: str | None = None

    def __init__(self, *args: object, reason: str | None = None) -> None:
        super().__init__(*args)
        if reason is not None:
            self.reason = reason


class NotFound(EdgeError):
    """A referenced entity (sku, customer, receipt, order, ...) does not exist."""


class Invalid(EdgeError):
    """The request is well-formed but its content is not acceptable (bad GTIN, quantity...)."""


class Conflict(EdgeError):
    """The request contradicts current state (double return, expired reservation, wrong state)."""


class NeedsConfirmation(Conflict):
    """The request is allowed but unusual (e.g. a large stock adjustment): repeat it with confirmation."""

    reason = "confirm_large"


class Unauthorised(EdgeError):
    """Missing or unknown credentials."""


class Forbidden(EdgeError):
    """Known credentials without the role the action needs."""


class ConfigError(EdgeError):
    """Settings are missing or unsafe; raised at start-up."""


class StorageError(EdgeError):
    """The replica cannot be opened or migrated."""


class RecoveryNeeded(StorageError):
    """The cloud holds ops of this store that the replica lost (restored from an older backup,
    emptied): selling would reuse their numbers, so nothing is written until
    ``vitrine-edge restore-from-cloud`` has run."""


class StorageFault(StorageError):
    """The replica's disk is full or failing (SQLite FULL, IOERR, CORRUPT...): the API answers 503
    and ``/health`` is degraded until a write succeeds again. ``kind`` names the fault for metrics."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
