"""Failure texts (spec §1.4): the exit code line, exception and error-ish lines, hex words.

The spec's patterns are kept beside string implementations that give the same answers (the
tests check them against the patterns): `re` costs ~6 ms of imports, more than everything else
a failure needs.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_EXIT_CODE = r"^Exit code (\d+)"
_TRACEBACK_LAST = r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt))(:\s*(.*))?$"
_ERRORISH = r"(?i)error|fatal:|ERR!|not found|denied|cannot|failed"
_HEX_RUN = r"\b(?=[0-9a-f]*[0-9])[0-9a-f]{7,}\b"
SIGNATURE_SOURCE_CHARS = 2000
SIGNATURE_SCAN_LINES = 1000


def parse_failure(error: str) -> tuple[int | None, str]:
    """(exit code from a first line `Exit code N`, the error without that line)."""
    first, _, rest = error.partition("\n")
    if first.startswith(EXIT_CODE_PREFIX):
        digits = _leading(first[len(EXIT_CODE_PREFIX) :], str.isdecimal)
        if digits:
            return int(digits), rest
    return None, error


EXIT_CODE_PREFIX = "Exit code "
EXCEPTION_SUFFIXES = ("Error", "Exception", "Exit", "Interrupt")
ERRORISH_WORDS = ("error", "fatal:", "err!", "not found", "denied", "cannot", "failed")
ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
HEX_DIGITS = frozenset("0123456789abcdef")
DECIMAL_DIGITS = frozenset("0123456789")


def _leading(text: str, keep: Callable[[str], bool]) -> str:
    end = 0
    while end < len(text) and keep(text[end]):
        end += 1
    return text[:end]


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def is_exception_line(line: str) -> bool:
    """_TRACEBACK_LAST: `SomeError` or `pkg.SomeError: message` (a traceback's last line)."""
    name = line.partition(":")[0]
    if not name or name[0] not in ASCII_LETTERS or not name.endswith(EXCEPTION_SUFFIXES):
        return False
    suffix = next(s for s in EXCEPTION_SUFFIXES if name.endswith(s))
    if len(name) <= len(suffix):
        return False
    return all(_is_word_char(c) or c == "." for c in name[1:])


def is_errorish(line: str) -> bool:
    """_ERRORISH, case-insensitive."""
    lowered = line.lower()
    return any(word in lowered for word in ERRORISH_WORDS)


def mask_hex_words(text: str) -> str:
    """_HEX_RUN → `<hex>`: a whole word of 7+ hex digits with at least one decimal digit."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if not _is_word_char(text[i]):
            out.append(text[i])
            i += 1
            continue
        word = _leading(text[i:], _is_word_char)
        is_hex = len(word) >= 7 and HEX_DIGITS.issuperset(word)
        out.append("<hex>" if is_hex and not DECIMAL_DIGITS.isdisjoint(word) else word)
        i += len(word)
    return "".join(out)
