"""The hub's HTTP API: admin, e-commerce (web shop) and store routes; ``create_app(settings)``."""

from cloud.api.app import create_app

__all__ = ["create_app"]
