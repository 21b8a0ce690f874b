"""The fleet simulator's exception root."""

from __future__ import annotations

from sync.errors import SyncError


class FleetError(SyncError):
    """A fleet could not be started, driven or checked (the message says which process and why)."""


class ScenarioError(FleetError):
    """A scenario file is missing, not TOML, or describes an impossible run."""
