"""Maps the edge exception root onto HTTP: NotFound 404, Invalid 422, Conflict 409, StorageError 503."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from edge.errors import Conflict, EdgeError, Forbidden, Invalid, NotFound, StorageError, Unauthorised

STATUS_OF: tuple[tuple[type[EdgeError], int], ...] = (
    (NotFound, 404),
    (Invalid, 422),
    (Conflict, 409),
    (Unauthorised, 401),
    (Forbidden, 403),
    (StorageError, 503),
)


class ErrorBody(BaseModel):
    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "missing or unknown token"},
    403: {"model": ErrorBody, "description": "role not allowed"},
    404: {"model": ErrorBody, "description": "unknown entity"},
    409: {"model": ErrorBody, "description": "conflicts with current state"},
}


def install_error_handlers(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        code = next((status for kind, status in STATUS_OF if isinstance(exc, kind)), 500)
        metrics = getattr(request.app.state, "metrics", None)
        if metrics is not None:
            metrics.rejected.labels(str(code)).inc()
        reason = getattr(exc, "reason", None)
        headers = {"X-Vitrine-Reason": reason} if reason else None
        return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)

    app.add_exception_handler(EdgeError, handle)
