"""The admin area (/admin) — session login, CSRF-protected forms. Filled in by the admin issue."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from core.settings import Settings

routes: list[Any] = []


def install(app: Starlette, settings: Settings) -> None:
    """Add the session middleware and anything else the admin area needs."""
