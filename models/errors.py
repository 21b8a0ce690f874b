"""The one exception root of the models package."""


class ModelError(Exception):
    """Base of every error raised by ``models``."""


class DataError(ModelError):
    """Sale history could not be read or is unusable (bad file, bad row, empty split)."""


class ArtifactError(ModelError):
    """A model artifact is missing, corrupt, or does not match its manifest."""


class SignatureError(ArtifactError):
    """A manifest's signature is missing or does not verify with the trusted key."""
