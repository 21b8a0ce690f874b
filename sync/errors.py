"""The one exception root of the sync package."""


class SyncError(Exception):
    """Base of every error raised by ``sync``."""


class MalformedOp(SyncError):
    """An op or batch could not be decoded or failed validation."""


class UnsupportedVersion(MalformedOp):
    """An op carries a schema version this node does not accept."""


class ClockError(SyncError):
    """A remote clock reading is too far ahead of the local wall clock."""
