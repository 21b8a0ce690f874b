"""Proof that a customer stands at the kiosk: their signed loyalty-card token (``X-Vitrine-Card``).

The kiosk's bearer token lives in a public browser, so it alone must not open anyone's personal data.
For the **kiosk** role every customer-specific call carries the ``VTL1`` token from the customer's
card QR (or the one returned when they enrol); it is verified (signature under the deployment
keyring, validity window) and must name the card of the customer the call is about. Staff and
manager roles are trusted and need no card. Every refusal is 403 (a kiosk cannot tell an unknown
customer from somebody else's, so ids cannot be probed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from drivers.tokens import Keyring, LoyaltyClaims, TokenRejected, issue_loyalty_token, verify_token
from edge.api.auth import Role, require
from edge.errors import Forbidden, Invalid, NotFound
from edge.node import EdgeNode

CARD_HEADER = "X-Vitrine-Card"
CARD_TTL_S = 2 * 365 * 24 * 3600  # a printed or saved card stays valid two years

card_header = APIKeyHeader(
    name=CARD_HEADER,
    auto_error=False,
    scheme_name="loyalty card",
    description="kiosk only: the customer's signed loyalty-card token (VTL1…) from their card QR",
)


def keyring_of(request: Request) -> Keyring | None:
    """The deployment keyring held by the app's device hub (None when no token key is configured)."""
    hub = getattr(request.app.state, "device_hub", None)
    keyring: Keyring | None = getattr(hub, "keyring", None)
    return keyring


@dataclass(frozen=True)
class Presence:
    """The caller's role and, for a kiosk, the card token it presented (unverified until checked)."""

    role: Role
    card_token: str | None
    keyring: Keyring | None

    @property
    def trusted(self) -> bool:
        return self.role >= Role.STAFF

    def card(self, now: float | None = None) -> str:
        """The verified card id of the customer at the kiosk; :class:`Forbidden` without a valid token."""
        if not self.card_token:
            raise Forbidden(f"the kiosk needs the customer's loyalty card ({CARD_HEADER}) for this")
        try:
            claims = verify_token(self.card_token, self.keyring, now=time.time() if now is None else now)
        except TokenRejected as err:
            raise Forbidden(f"loyalty card refused ({err.reason.value})") from err
        if not isinstance(claims, LoyaltyClaims):
            raise Forbidden("loyalty card refused (not a loyalty-card token)")
        return claims.card_id.strip().upper()

    def check_card(self, card: str) -> None:
        """Kiosk: the presented card must be ``card``. Staff and manager: always allowed."""
        if not self.trusted and self.card() != card.strip().upper():
            raise Forbidden("this loyalty card belongs to another customer")

    def check_customer(self, node: EdgeNode, customer_id: str) -> None:
        """Kiosk: the presented card must be ``customer_id``'s card. Staff and manager: always allowed."""
        if self.trusted:
            return
        card = self.card()
        try:
            owner = node.customers.lookup("card", card).customer_id
        except (NotFound, Invalid):
            owner = None
        if owner != customer_id:
            raise Forbidden("this loyalty card belongs to another customer")


def caller_presence(
    request: Request,
    role: Annotated[Role, Depends(require(Role.KIOSK))],
    card_token: Annotated[str | None, Security(card_header)] = None,
) -> Presence:
    return Presence(role, card_token, keyring_of(request))


CallerPresence = Annotated[Presence, Depends(caller_presence)]


def card_token_for(keyring: Keyring | None, card: str | None, now: float | None = None) -> str | None:
    """A fresh signed loyalty-card token for ``card`` (None without a keyring or a card)."""
    if keyring is None or not card:
        return None
    issued = int(time.time() if now is None else now)
    return issue_loyalty_token(keyring, card, issued_at=issued, ttl_s=CARD_TTL_S)
