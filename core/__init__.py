"""Madd Store core: the host. It knows no vendor; plugins bring the partners."""

from core.hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
