"""Helpers shared by the HTTP layers: JSON bodies, error replies, the store on the request."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from core.errors import ApiError

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


def store_of(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


async def read_json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, "body_too_large", "Request body too large.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body")
    return data


def error_response(request: Request, exc: ApiError) -> JSONResponse:
    store = store_of(request)
    message = exc.message or store.messages.get(exc.code, exc.params)
    payload: dict[str, Any] = {"code": exc.code, "message": message}
    if exc.field:
        payload["field"] = exc.field
    return JSONResponse({"error": payload}, status_code=exc.status)
