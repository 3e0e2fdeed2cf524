"""Small text helpers shared by the runner and the hooks."""

from __future__ import annotations

try:  # the C module directly: `hashlib` costs ~3 ms of imports on every call
    from _sha256 import sha256
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import sha256

ELLIPSIS = "…"


def h(text: str) -> str:
    """The first 16 hex characters of SHA-256 over the UTF-8 bytes of `text`."""
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def sha256_hex(data: bytes) -> str:
    return sha256(data).hexdigest()


def cut_middle(text: str, limit: int) -> str:
    """Keep the head and the tail of `text`, joined by a marked gap, within `limit` chars."""
    if len(text) <= limit:
        return text
    half = max(1, (limit - 3) // 2)
    return text[:half] + "\n" + ELLIPSIS + "\n" + text[-half:]


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + ELLIPSIS


def one_line(text: str, limit: int) -> str:
    """Whitespace collapsed to single spaces, clipped to `limit`."""
    return clip(" ".join(text.split()), limit)


def age(seconds: float) -> str:
    """A relative age for messages: `40 s`, `12 min`, `2 h`, `3 days`."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def join_limited(items: list[str], limit: int) -> str:
    """`a, b, c, …`: at most `limit` items, with an ellipsis when more exist."""
    shown = ", ".join(items[:limit])
    return shown + (", …" if len(items) > limit else "")
