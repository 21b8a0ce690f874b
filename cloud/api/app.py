"""``create_app(settings)``: the hub's FastAPI application. Nothing connects until a request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError

from cloud import console
from cloud.api import admin_routes, shop_routes, store_routes
from cloud.errors import CloudError, Conflict, Forbidden, InvalidInput, NotFound, StorageError, Unauthorized
from cloud.hub import Hub
from cloud.settings import CloudSettings, require_api_tokens
from cloud.shop.ordering import OutOfStock
from sync import apidocs
from sync.strict_input import StrictBodyMiddleware, json_safe

_STATUS: tuple[tuple[type[CloudError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (Unauthorized, 401),
    (Forbidden, 403),
    (StorageError, 503),
)


def create_app(settings: CloudSettings, hub: Hub | None = None) -> FastAPI:
    """Build the app. A hub passed in stays the caller's to close; one built here is closed on shutdown."""
    require_api_tokens(settings)  # every entry point: no hub API with empty/placeholder/short tokens
    owned = hub is None
    the_hub = hub or Hub.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            the_hub.close()

    app = FastAPI(
        title="Vitrine cloud hub", version="1.0.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.hub = the_hub

    @app.exception_handler(CloudError)
    async def _cloud_error(_request: Request, exc: CloudError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
        body: dict[str, object] = {"detail": str(exc)}
        if isinstance(exc, OutOfStock):
            body["alternatives"] = exc.alternatives
        return JSONResponse(body, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's 422, with echoed input made serialisable (lone surrogates, inf, bytes)."""
        return JSONResponse({"detail": json_safe(exc.errors())}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        return JSONResponse({"detail": "conflicts with existing data"}, status_code=409)

    @app.get("/docs", include_in_schema=False)
    @app.get("/docs/{name}", include_in_schema=False)
    def api_docs(name: str = "") -> Response:
        """Swagger UI served from a package (works offline; sync/apidocs.py)."""
        found = apidocs.answer(name, app.title)
        if found is None:
            raise HTTPException(404, "not part of the API docs")
        cache = "public, max-age=86400" if found.cacheable else "no-store"
        return Response(
            found.body, media_type=found.media_type, headers={**apidocs.HEADERS, "Cache-Control": cache}
        )

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(StrictBodyMiddleware)  # undecodable or non-finite bodies: 4xx (docs/security.md)
    app.include_router(admin_routes.router)
    app.include_router(shop_routes.router)
    app.include_router(store_routes.router)
    console.mount(app)
    return app
