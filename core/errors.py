"""Errors the HTTP layers turn into `{"error": {"code", "message", "field"?}}` with a 4xx status."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refusal with an HTTP status, a snake_case code, and (optionally) the field at fault.

    `message` may be left empty: the HTTP layer then looks the code up in the theme's message file, so
    buyer-facing text stays in Bahasa Indonesia outside the code.
    """

    def __init__(self, status: int, code: str, message: str = "", *, field: str | None = None,
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.params = params or {}


def not_found(code: str = "order_not_found", field: str | None = None) -> ApiError:
    return ApiError(404, code, field=field)


def invalid(code: str, field: str, **params: Any) -> ApiError:
    return ApiError(422, code, field=field, params=params)


def conflict(code: str = "invalid_transition", message: str = "") -> ApiError:
    return ApiError(409, code, message)
