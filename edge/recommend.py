"""Recommendations at the edge: the signed ONNX model + this store's rules, over the replica.

Reads the replica only (stock fold, reservations, promotions, sales, returns); never writes to it.
The model runtime is :mod:`models.runtime`; this module supplies what it cannot know: live stock
here, the customer's history and what they just bought, promotions here, and what sells here
(the fallback when no trusted model is loaded).

Releases arrive as ``model.release`` ops: :meth:`EdgeRecommender.on_model_release` is an inbox
handler (``ReplicaInbox(extra_handlers={"model.release": ...})``). A release that fails
verification is recorded, logged and never loaded; one this edge could not verify for want of the
signer's key is held on the shelf and installed at the next start that trusts the key. A damaged
artifact on disk is logged and reported by :meth:`EdgeRecommender.status` (``damaged``); releasing
the same model again replaces it.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from edge.errors import ConfigError, NotFound
from edge.replica.database import Tx
from edge.services.context import StoreContext
from models.artifact import Artifact
from models.errors import ModelError, SignatureError
from models.rules import StoreRules
from models.runtime import ModelRuntime
from models.serving import Recommendations, RecommendationService
from models.shelf import ArtifactShelf, restore
from models.signing import generate_private_key, load_public_key
from sync.ops import Op

log = logging.getLogger(__name__)


class RecommendSettings(BaseSettings):
    """``VITRINE_EDGE_MODEL_*``. Without a public key no model is trusted: the popular-here
    fallback serves every request."""

    model_config = SettingsConfigDict(env_prefix="VITRINE_EDGE_MODEL_", env_file=None, extra="ignore")

    public_key: str = ""
    """base64 raw ed25519 key of the cloud's model signer (``vitrine-cloud train`` prints it)."""
    dir: Path | None = None
    """Where verified artifacts are kept; default: ``models/<store id>/`` beside the replica file
    (per store: stores sharing a folder never share a current or previous model)."""
    just_bought_hours: int = Field(default=24, ge=0, le=24 * 90)
    promotion_boost: float = Field(default=0.1, ge=0.0, le=10.0)
    popular_ttl_s: float = Field(default=600.0, ge=0.0)


def load_recommend_settings(**overrides: object) -> RecommendSettings:
    try:
        settings = RecommendSettings(**overrides)  # type: ignore[arg-type]
        if settings.public_key:
            load_public_key(settings.public_key)
            if len(set(base64.b64decode(settings.public_key))) < 8:
                raise ConfigError(
                    "invalid recommendation settings: public_key is a placeholder (e.g. all zeros)"
                )
    except (ValidationError, ModelError) as err:
        raise ConfigError(f"invalid recommendation settings: {err}") from err
    return settings


# -- replica reads ---------------------------------------------------------------------------

_STOCK_SQL = """
WITH wanted(sku) AS (SELECT value FROM json_each(?1)),
cells AS (
    SELECT sku, zone FROM stock_counts WHERE sku IN (SELECT sku FROM wanted)
    UNION SELECT sku, zone FROM stock_deltas WHERE sku IN (SELECT sku FROM wanted)),
latest AS (
    SELECT cells.sku, cells.zone, c.qty, c.hlc FROM cells LEFT JOIN stock_counts c
      ON c.op_id = (SELECT op_id FROM stock_counts s WHERE s.sku = cells.sku AND s.zone = cells.zone
                     ORDER BY s.hlc DESC LIMIT 1))
SELECT latest.sku,
       sum(coalesce(latest.qty, 0) + coalesce((SELECT sum(d.qty) FROM stock_deltas d
            WHERE d.sku = latest.sku AND d.zone = latest.zone AND d.hlc > coalesce(latest.hlc, '')), 0))
       - coalesce((SELECT sum(r.qty) FROM reservations r
            WHERE r.sku = latest.sku AND r.state = 'active' AND r.expires_at > ?2), 0)
FROM latest GROUP BY latest.sku
"""

_HISTORY_SQL = """
SELECT l.sku FROM sales s JOIN sale_lines l ON l.receipt_id = s.receipt_id
WHERE s.customer_id = ?1
GROUP BY s.receipt_id, l.sku
HAVING sum(l.qty) > coalesce((SELECT sum(rl.qty) FROM returns r JOIN return_lines rl ON rl.return_id = r.return_id
                              WHERE r.receipt_id = s.receipt_id AND rl.sku = l.sku), 0)
"""


class ReplicaFacts:
    """What the store rules need, read from the replica (one query per question)."""

    def __init__(self, ctx: StoreContext, popular_ttl_s: float = 600.0) -> None:
        self.ctx = ctx
        self._popular_ttl = popular_ttl_s
        self._popular: tuple[float, list[str]] | None = None
        self._popular_lock = threading.Lock()

    def available(self, skus: Sequence[str]) -> dict[str, int]:
        """Units on hand here minus active reservations (the same fold as the stock service)."""
        rows = self.ctx.replica.reader().execute(_STOCK_SQL, (json.dumps(list(skus)), self.ctx.now_iso()))
        return {str(sku): int(qty) for sku, qty in rows}

    def promoted(self, skus: Sequence[str]) -> set[str]:
        now = self.ctx.now_iso()
        rows = self.ctx.replica.reader().execute(
            "SELECT DISTINCT sku FROM promotions WHERE sku IN (SELECT value FROM json_each(?1)) "
            "AND (store IS NULL OR store = ?2) AND starts <= ?3 AND ends > ?3",
            (json.dumps(list(skus)), self.ctx.store_id, now),
        )
        return {str(r[0]) for r in rows}

    def history(self, customer_id: str) -> list[str]:
        """One entry per receipt that holds the sku and was not fully returned."""
        return [str(r[0]) for r in self.ctx.replica.reader().execute(_HISTORY_SQL, (customer_id,))]

    def just_bought(self, customer_id: str, hours: int) -> list[str]:
        since = self.ctx.now_iso(-timedelta(hours=hours))
        rows = self.ctx.replica.reader().execute(
            "SELECT DISTINCT l.sku FROM sales s JOIN sale_lines l ON l.receipt_id = s.receipt_id "
            "WHERE s.customer_id = ? AND s.at >= ?",
            (customer_id, since),
        )
        return [str(r[0]) for r in rows]

    def popular_here(self, n: int) -> list[str]:
        """This store's best sellers by receipts (cached for ``popular_ttl_s``), then the catalog."""
        now = time.monotonic()
        with self._popular_lock:
            cached = self._popular
            if cached is None or now - cached[0] > self._popular_ttl or len(cached[1]) < n:
                conn = self.ctx.replica.reader()
                want = max(n, 200)
                ranked = [
                    str(r[0])
                    for r in conn.execute(
                        "SELECT l.sku FROM sale_lines l JOIN sales s ON s.receipt_id = l.receipt_id "
                        "WHERE s.store = ? GROUP BY l.sku ORDER BY count(DISTINCT l.receipt_id) DESC, l.sku "
                        "LIMIT ?",
                        (self.ctx.store_id, want),
                    )
                ]
                if len(ranked) < want:
                    seen = set(ranked)
                    for (sku,) in conn.execute("SELECT sku FROM catalog ORDER BY sku LIMIT ?", (want * 2,)):
                        if sku not in seen and len(ranked) < want:
                            ranked.append(str(sku))
                cached = (now, ranked)
                self._popular = cached
        return cached[1][:n]

    def names(self, skus: Sequence[str]) -> dict[str, str]:
        rows = self.ctx.replica.reader().execute(
            "SELECT sku, name FROM catalog WHERE sku IN (SELECT value FROM json_each(?))",
            (json.dumps(list(skus)),),
        )
        return {str(s): str(n) for s, n in rows}

    def known_sku(self, sku: str) -> bool:
        row = self.ctx.replica.reader().execute("SELECT 1 FROM catalog WHERE sku = ?", (sku,)).fetchone()
        return row is not None

    def known_customer(self, customer_id: str) -> bool:
        conn = self.ctx.replica.reader()
        row = conn.execute("SELECT 1 FROM customers WHERE customer_id = ?", (customer_id,)).fetchone()
        if row is None:
            row = conn.execute("SELECT 1 FROM sales WHERE customer_id = ? LIMIT 1", (customer_id,)).fetchone()
        return row is not None


# -- the edge-side recommender -------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseEvent:
    model_id: str
    op_id: str
    installed: bool
    detail: str


class EdgeRecommender:
    """Requests ("goes well with", "for you", basket) and model releases for one store."""

    def __init__(
        self,
        ctx: StoreContext,
        settings: RecommendSettings,
        stock: Callable[[Sequence[str]], Mapping[str, int]] | None = None,
        promotions: Callable[[Sequence[str]], Collection[str]] | None = None,
    ) -> None:
        self.settings = settings
        self.facts = ReplicaFacts(ctx, settings.popular_ttl_s)
        self.trusted = bool(settings.public_key)
        # Without a configured key nothing can verify: an ephemeral key rejects every artifact.
        key = load_public_key(settings.public_key) if self.trusted else _untrusting_key()
        self.runtime = ModelRuntime(key, threads=1)
        self.shelf = ArtifactShelf(settings.dir or ctx.replica.path.parent / "models" / ctx.store_id)
        self.events: list[ReleaseEvent] = []
        self.damaged: dict[str, str] = {}
        rules = StoreRules(
            stock=stock or self.facts.available,
            promotions=promotions or self.facts.promoted,
            promotion_boost=settings.promotion_boost,
        )
        self.service = RecommendationService(self.runtime, rules, self.facts.popular_here)

    def start(self) -> list[str]:
        """Load the shelf's previous and current models, then the releases held until a key could
        verify them. Problems are logged, kept for :meth:`status` and returned, not raised."""
        if not self.trusted:
            return []
        problems = restore(self.runtime, self.shelf)
        for problem in problems:
            model_id, _, reason = problem.partition(": ")
            log.warning("model %s on disk not loaded: %s (release it again to repair it)", model_id, reason)
            self.damaged[model_id] = reason
        for model_id in self.shelf.held_ids():
            self._install_held(model_id)
        return problems

    def _install_held(self, model_id: str) -> None:
        try:
            self.install(self.shelf.load_held(model_id))
        except SignatureError as err:
            log.warning("held model release %s still does not verify: %s", model_id, err)
            return
        except ModelError as err:
            log.warning("held model release %s dropped: %s", model_id, err)
            self.events.append(ReleaseEvent(model_id, "held", False, str(err)))
        else:
            log.info("held model release %s installed now that its signer is trusted", model_id)
            self.events.append(
                ReleaseEvent(model_id, "held", True, "installed (held until the key verified it)")
            )
        self.shelf.drop_held(model_id)

    # -- requests -------------------------------------------------------------------------
    def goes_well_with(self, sku: str, basket: Sequence[str] = (), k: int = 10) -> Recommendations:
        if not self.facts.known_sku(sku):
            raise NotFound(f"unknown sku {sku!r}")
        return self.service.recommend([sku, *basket], exclude=[sku, *basket], k=k)

    def for_customer(self, customer_id: str, basket: Sequence[str] = (), k: int = 10) -> Recommendations:
        if not self.facts.known_customer(customer_id):
            raise NotFound(f"unknown customer {customer_id!r}")
        history = self.facts.history(customer_id)
        just = self.facts.just_bought(customer_id, self.settings.just_bought_hours)
        return self.service.recommend([*history, *basket], exclude=[*basket, *just], k=k)

    def for_basket(
        self, basket: Sequence[str], customer_id: str | None = None, k: int = 10
    ) -> Recommendations:
        if customer_id is not None:
            return self.for_customer(customer_id, basket, k)
        return self.service.recommend(list(basket), exclude=list(basket), k=k)

    # -- releases -------------------------------------------------------------------------
    def install(self, artifact: Artifact) -> str:
        """Verify, hot-swap, and keep on disk as current. Raises ModelError if refused."""
        manifest = self.runtime.install(artifact)
        self.shelf.save(artifact)
        self.shelf.mark_current(manifest.model_id)
        self.damaged.pop(manifest.model_id, None)
        return manifest.model_id

    def rollback(self) -> str:
        manifest = self.runtime.rollback()
        self.shelf.mark_rolled_back()
        return manifest.model_id

    def on_model_release(self, _tx: Tx, op: Op) -> None:
        """Inbox handler for ``model.release``. Never raises for a bad artifact: it is logged and
        skipped (the current model, or the fallback, keeps serving)."""
        model_id = str(op.body.get("model_id", "?"))
        try:
            artifact = Artifact.from_release_body(op.body)
            if artifact.manifest.model_id != model_id:
                raise ModelError("op model_id differs from the manifest's")
            self.install(artifact)
        except SignatureError as err:
            detail = f"{err}: held until this store trusts the signer's key (VITRINE_EDGE_MODEL_PUBLIC_KEY)"
            log.warning("model release %s (op %s) refused: %s", model_id, op.id, detail)
            self.events.append(ReleaseEvent(model_id, op.id, False, detail))
            self.shelf.hold(artifact)
            return
        except ModelError as err:
            log.warning("model release %s (op %s) refused: %s", model_id, op.id, err)
            self.events.append(ReleaseEvent(model_id, op.id, False, str(err)))
            return
        self.events.append(ReleaseEvent(model_id, op.id, True, "installed"))

    def status(self) -> dict[str, object]:
        current, previous = self.runtime.current, self.runtime.previous
        return {
            "model_id": current.model_id if current else None,
            "previous_model_id": previous.model_id if previous else None,
            "trusted_key": self.trusted,
            "fallback": current is None,
            "created": current.manifest.created if current else None,
            "metrics": dict(current.manifest.metrics) if current else {},
            "releases": [e.__dict__ for e in self.events[-10:]],
            "damaged": [{"model_id": m, "reason": r} for m, r in sorted(self.damaged.items())],
            "held": self.shelf.held_ids(),
        }


def _untrusting_key() -> Ed25519PublicKey:
    return generate_private_key().public_key()
