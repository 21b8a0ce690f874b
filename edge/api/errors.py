"""Maps errors onto HTTP: NotFound 404, Invalid 422, Conflict 409, StorageError 503, and bad input 4xx.

Input hygiene (docs/security.md): :class:`~sync.strict_input.StrictBodyMiddleware` refuses bodies
that are not UTF-8 or hold ``NaN``/``Infinity``/out-of-range numbers/lone surrogates before routing,
and validation errors are answered with a 422 whose echoed input is always serialisable.
Storage faults (docs/operations.md): a full or failing replica answers 503 with what to do next.
"""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from edge.errors import Conflict, EdgeError, Forbidden, Invalid, NotFound, StorageError, Unauthorised
from edge.replica.faults import fault_of
from sync.strict_input import StrictBodyMiddleware, json_safe

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
    503: {"model": ErrorBody, "description": "the replica's storage is busy, full or failing"},
}


def _count(app: FastAPI, status: int) -> None:
    metrics = getattr(app.state, "metrics", None)
    if metrics is not None:
        metrics.rejected.labels(str(status)).inc()


def _still_loading(app: FastAPI) -> str:
    """What to add to a 404 while the store's catalog is still coming from the hub (edge/bootstrap)."""
    agent = getattr(app.state, "bootstrap", None)
    if agent is None or agent.cursor.selling:
        return ""
    percent = agent.cursor.progress()["percent"]
    return f" (this store is still loading its catalog from the hub, {percent}% done: try again in a moment)"


def install_error_handlers(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        code = next((status for kind, status in STATUS_OF if isinstance(exc, kind)), 500)
        _count(request.app, code)
        detail = str(exc) + (_still_loading(request.app) if isinstance(exc, NotFound) else "")
        reason = getattr(exc, "reason", None)
        headers = {"X-Vitrine-Reason": reason} if reason else None
        return JSONResponse({"detail": detail}, status_code=code, headers=headers)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        _count(request.app, 422)
        return JSONResponse({"detail": json_safe(exc.errors())}, status_code=422)

    async def storage(request: Request, exc: Exception) -> JSONResponse:
        """An SQLite error outside :meth:`Replica.write` (a read): a fault is a 503, anything else a bug."""
        assert isinstance(exc, sqlite3.Error)
        fault = fault_of(exc)
        if fault is None:
            raise exc
        request.app.state.node.replica.storage.record(fault)
        return await handle(request, fault)

    app.add_exception_handler(EdgeError, handle)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(sqlite3.Error, storage)
    app.add_middleware(StrictBodyMiddleware, on_reject=lambda status: _count(app, status))
