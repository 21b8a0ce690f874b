"""The op envelope: the unit of replication.

``{id, origin, seq, hlc, type, v, body}`` (DESIGN.md "The replicated data model").

* ``id`` is globally unique (``"{origin}:{seq}"``), so re-delivery is detectable anywhere.
* ``seq`` is contiguous per ``origin`` stream, starting at 1; gaps mean loss, and trigger a resend.
* ``hlc`` orders ops across origins (see :mod:`sync.hlc`).
* ``v`` is the op schema version; receivers accept :data:`ACCEPTED_VERSIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.errors import MalformedOp, UnsupportedVersion
from sync.vocabulary import OP_TYPES

CURRENT_VERSION = 1
# The cloud accepts the current schema and the two before it, so a fleet upgrades store by store.
ACCEPTED_VERSIONS = frozenset(range(max(1, CURRENT_VERSION - 2), CURRENT_VERSION + 1))
CLOUD_ORIGIN = "cloud"


def op_id(origin: str, seq: int) -> str:
    return f"{origin}:{seq}"


@dataclass(frozen=True, slots=True)
class Op:
    origin: str
    seq: int
    hlc: str
    type: str
    body: dict[str, Any] = field(default_factory=dict)
    v: int = CURRENT_VERSION

    @property
    def id(self) -> str:
        return op_id(self.origin, self.seq)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "origin": self.origin,
            "seq": self.seq,
            "hlc": self.hlc,
            "type": self.type,
            "v": self.v,
            "body": self.body,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Op:
        try:
            op = cls(
                origin=str(data["origin"]),
                seq=int(data["seq"]),
                hlc=str(data["hlc"]),
                type=str(data["type"]),
                body=dict(data.get("body") or {}),
                v=int(data.get("v", CURRENT_VERSION)),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise MalformedOp(f"bad op envelope: {err}") from err
        op.validate()
        return op

    def validate(self) -> None:
        if self.seq < 1:
            raise MalformedOp(f"op {self.id}: seq must be >= 1")
        if not self.origin or "/" in self.origin or "+" in self.origin or "#" in self.origin:
            raise MalformedOp(f"op {self.id}: bad origin {self.origin!r}")
        if self.v not in ACCEPTED_VERSIONS:
            raise UnsupportedVersion(
                f"op {self.id}: schema version {self.v} not in {sorted(ACCEPTED_VERSIONS)}"
            )
        if self.type not in OP_TYPES:
            raise MalformedOp(f"op {self.id}: unknown type {self.type!r}")
