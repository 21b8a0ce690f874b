"""The one exception root of the cloud package, and the errors services raise.

The HTTP layer maps them to status codes (:mod:`cloud.api.errors`); nothing else is raised to
callers of a service, third-party errors are translated with ``raise ... from err``.
"""


class CloudError(Exception):
    """Base of every error raised by ``cloud``."""


class ConfigError(CloudError):
    """Settings are invalid or a required resource is missing at start-up."""


class StorageError(CloudError):
    """The database could not be reached or migrated."""


class InvalidInput(CloudError):
    """A request or file is well-formed JSON/CSV but breaks a business rule."""


class NotFound(CloudError):
    """The referenced entity does not exist."""


class Conflict(CloudError):
    """The request conflicts with current state (duplicate, wrong order state, not enough points)."""


class Unauthorized(CloudError):
    """No or unknown credentials."""


class Forbidden(CloudError):
    """Valid credentials that may not touch this resource."""
