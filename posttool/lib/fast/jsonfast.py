"""JSON through the C accelerator `_json`, without importing the `json` package.

`import json` imports `re` (and `enum`, `functools`, `collections`...), about 10 ms on the
machines posttool runs on, paid on every tool call; `_json` alone costs ~0.4 ms. The scanner
and encoder below are the same C code `json.loads`/`json.dumps` use, configured the way those
functions configure them. Where `_json` is missing (other interpreters) the stdlib is used.
"""

from __future__ import annotations

from posttool.lib.text import clean_tree, may_hold_surrogates, replace_surrogates

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
    """The input is not one JSON document: malformed, truncated, not UTF-8, or nested deeper
    than the interpreter's recursion limit. The one error `loads` raises for bad input."""


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
    """Parse one JSON document (bytes are decoded as UTF-8).

    Any malformed input raises JSONDecodeError and nothing else, so a caller's one
    `except JSONDecodeError` covers a truncated file, a bad byte and a 10 000-deep array alike.
    """
    global _scanner
    if _json is None:  # pragma: no cover
        import json

        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise JSONDecodeError(str(exc)) from None
    if isinstance(data, (bytes, bytearray)):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONDecodeError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    else:
        text = data
    if _scanner is None:
        _scanner = _json.make_scanner(_ScannerContext)  # type: ignore[arg-type]  # duck-typed
    start = _skip_whitespace(text, 0)
    try:
        value, end = _scanner(text, start)
    except StopIteration as exc:
        raise JSONDecodeError(f"expecting a value at char {exc.value}") from None
    except RecursionError:
        raise JSONDecodeError("nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError, when something else imported `json`
        raise JSONDecodeError(str(exc)) from None
    except SystemError:
        # Without `json.decoder` in sys.modules, `_json` cannot build its error and returns
        # NULL with no exception set; the interpreter reports that as SystemError.
        raise JSONDecodeError("malformed or truncated JSON") from None
    finally:
        _ScannerContext.memo.clear()
    end = _skip_whitespace(text, end)
    if end != len(text):
        raise JSONDecodeError(f"extra data at char {end}")
    return value


def loads_clean(data: str | bytes) -> Any:
    """`loads` for text posttool keeps or answers with: every lone surrogate becomes U+FFFD, so
    the value can always be written back as UTF-8. Bytes that are UTF-8 but for surrogates
    written with `surrogatepass` (the session files of earlier versions) load the same way.
    Raises JSONDecodeError."""
    text = _decoded(data) if isinstance(data, (bytes, bytearray)) else data
    value = loads(text)
    if may_hold_surrogates(text):
        value = clean_tree(value)
    return value


def _decoded(data: bytes | bytearray) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return replace_surrogates(data.decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError as exc:
            raise JSONDecodeError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None


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
