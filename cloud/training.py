"""Train the recommender from the hub's sale history and release it to the stores.

* history: every ``sale.recorded`` of every store and channel (tables ``sales`` + ``sale_lines``),
  returns from the ``return.recorded`` ops in ``cloud_ops`` (the projection keeps no return lines);
* artifact: :func:`models.training.train_release` (signed ONNX + manifest), kept in
  ``<out>/<model_id>/`` with an append-only ``<out>/releases.jsonl`` recording each release;
* release: one ``model.release`` op queued on the downlink of every active store, or of the given
  subset first (a canary), in one transaction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select

from cloud import downlink
from cloud.errors import InvalidInput
from cloud.storage import schema as s
from models.artifact import Artifact
from models.data import SaleRow
from models.signing import generate_private_key, load_private_key, private_key_pem
from sync.hlc import HybridClock

RELEASES_FILE = "releases.jsonl"


def _when(text: str) -> datetime:
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def hub_sale_rows(conn: Connection) -> Iterator[SaleRow]:
    """Sale lines of all stores and channels, then returned lines (negative), as neutral rows."""
    sales, lines = s.sales, s.sale_lines
    query = (
        select(sales.c.receipt_id, sales.c.customer_id, sales.c.at, lines.c.sku, lines.c.qty)
        .join(lines, lines.c.receipt_id == sales.c.receipt_id)
        .order_by(sales.c.at, lines.c.receipt_id, lines.c.line_no)
    )
    customers: dict[str, str | None] = {}
    for receipt_id, customer_id, at, sku, qty in conn.execute(query):
        customers[str(receipt_id)] = customer_id
        yield SaleRow(customer_id, str(receipt_id), str(sku), int(qty), _when(str(at)))
    returns = select(s.cloud_ops.c.body).where(s.cloud_ops.c.type == "return.recorded")
    for (body_text,) in conn.execute(returns):
        body = json.loads(body_text)
        receipt = str(body.get("receipt_id") or "")
        customer = customers.get(receipt)
        if customer is None:
            continue  # anonymous or unknown receipt: nothing to net against
        for line in body.get("lines", []):
            yield SaleRow(
                customer, str(body["return_id"]), str(line["sku"]), -abs(int(line["qty"])), _when(body["at"])
            )


def signing_key(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    """The cloud's model-signing key, created (mode 0600) if absent. Returns (key, created)."""
    if path.exists():
        return load_private_key(path), False
    key = generate_private_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private_key_pem(key))
    return key, True


@dataclass(frozen=True)
class ReleaseRecord:
    model_id: str
    sha256: str
    created: str
    released_at: str
    stores: tuple[str, ...]
    metrics: dict[str, float]

    def to_json(self) -> str:
        return json.dumps(
            {
                "model_id": self.model_id,
                "sha256": self.sha256,
                "created": self.created,
                "released_at": self.released_at,
                "stores": list(self.stores),
                "metrics": self.metrics,
            },
            sort_keys=True,
        )


def keep(artifact: Artifact, out: Path) -> Path:
    """Write the artifact to ``out/<model_id>/`` (content-addressed: an existing one is kept)."""
    target = out / artifact.manifest.model_id
    if not (target / "model.onnx").exists():
        artifact.write(target)
    return target


def release(
    conn: Connection, clock: HybridClock, artifact: Artifact, stores: Sequence[str] | None = None
) -> list[str]:
    """Queue one ``model.release`` op for ``stores`` (default: every active store) in ``conn``'s
    transaction; returns the stores it was queued for. Unknown or inactive stores are refused."""
    active = downlink.active_stores(conn)
    targets = list(active) if stores is None else list(dict.fromkeys(stores))
    unknown = sorted(set(targets) - set(active))
    if unknown:
        raise InvalidInput(f"not active stores: {', '.join(unknown)}")
    if targets:
        ops = downlink.new_ops(conn, clock, [("model.release", artifact.release_body())])
        downlink.broadcast(conn, ops, targets)
    return targets


def record_release(out: Path, artifact: Artifact, stores: Sequence[str]) -> ReleaseRecord:
    record = ReleaseRecord(
        model_id=artifact.manifest.model_id,
        sha256=artifact.manifest.sha256,
        created=artifact.manifest.created,
        released_at=datetime.now(UTC).isoformat(timespec="seconds"),
        stores=tuple(stores),
        metrics=dict(artifact.manifest.metrics),
    )
    out.mkdir(parents=True, exist_ok=True)
    with (out / RELEASES_FILE).open("a") as log:
        log.write(record.to_json() + "\n")
    return record


def releases(out: Path) -> list[ReleaseRecord]:
    path = out / RELEASES_FILE
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        d = json.loads(line)
        records.append(
            ReleaseRecord(
                d["model_id"], d["sha256"], d["created"], d["released_at"], tuple(d["stores"]), d["metrics"]
            )
        )
    return records
