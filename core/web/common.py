"""Helpers shared by the HTTP layers: JSON bodies, error replies, the store on the request."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from core.errors import ApiError
from core.textsafe import check_json

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
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body")
    if not check_json(data):  # NUL, half an emoji, absurd nesting or numbers: refuse, never a 500
        raise ApiError(400, "invalid_json")
    return data


def is_cross_site(request: Request) -> bool:
    """A browser POST from another site (browsers always send Origin there; API clients usually do not)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return bool(origin)
    own = {f"{request.url.scheme}://{request.url.netloc}", store_of(request).settings.public_url}
    return origin.rstrip("/") not in own


def error_response(request: Request, exc: ApiError) -> JSONResponse:
    store = store_of(request)
    message = exc.message or store.messages.get(exc.code, exc.params)
    payload: dict[str, Any] = {"code": exc.code, "message": message}
    if exc.field:
        payload["field"] = exc.field
    return JSONResponse({"error": payload}, status_code=exc.status)
