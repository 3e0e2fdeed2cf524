"""Top-level definitions of a file's text, for large_file_helper (§4.16): `L45 class Parser`."""

from __future__ import annotations

from posttool.lib.fast.lazy import re

# extension group -> patterns; each match yields (keyword, name) through named groups.
PY = (r"^(?P<kw>async\s+def|def|class)\s+(?P<name>\w+)",)
JS = (
    r"^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?P<kw>function\*?|class)\s+(?P<name>\w+)",
    r"^(?:export\s+)?(?P<kw>const)\s+(?P<name>\w+)\s*=\s*(?:async\s*)?\(",
)
GO = (r"^(?P<kw>func)\s+(?:\([^)]*\)\s*)?(?P<name>\w+)",)
RS = (r"^(?:pub\s+)?(?P<kw>fn|struct|enum|trait|impl)\s+(?P<name>\w+)",)
PATTERNS: dict[str, tuple[str, ...]] = {
    ".py": PY, ".pyi": PY,
    ".js": JS, ".jsx": JS, ".ts": JS, ".tsx": JS, ".mjs": JS, ".cjs": JS,
    ".go": GO,
    ".rs": RS,
}  # fmt: skip
CUT_MARK = "…"  # the line `cut_middle` puts where it removed the middle of a long text


def outline(text: str, ext: str, start_line: int, limit: int) -> tuple[list[str], bool]:
    """(up to `limit` entries `L{n} {keyword} {name}`, whether more exist).

    Lines are numbered from `start_line`. If the text was cut in the middle (the event keeps the
    head and tail of very long outputs), only the head is used, since the tail's numbers are
    unknown.
    """
    patterns = PATTERNS.get(ext)
    if not patterns or limit <= 0:
        return [], False
    entries: list[str] = []
    for index, line in enumerate(text.split("\n")):
        if line == CUT_MARK:
            break
        if not line or line[0] in " \t}#/)":
            continue
        for pattern in patterns:
            match = re.match(pattern, line)
            if match:
                if len(entries) == limit:
                    return entries, True
                keyword = " ".join(match.group("kw").split())
                entries.append(f"L{start_line + index} {keyword} {match.group('name')}")
                break
    return entries, False
