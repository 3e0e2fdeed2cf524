"""Hand-built state records for hook unit tests."""

from __future__ import annotations

from typing import Any


def tool_record(c: int, **fields: Any) -> dict[str, Any]:
    """A ToolRecord (spec §3.2) of call `c`: a successful plain Bash command unless overridden."""
    base = {
        "c": c,
        "turn": 1,
        "tool": "Bash",
        "fam": "bash",
        "path": None,
        "ok": True,
        "kinds": ["run"],
        "shape": "",
        "sig": None,
        "pair": None,
        "unchanged": False,
    }
    return {**base, **fields}
