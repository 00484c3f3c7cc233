"""Text that every database and log can hold: no NUL, no lone UTF-16 surrogates (an emoji cut in half)."""

from __future__ import annotations

from typing import Any

MAX_JSON_DEPTH = 32


def clean_text(text: str) -> str:
    """Replace NUL and lone surrogates with U+FFFD, keep everything else (emoji included)."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16: a lone surrogate becomes U+FFFD, a well-formed pair stays the character it encodes.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def is_safe(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json(value: Any, depth: int = 0) -> bool:
    """True when every string (keys included) is safe and nesting stays shallow."""
    if depth > MAX_JSON_DEPTH:
        return False
    if isinstance(value, str):
        return is_safe(value)
    if isinstance(value, dict):
        return all(is_safe(str(k)) and check_json(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(check_json(v, depth + 1) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**62) < value < 2**62
    return True
