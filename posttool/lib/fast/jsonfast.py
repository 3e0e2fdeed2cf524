"""JSON through the C accelerator `_json`, without importing the `json` package.

`import json` imports `re` (and `enum`, `functools`, `collections`...), about 10 ms on the
machines posttool runs on, paid on every tool call; `_json` alone costs ~0.4 ms. The scanner
and encoder below are the same C code `json.loads`/`json.dumps` use, configured the way those
functions configure them. Where `_json` is missing (other interpreters) the stdlib is used.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

try:
    import _json
except ImportError:  # pragma: no cover - interpreters without the accelerator
    _json = None  # type: ignore[assignment]

_WHITESPACE = " \t\n\r"
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class JSONDecodeError(ValueError):
    """The text is not one JSON document."""


class _ScannerContext:
    """The attributes `_json.make_scanner` reads from a `json.JSONDecoder`."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo: ClassVar[dict[str, str]] = {}

    @staticmethod
    def parse_constant(name: str) -> float:
        return _CONSTANTS[name]


_scanner: Any = None
_encoders: dict[bool, Any] = {}


def loads(data: str | bytes) -> Any:
    """Parse one JSON document (bytes are decoded as UTF-8). Raises JSONDecodeError."""
    global _scanner
    if _json is None:  # pragma: no cover
        import json

        try:
            return json.loads(data)
        except ValueError as exc:
            raise JSONDecodeError(str(exc)) from None
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    if _scanner is None:
        _scanner = _json.make_scanner(_ScannerContext)  # type: ignore[arg-type]  # duck-typed
    start = _skip_whitespace(text, 0)
    try:
        value, end = _scanner(text, start)
    except StopIteration as exc:
        raise JSONDecodeError(f"expecting a value at char {exc.value}") from None
    except ValueError as exc:  # _json raises json.JSONDecodeError only if json is loaded
        raise JSONDecodeError(str(exc)) from None
    finally:
        _ScannerContext.memo.clear()
    end = _skip_whitespace(text, end)
    if end != len(text):
        raise JSONDecodeError(f"extra data at char {end}")
    return value


def _skip_whitespace(text: str, index: int) -> int:
    length = len(text)
    while index < length and text[index] in _WHITESPACE:
        index += 1
    return index


def _reject(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON (`,` and `:` separators), non-ASCII kept as it is."""
    if _json is None:  # pragma: no cover
        import json

        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    encoder = _encoders.get(sort_keys)
    if encoder is None:
        encoder = _json.make_encoder(
            {}, _reject, _json.encode_basestring, None, ":", ",", sort_keys, False, True
        )
        _encoders[sort_keys] = encoder
    return "".join(encoder(value, 0))
