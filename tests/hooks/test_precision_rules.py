"""code_quality_gate and assumption_check on code shaped like the real sessions' (issue 7 §2).

Each MUST_NOT_FIRE case is a false finding seen on real Write/Edit contents (the evidence is in
docs/precision-rules.md); each MUST_FIRE case is the true finding the tightened rule keeps.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Session
from tests.hooks.quality_payloads import edit, labelled, write

RETRY_TS = """\
export async function withRetry<T>(fn: () => Promise<T>, maxRetries = 3): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= maxRetries; attempt++) {
    try {
      return await fn();
    } catch (error: any) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 2 ** attempt * 100));
    }
  }
  throw lastError;
}
"""
ROUTER_JS = """\
const http = require('http');
const fs = require('fs');
const manifest = JSON.parse(fs.readFileSync('manifest.json', 'utf8'));

const server = http.createServer(async (req, res) => {
  const key = `${req.method} ${req.url.split('?')[0]}`;
  await routes[key](req, res);
});
"""
PAGINATION_PY = """\
def query_all(self, database_id):
    pages, has_more, start_cursor = [], True, None
    while has_more:
        response = self.client.databases.query(
            database_id=database_id, page_size=100, start_cursor=start_cursor
        )
        pages.extend(response.get("results", []))
        has_more, start_cursor = response["has_more"], response["next_cursor"]
    return pages
"""
CACHE_PY = """\
import json


def load_cache(cache_path):
    with open(cache_path, encoding="utf-8") as f:
        return json.load(f)


def title_of(db):
    return db.get("title", [])[0]["plain_text"] if db.get("title") else "Untitled"
"""
LONG_GO_TEST = "package server\n\n" + "func TestX(t *testing.T) {}\n\n" * 260
ITEMS_TS = """\
export async function saveAll(items: Item[]) {
  for (const item of items) {
    await db.save(item);
  }
}
"""
FETCH_JS = """\
async function remote(path) {
  const reply = await fetchRemote(path);
  return JSON.parse(reply.body);
}
"""
FIRST_WORD_PY = "def first_word(line):\n    return line.strip().split()[0]\n"

Case = Callable[[Session], str]
MUST_NOT_FIRE: list[tuple[str, str, Case]] = [
    ("retry_loop_await", "code_quality_gate", lambda s: write(s, "src/retry.ts", RETRY_TS)),
    ("sync_read_at_start_up", "code_quality_gate", lambda s: write(s, "agent.js", ROUTER_JS)),
    ("split_sep_index", "assumption_check", lambda s: write(s, "agent.js", ROUTER_JS)),
    ("pagination_while", "code_quality_gate", lambda s: write(s, "client.py", PAGINATION_PY)),
    ("json_load_of_a_file", "assumption_check", lambda s: write(s, "cache.py", CACHE_PY)),
    ("conditional_index", "assumption_check", lambda s: write(s, "cache.py", CACHE_PY)),
    (
        "long_test_file",
        "code_quality_gate",
        lambda s: write(s, "internal/server/ws_test.go", LONG_GO_TEST),
    ),
    (
        "retry_loop_added_by_edit",
        "code_quality_gate",
        lambda s: edit(
            s,
            "src/retry.ts",
            RETRY_TS.replace("      return await fn();\n", "      return fn();\n"),
            "      return fn();",
            "      return await fn();",
        ),
    ),
]
MUST_FIRE: list[tuple[str, str, Case, str]] = [
    (
        "await_per_item",
        "code_quality_gate",
        lambda s: write(s, "src/save.ts", ITEMS_TS),
        "- L3 await_in_loop:",
    ),
    (
        "remote_json",
        "assumption_check",
        lambda s: write(s, "remote.js", FETCH_JS),
        "assumes the input is valid JSON",
    ),
    (
        "split_on_whitespace_can_be_empty",
        "assumption_check",
        lambda s: write(s, "words.py", FIRST_WORD_PY),
        "assumes the call returns a non-empty sequence",
    ),
    (
        "long_source_file",
        "code_quality_gate",
        lambda s: write(s, "internal/server/ws.go", LONG_GO_TEST),
        "god_file: the file now has 522 lines",
    ),
]


@pytest.mark.parametrize(("name", "hook", "case"), MUST_NOT_FIRE, ids=[c[0] for c in MUST_NOT_FIRE])
def test_silent(session: Session, name: str, hook: str, case: Case) -> None:
    assert labelled(case(session), hook) == []


@pytest.mark.parametrize(
    ("name", "hook", "case", "expected"), MUST_FIRE, ids=[c[0] for c in MUST_FIRE]
)
def test_fires(session: Session, name: str, hook: str, case: Case, expected: str) -> None:
    blocks = labelled(case(session), hook)
    assert len(blocks) == 1 and expected in blocks[0], blocks
