"""The console's navigation, in ONE place: (path, label, roles that see it). Add a page: add a line."""

from __future__ import annotations

from cloud.console.identity import ADMIN, ANALYST, MARKETING, ConsoleUser

NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/console/fleet", "Fleet", (ADMIN, ANALYST)),
    ("/console/reports", "Reports", (ADMIN, ANALYST)),
    ("/console/customers", "Customers", (ADMIN, MARKETING)),
    ("/console/marketing", "Marketing", (ADMIN, MARKETING)),
    ("/console/catalog", "Catalog", (ADMIN, MARKETING, ANALYST)),
    ("/console/prices", "Prices & promotions", (ADMIN, MARKETING, ANALYST)),
    ("/console/stores", "Stores", (ADMIN, ANALYST)),
    ("/console/models", "Models", (ADMIN, ANALYST)),
    ("/console/users", "Users", (ADMIN,)),
    ("/console/audit", "Audit log", (ADMIN,)),
)


def entries_for(user: ConsoleUser) -> list[tuple[str, str]]:
    return [(path, label) for path, label, roles in NAV if user.role in roles]


def home_for(user: ConsoleUser) -> str:
    """The first page this user may see (where signing in lands)."""
    allowed = entries_for(user)
    return allowed[0][0] if allowed else "/console/me"
