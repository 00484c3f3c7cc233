"""Buyer- and owner-facing words live in message files (`themes/<theme>/messages.yaml`), not in code."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


class Messages:
    def __init__(self, files: list[Path]) -> None:
        merged: dict[str, str] = {}
        for file in reversed(files):  # later files are fallbacks; the first one wins
            if file.exists():
                merged.update({str(k): str(v) for k, v in (yaml.safe_load(file.read_text("utf-8")) or {}).items()})
        self._messages = merged

    def get(self, key: str, params: Mapping[str, Any] | None = None, default: str | None = None) -> str:
        text = self._messages.get(key)
        if text is None:
            return default if default is not None else key.replace("_", " ")
        try:
            return text.format(**(params or {}))
        except (KeyError, IndexError, ValueError):
            return text
