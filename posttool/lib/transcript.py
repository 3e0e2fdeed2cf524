"""A bounded look at the end of a Claude Code transcript (JSONL), for thinking_quality_boost.

Only `stat` and one read of at most `max_bytes` from the end of the file: a transcript grows to
many megabytes, and reading it whole on every call is what made earlier hook runners slow.
"""

from __future__ import annotations

import os

from posttool.lib.fast.jsonfast import JSONDecodeError, loads_clean

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Cumulative days before each month in a non-leap year.
_MONTH_DAYS = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def size_of(path: str | None) -> int | None:
    """The size of a regular file at `path`, or None when it is missing or not a file."""
    if not path:
        return None
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    if (info.st_mode & 0o170000) != 0o100000:  # not a regular file
        return None
    return info.st_size


def tail_entries(
    path: str, size: int, max_bytes: int, must_contain: str = ""
) -> list[dict[str, Any]]:
    """The JSON objects on the complete lines among the last `max_bytes` bytes of the file.

    A read that starts inside the file drops its first (partial) line; lines that do not parse
    (including a last line still being written) are skipped, and so, without being parsed, are
    lines that do not contain `must_contain` (most of a transcript is tool results).
    """
    start = max(0, size - max(0, max_bytes))
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            data = handle.read(size - start)
    except (OSError, ValueError):
        return []
    lines = data.decode("utf-8", "replace").split("\n")
    if start > 0:
        lines = lines[1:]
    entries = []
    for line in lines:
        line = line.strip()
        if not line or line[0] != "{" or must_contain not in line:
            continue
        try:
            value = loads_clean(line)
        except JSONDecodeError:
            continue
        if isinstance(value, dict):
            entries.append(value)
    return entries


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    leap = month > 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    y = year - 1
    days = y * 365 + y // 4 - y // 100 + y // 400 + _MONTH_DAYS[month - 1] + leap + day - 1
    return days - 719162  # days from 0001-01-01 to 1970-01-01


def parse_timestamp(text: Any) -> float | None:
    """Epoch seconds of an ISO-8601 timestamp such as `2026-11-20T10:00:00.000Z`.

    Accepts a `T` or space separator, optional fractional seconds, and `Z`, `±HH:MM`, `±HHMM`
    or no zone (taken as UTC). Returns None for anything else.
    """
    if not isinstance(text, str) or len(text) < 19 or len(text) > 40:
        return None
    try:
        if (
            text[4] != "-"
            or text[7] != "-"
            or text[10] not in "Tt "
            or text[13] != ":"
            or (text[16] != ":")
        ):
            return None
        year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
        hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
        rest = text[19:]
        fraction = 0.0
        if rest[:1] in (".", ","):
            digits = 0
            while digits + 1 < len(rest) and rest[digits + 1].isdigit():
                digits += 1
            if not digits:
                return None
            fraction = float("0." + rest[1 : digits + 1])
            rest = rest[digits + 1 :]
        offset = 0
        if rest in ("", "Z", "z"):
            pass
        elif rest[0] in "+-":
            zone = rest[1:].replace(":", "")
            if len(zone) != 4 or not zone.isdigit():
                return None
            offset = (int(zone[:2]) * 60 + int(zone[2:])) * 60
            if rest[0] == "-":
                offset = -offset
        else:
            return None
    except ValueError:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        return None
    days = _days_from_civil(year, month, day)
    return days * 86400 + hour * 3600 + minute * 60 + second + fraction - offset
