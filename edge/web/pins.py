"""Staff PINs: salted PBKDF2 hashes in configuration, constant-time checks, lockout after failures.

A PIN entry is ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``; the edge never stores a PIN in
clear. ``python -m edge.web.pins 1234`` prints the entry for a PIN, for IT to put in the settings.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 200_000


class PinFormatError(ValueError):
    """A configured PIN hash is not in the ``pbkdf2_sha256$iterations$salt$hash`` form."""


def hash_pin(pin: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"{ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def check_pin_hash(entry: str) -> None:
    """Raise PinFormatError unless ``entry`` is a well-formed PIN hash (used at settings validation)."""
    parts = entry.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM or not parts[1].isdigit():
        raise PinFormatError(f"PIN hash must look like {ALGORITHM}$<iterations>$<salt hex>$<hash hex>")
    try:
        bytes.fromhex(parts[2])
        bytes.fromhex(parts[3])
    except ValueError as err:
        raise PinFormatError("PIN hash salt and digest must be hexadecimal") from err


def verify_pin(pin: str, entry: str) -> bool:
    check_pin_hash(entry)
    _, iterations, salt_hex, digest_hex = entry.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt_hex), int(iterations))
    return hmac.compare_digest(digest, bytes.fromhex(digest_hex))


@dataclass
class Lockout:
    """Counts failed sign-ins per client (a device, see the sign-in route); a client with
    ``max_failures`` recent failures is locked.

    Failures older than ``window_s`` are forgotten; a success or :meth:`clear` (a manager's unlock)
    clears the client's record.
    """

    max_failures: int = 5
    window_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def _recent(self, client: str) -> list[float]:
        now = self.clock()
        recent = [t for t in self._failures.get(client, []) if now - t < self.window_s]
        if recent:
            self._failures[client] = recent
        else:
            self._failures.pop(client, None)
        return recent

    def retry_after(self, client: str) -> float:
        """Seconds until ``client`` may try again (0 when not locked)."""
        recent = self._recent(client)
        if len(recent) < self.max_failures:
            return 0.0
        return max(0.0, self.window_s - (self.clock() - recent[-self.max_failures]))

    def failed(self, client: str) -> None:
        self._recent(client)
        self._failures.setdefault(client, []).append(self.clock())

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)

    def clear(self, client: str) -> bool:
        """Forget ``client``'s failures; False when it had none."""
        return self._failures.pop(client, None) is not None

    def locked(self) -> list[tuple[str, int, float]]:
        """``(client, recent failures, seconds left)`` of every locked client."""
        rows = []
        for client in list(self._failures):
            wait = self.retry_after(client)
            if wait > 0:
                rows.append((client, len(self._failures[client]), wait))
        return sorted(rows)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit() or not 4 <= len(args[0]) <= 12:
        sys.stderr.write("usage: python -m edge.web.pins <PIN of 4 to 12 digits>\n")
        return 2
    sys.stdout.write(hash_pin(args[0]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
