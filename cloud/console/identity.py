"""Who is using the console: a head-office user and the three roles (what each may do: docs/console.md)."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
MARKETING = "marketing"
ANALYST = "analyst"
ROLES: tuple[str, ...] = (ADMIN, MARKETING, ANALYST)
# The admin bearer token (tools, scripts, the existing API clients) acts as this console user.
TOKEN_USERNAME = "admin-token"  # noqa: S105 (a username, not a secret)


@dataclass(frozen=True)
class ConsoleUser:
    username: str
    role: str

    @property
    def is_token(self) -> bool:
        return self.username == TOKEN_USERNAME
