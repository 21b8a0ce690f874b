"""The one error the import raises to its callers (under the cloud package's root)."""

from cloud.errors import CloudError


class UnusableInput(CloudError):
    """The input cannot be imported at all (no such directory, a file with wrong columns...).
    Rows that are merely bad are rejected and reported, never raised."""
