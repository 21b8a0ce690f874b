"""Console password hashing: Argon2id through ``argon2-cffi`` (the winner of the Password Hashing
Competition, RFC 9106, OWASP's first choice), with OWASP's minimum cost: 19 MiB, 2 passes, 1 lane.

A stored hash is the PHC string ``$argon2id$v=19$m=19456,t=2,p=1$<salt>$<digest>``: the cost travels
with the hash, so raising it later only needs :func:`needs_rehash` at the next sign-in.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 256
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, or None."""
    if len(password) < MIN_LENGTH:
        return f"a console password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a console password has at most {MAX_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@cache
def dummy_hash() -> str:
    """Verified against when the username is unknown, so both answers take the same time."""
    return _HASHER.hash("not a password of anyone")
