"""Train the recommender from the hub's sale history and release it to the stores.

* history: every ``sale.recorded`` of every store and channel (tables ``sales`` + ``sale_lines``),
  returns from the ``return.recorded`` ops in ``cloud_ops`` (the projection keeps no return lines);
* artifact: :func:`models.training.train_release` (signed ONNX + manifest), kept in
  ``<out>/<model_id>/`` and in the hub's database (:mod:`cloud.rollout.artifacts`);
* release: :func:`cloud.rollout.service.release` (every active store, or a canary subset first),
  recorded in the hub's release history (``model_releases``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select

from cloud.storage import schema as s
from models.artifact import Artifact
from models.data import SaleRow
from models.signing import generate_private_key, load_private_key, private_key_pem


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
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile
        return load_private_key(path), False
    with os.fdopen(fd, "wb") as out:
        out.write(private_key_pem(key))
    return key, True


def keep(artifact: Artifact, out: Path) -> Path:
    """Write the artifact to ``out/<model_id>/`` (content-addressed: an existing one is kept)."""
    target = out / artifact.manifest.model_id
    if not (target / "model.onnx").exists():
        artifact.write(target)
    return target
