"""dev_toolchain_suggest names only the linter by default (issue 7 §3): on real sessions its
formatter and type-checker advice named tools the projects did not use (`mypy` where no mypy
was configured)."""

from __future__ import annotations

from tests.conftest import Session, write_config
from tests.hooks.quality_payloads import bash, labelled, write

HOOK = "dev_toolchain_suggest"


def two_ts(s: Session) -> str:
    for config in ("eslint.config.js", ".prettierrc", "tsconfig.json"):  # a project using them
        (s.project / config).write_text("{}\n")
    write(s, "a.ts", "export const a = 1;\n")
    return write(s, "src/b.ts", "export const b = 2;\n")


def test_only_the_missing_linter_is_named(session: Session) -> None:
    blocks = labelled(two_ts(session), HOOK)
    assert len(blocks) == 1
    assert blocks[0].startswith(f"[{HOOK}] No linter has run this session on the 2 TypeScript")
    assert "prettier" not in blocks[0] and "tsc" not in blocks[0]


def test_python_is_linted_by_quality_scanner_so_nothing_is_said(session: Session) -> None:
    (session.project / "a.py").write_text("x = 1\n")
    (session.project / "b.py").write_text("y = 2\n")
    write(session, "a.py", "x = 1\n")
    assert labelled(write(session, "b.py", "y = 2\n"), HOOK) == []


def test_silent_once_the_linter_ran(session: Session) -> None:
    bash(session, "npx eslint .", "")
    assert labelled(two_ts(session), HOOK) == []


def test_roles_can_be_configured(session: Session) -> None:
    write_config(session.home, {HOOK: {"roles": ["types"]}})
    blocks = labelled(two_ts(session), HOOK)
    assert blocks and "`npx tsc --noEmit`" in blocks[0] and "eslint" not in blocks[0]
