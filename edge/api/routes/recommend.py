"""Recommendation routes: "goes well with" a scanned product, "for you", and for a basket.

Kiosk and handheld (staff) may call them; the model status and rollback are for the manager.
Wired by :func:`install_recommendations` (one line in the app factory), which also registers the
``model.release`` inbox handler.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from pydantic import BaseModel, Field

from edge.api.auth import KIOSK, MANAGER
from edge.api.deps import Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.presence import CallerPresence
from edge.api.schemas import SKU_PATTERN, Sku
from edge.errors import Conflict
from edge.node import EdgeNode
from edge.recommend import EdgeRecommender, load_recommend_settings
from edge.replica.inbox import ReplicaInbox
from models.errors import ModelError
from models.serving import MAX_K, Recommendations

router = APIRouter(prefix="/api/v1/recommendations", tags=["recommendations"], responses=ERROR_RESPONSES)

K = Annotated[int, Query(ge=1, le=MAX_K, description="how many suggestions")]


class Suggested(BaseModel):
    sku: str
    name: str
    score: float
    source: str = Field(description="model, or popular (this store's best sellers)")


class RecommendationsView(BaseModel):
    items: list[Suggested]
    model_id: str | None = Field(description="null when no trusted model is loaded (fallback)")


class BasketRequest(BaseModel):
    skus: list[Sku] = Field(default_factory=list, max_length=200)
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    k: int = Field(default=10, ge=1, le=MAX_K, strict=True)


class ModelStatus(BaseModel):
    model_id: str | None
    previous_model_id: str | None
    trusted_key: bool
    fallback: bool
    created: str | None
    metrics: dict[str, float]
    releases: list[dict[str, object]]
    damaged: list[dict[str, str]] = Field(
        description="artifacts on this store's disk that failed to load, with the reason (a new "
        "release of the same model repairs them)"
    )
    held: list[str] = Field(description="releases kept until this store trusts the signer's key")


def get_recommender(request: Request) -> EdgeRecommender:
    recommender: EdgeRecommender = request.app.state.recommender
    return recommender


Recommender = Annotated[EdgeRecommender, Depends(get_recommender)]


def _view(recommender: EdgeRecommender, recs: Recommendations) -> RecommendationsView:
    names = recommender.facts.names([s.sku for s in recs.items])
    return RecommendationsView(
        items=[
            Suggested(sku=s.sku, name=names.get(s.sku, s.sku), score=s.score, source=s.source)
            for s in recs.items
        ],
        model_id=recs.model_id,
    )


@router.get("/product/{sku}", response_model=RecommendationsView, dependencies=[KIOSK])
def goes_well_with(
    recommender: Recommender,
    sku: Annotated[str, Path(pattern=SKU_PATTERN)],
    k: K = 10,
    basket: Annotated[list[Sku] | None, Query(max_length=200)] = None,
) -> RecommendationsView:
    """What goes well with a scanned product (and the rest of the basket, if given)."""
    return _view(recommender, recommender.goes_well_with(sku, basket or [], k))


@router.get("/customer/{customer_id}", response_model=RecommendationsView, dependencies=[KIOSK])
def for_you(
    recommender: Recommender,
    node: Node,
    presence: CallerPresence,
    customer_id: Annotated[str, Path(min_length=1, max_length=64)],
    k: K = 10,
) -> RecommendationsView:
    """For an identified customer: from their purchase history, minus what they just bought.
    A kiosk needs the customer's loyalty card (``X-Vitrine-Card``)."""
    presence.check_customer(node, customer_id)
    return _view(recommender, recommender.for_customer(customer_id, (), k))


@router.post("/basket", response_model=RecommendationsView, dependencies=[KIOSK])
def for_basket(
    recommender: Recommender, node: Node, presence: CallerPresence, request: BasketRequest
) -> RecommendationsView:
    """For a basket being built (optionally with the customer identified: a kiosk then needs their card)."""
    if request.customer_id is not None:
        presence.check_customer(node, request.customer_id)
    return _view(recommender, recommender.for_basket(request.skus, request.customer_id, request.k))


@router.get("/model", response_model=ModelStatus, dependencies=[MANAGER])
def model_status(recommender: Recommender) -> dict[str, object]:
    return recommender.status()


@router.post("/model/rollback", response_model=ModelStatus, dependencies=[MANAGER])
def rollback(recommender: Recommender) -> dict[str, object]:
    """Serve the previous model again (409 when there is none)."""
    try:
        recommender.rollback()
    except ModelError as err:
        raise Conflict(str(err)) from err
    return recommender.status()


def install_recommendations(app: FastAPI, node: EdgeNode) -> EdgeRecommender:
    """Build the recommender from ``VITRINE_EDGE_MODEL_*`` settings (validated now), load the
    shelf's models, serve the routes, and apply ``model.release`` ops from the node's inbox."""
    recommender = EdgeRecommender(node.stock.ctx, load_recommend_settings())
    recommender.start()
    app.state.recommender = recommender
    node.inbox = ReplicaInbox(node.replica, {"model.release": recommender.on_model_release})
    app.include_router(router)
    return recommender
