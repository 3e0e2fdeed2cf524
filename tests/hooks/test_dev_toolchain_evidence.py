"""dev_toolchain_suggest names a tool only when the project evidently uses it.

`npx eslint --fix src/a.ts` in a TypeScript project with no ESLint configuration (one that uses
Biome, or `tsc` alone) downloads ESLint and fails with "couldn't find a configuration file";
`shellcheck a.sh` where shellcheck is not installed is "command not found". The suggestion needs
evidence: a configuration file from the edited file's folder up to the project root, the tool in
package.json, a directive in the edited file, or the program on PATH.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from posttool.lib.toolchains import DEFAULT_TOOLS, in_use
from tests.conftest import Session
from tests.hooks.quality_payloads import labelled, write

HOOK = "dev_toolchain_suggest"
ESLINT_NOTE = "No linter has run this session on the 2 TypeScript files edited; run `npx eslint"


def two_ts(s: Session, folder: str = "src", text: str = "export const a = 1;\n") -> str:
    write(s, f"{folder}/a.ts", text)
    return write(s, f"{folder}/b.ts", text)


def test_a_project_without_eslint_hears_nothing(session: Session) -> None:
    (session.project / "tsconfig.json").write_text("{}\n")
    (session.project / "biome.json").write_text("{}\n")
    assert labelled(two_ts(session), HOOK) == []


def test_an_eslint_config_in_a_monorepo_package(session: Session) -> None:
    package = session.project / "packages" / "web"
    package.mkdir(parents=True)
    (package / "eslint.config.mjs").write_text("export default [];\n")
    assert labelled(two_ts(session, "packages/api/src"), HOOK) == []
    out = write(session, "packages/web/src/a.ts", "export const a = 1;\n")
    assert "3 TypeScript files edited; run `npx eslint --fix packages/web/src/a.ts`" in out


def test_eslint_in_package_json(session: Session) -> None:
    (session.project / "package.json").write_text('{"devDependencies": {"eslint": "^9.0.0"}}\n')
    assert ESLINT_NOTE in labelled(two_ts(session), HOOK)[0]


def test_an_eslint_directive_in_the_edited_file(session: Session) -> None:
    text = (
        "// eslint-disable-next-line @typescript-eslint/no-explicit-any\nexport const a: any = 1;\n"
    )
    assert ESLINT_NOTE in labelled(two_ts(session, text=text), HOOK)[0]


def test_shellcheck_only_when_installed(
    session: Session, make_session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin-empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    write(session, "a.sh", "echo a\n")
    assert labelled(write(session, "b.sh", "echo b\n"), HOOK) == []
    tools = tmp_path / "bin"
    tools.mkdir()
    shellcheck = tools / "shellcheck"
    shellcheck.write_text("#!/bin/sh\nexit 0\n")
    shellcheck.chmod(0o755)
    monkeypatch.setenv("PATH", f"{empty}{os.pathsep}{tools}")
    other = make_session("sess-2")
    write(other, "a.sh", "echo a\n")
    assert "run `shellcheck b.sh`" in labelled(write(other, "b.sh", "echo b\n"), HOOK)[0]


def test_in_use_without_evidence_keys_and_with_bad_specs(tmp_path: Path) -> None:
    assert in_use({"command": "go vet ./..."}, str(tmp_path / "a.go"), str(tmp_path), "")
    assert not in_use("junk", str(tmp_path / "a.go"), str(tmp_path), "")
    odd = {"configs": [3, None], "manifests": [["package.json"], "x"], "markers": "eslint"}
    assert in_use(odd, str(tmp_path / "a.ts"), str(tmp_path), "eslint")  # nothing usable: applies
    eslint = DEFAULT_TOOLS[1]["lint"]
    assert not in_use(eslint, "/elsewhere/a.ts", str(tmp_path), "")
