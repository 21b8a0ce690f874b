"""Exception root of the ``drivers`` package.

Every error a driver raises derives from :class:`DriverError`; third-party errors (pyserial, OpenCV,
pyzbar) are translated at the boundary with ``raise ... from err``.
"""

from __future__ import annotations


class DriverError(Exception):
    """Root of every error raised by ``drivers``."""


class FrameError(DriverError):
    """A malformed or corrupted frame (bad checksum, impossible length)."""


class EncodeError(DriverError):
    """A command could not be encoded (argument out of the protocol's range)."""


class TransportError(DriverError):
    """The device's transport failed (port missing, unplugged, I/O error)."""


class EpcError(DriverError):
    """An EPC could not be decoded under the scheme its header names."""


class ConfigError(DriverError):
    """A reader profile or antenna map is invalid."""
