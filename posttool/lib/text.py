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


# Lone surrogates (U+D800-U+DFFF) are code points no UTF-8 file, pipe or answer can hold. They
# reach posttool only as `\udXXX` escapes in JSON (a tool output cut through an emoji), so they
# are replaced by U+FFFD where event text enters, and where old state files are read back.
SURROGATE_ESCAPES = ("\\ud", "\\uD")
_REPLACE_HANDLER = "posttool.surrogate-to-fffd"
_handler_ready = False
_FFFD_UTF8 = "\ufffd".encode()  # the UTF-8 encoder takes only ASCII text from a handler


def may_hold_surrogates(json_text: str) -> bool:
    """False when a JSON text cannot decode to a lone surrogate (it has no `\\udXXX` escape)."""
    return SURROGATE_ESCAPES[0] in json_text or SURROGATE_ESCAPES[1] in json_text


def replace_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD; any other text is returned as is."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    global _handler_ready
    if not _handler_ready:
        import codecs  # already loaded by the interpreter's start-up; costs nothing

        codecs.register_error(_REPLACE_HANDLER, _as_fffd)
        _handler_ready = True
    return text.encode("utf-8", _REPLACE_HANDLER).decode("utf-8")


def clean_tree(value: object) -> object:
    """A JSON value with lone surrogates replaced in every string and key. Iterative, so a
    document nested as deeply as the parser allows cannot overflow the stack here."""
    if isinstance(value, str):
        return replace_surrogates(value)
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = replace_surrogates(item)
                elif isinstance(item, (list, dict)):
                    pending.append(item)
        elif isinstance(node, dict):
            items = [(replace_surrogates(key), item) for key, item in node.items()]
            node.clear()
            for key, item in items:
                if isinstance(item, str):
                    item = replace_surrogates(item)
                elif isinstance(item, (list, dict)):
                    pending.append(item)
                node[key] = item
    return value


def _as_fffd(exc: UnicodeError) -> tuple[str | bytes, int]:
    """The codec error handler behind `replace_surrogates`: U+FFFD for each lone surrogate."""
    assert isinstance(exc, UnicodeEncodeError)
    return _FFFD_UTF8 * (exc.end - exc.start), exc.end
