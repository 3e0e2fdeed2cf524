"""Checks over the added lines of an edit that need no parser: placeholders (any language, used
by code_quality_gate and the `stub_written` reducer) and the JavaScript/TypeScript checks of
code_quality_gate (§4.12) and state_mutation_guard (§4.14). (The `*Sync` call check was removed:
on real code it flagged start-up reads and CLI scripts, see docs/precision-rules.md.)

Every pattern is free of nested quantifiers, and every function is linear in the added text
(names looked up in the rest of the text are capped), so a huge edit stays cheap.
"""

from __future__ import annotations

from posttool.lib.fast.lazy import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    Added = list[tuple[int | None, str]]

PLACEHOLDER = (
    r"raise NotImplementedError"
    r"|^\s*(?:pass|\.\.\.)\s*#\s*TODO"
    r"|TODO:?\s*(?i:implement)"
    r"|throw new Error\(\s*[\"'`](?i:not implemented)"
    r"|\btodo!\(\)"
    r"|\bunimplemented!\(\)"
)
JS_EXTENSIONS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
LOOP_START = r"\bfor\s*\(|\.forEach\s*\("
LOOKBACK = 3  # await_in_loop: the loop must begin within this many added lines before
ARRAY_MUTATION = r"(?<![\w$.])([A-Za-z_$][\w$]*)\.(push|pop|shift|unshift|splice|sort|reverse)\("
MAX_MUTATED_NAMES = 20
COPY_FIRST = {
    "push": "[...{n}, x]",
    "unshift": "[x, ...{n}]",
    "sort": "[...{n}].sort()",
    "reverse": "[...{n}].reverse()",
}


def bounded(added: Added, max_chars: int) -> Added:
    """The leading added lines whose total length stays within `max_chars`
    (`common.max_scan_chars`): what any regex check may look at."""
    total = 0
    for index, (_, text) in enumerate(added):
        total += len(text) + 1
        if total > max_chars:
            return added[:index]
    return added


# Every alternative of PLACEHOLDER contains one of these: a line without any cannot match, and
# is ruled out without the regex engine.
PLACEHOLDER_WORDS = (
    "NotImplementedError",
    "TODO",
    "throw new Error(",
    "todo!()",
    "unimplemented!()",
)


def is_placeholder(text: str) -> bool:
    """The line is a stub: `raise NotImplementedError`, `pass  # TODO`, `TODO: implement`,
    `throw new Error("not implemented")`, `todo!()` or `unimplemented!()`."""
    if not any(word in text for word in PLACEHOLDER_WORDS):
        return False
    return re.search(PLACEHOLDER, text) is not None


def placeholders(added: Added) -> Iterator[tuple[int | None, str]]:
    for line_no, text in added:
        if is_placeholder(text):
            yield line_no, text


def _consecutive(added: Added, first: int, last: int) -> bool:
    """The added lines first..last are adjacent in the file (or their numbers are unknown)."""
    start, end = added[first][0], added[last][0]
    return start is None or end is None or end - start == last - first


def await_in_loops(added: Added) -> Iterator[tuple[int | None, str, bool]]:
    """(line, loop line text, is forEach) for an added `await` inside a `for (…)`/`for … of`
    loop or a `.forEach(` callback that begins on the same or one of the LOOKBACK added lines
    before it. The loop counts as open while its braces are, or for the next line of a
    brace-less body."""
    texts = [text for _, text in added]
    for index, text in enumerate(texts):
        awaited = re.search(r"\bawait\b", text)
        if awaited is None:
            continue
        for start in range(index, max(-1, index - LOOKBACK - 1), -1):
            loop = None
            for loop in re.finditer(LOOP_START, texts[start]):  # noqa: B007 - keep the last
                pass
            if loop is None or not _consecutive(added, start, index):
                continue
            if start == index:
                between = text[loop.start() : awaited.start()]
            else:
                head, tail = texts[start][loop.start() :], text[: awaited.start()]
                between = "\n".join([head, *texts[start + 1 : index], tail])
            depth = between.count("{") - between.count("}")
            braceless = "{" not in between and index - start <= 1
            if depth > 0 or braceless:
                if not _is_sequential_loop(texts[start][loop.start() :], text[: awaited.start()]):
                    yield added[index][0], texts[start], loop.group().startswith(".")
                break


def _is_sequential_loop(loop_text: str, before_await: str) -> bool:
    """Loops whose awaits must run one after another: a counter loop (`for (let attempt = 0;
    …; attempt++)`, a retry or a poll, not a walk over items) and an await whose result
    leaves the loop (`return await fn()`: the first success ends it)."""
    header = loop_text.partition(")")[0]
    if not loop_text.startswith(".") and ";" in header and ".length" not in header:
        return True
    return before_await.rstrip().endswith("return")


def mutate_then_set(added: Added) -> Iterator[tuple[int | None, str, str, str]]:
    """(line, name, method, setter): `name.push(…)` (or another in-place array method) in the
    added text, later passed as is to a React setter `setX(name)`. A name declared in the added
    text as a copy (`const next = [...items]`) is not state, and is skipped."""
    texts = [text for _, text in added]
    seen: set[str] = set()
    for index, text in enumerate(texts):
        for match in re.finditer(ARRAY_MUTATION, text):
            name, method = match.group(1), match.group(2)
            if name in seen or len(seen) >= MAX_MUTATED_NAMES:
                continue
            seen.add(name)
            before = "\n".join([*texts[:index], text[: match.start()]])
            if _declared_as_copy(before, name):
                continue
            after = "\n".join([text[match.end() :], *texts[index + 1 :]])
            setter = re.search(r"\b(set[A-Z]\w*)\(\s*" + re.escape(name) + r"\s*\)", after)
            if setter:
                yield added[index][0], name, method, setter.group(1)


def _declared_as_copy(before: str, name: str) -> bool:
    copy = (
        r"\b(?:const|let|var)\s+" + re.escape(name) + r"\s*=\s*(?:\[\s*\.\.\.|\{\s*\.\.\."
        r"|Array\.from\(|structuredClone\(|[\w$.]+\.(?:slice|concat|map|filter)\()"
    )
    return re.search(copy, before) is not None


def copy_hint(name: str, method: str) -> str:
    return COPY_FIRST.get(method, "{n}.filter(...)` or `{n}.slice(...)").format(n=name)


def this_state_assignments(added: Added) -> Iterator[tuple[int | None, str]]:
    """(line, field) for `this.state.field = …` (not `==`)."""
    for line_no, text in added:
        match = re.search(r"\bthis\.state\.(\w+)\s*=(?!=)", text)
        if match:
            yield line_no, match.group(1)


# Temporary instrumentation: a print or log call, a debugger statement. Removing it again is
# cleanup, not a reversal of a decision.
DEBUG_OUTPUT = (
    r"^\s*(?:print\(|console\.(?:log|debug|error|warn|dir|table)\(|debugger\b|breakpoint\(\)"
    r"|import i?pdb|i?pdb\.set_trace\(|fmt\.(?:Print|Fprint)|log\.(?:Print|debug|info)"
    r"|logger\.debug\(|dbg!\(|eprintln!\(|println!\(|System\.(?:out|err)\.print"
    r"|var_dump\(|puts\s|pp\s)"
)


def removes_only_debug_output(before: str, after: str) -> bool:
    """The change from `before` to `after` only deletes lines, and each deleted line is debug
    output (`print(x)`, `console.log(…)`, `debugger`) or blank."""
    remaining: dict[str, int] = {}
    for line in after.splitlines():
        remaining[line] = remaining.get(line, 0) + 1
    removed = []
    for line in before.splitlines():
        if remaining.get(line):
            remaining[line] -= 1
        else:
            removed.append(line)
    if any(remaining.values()) or not any(line.strip() for line in removed):
        return False
    return all(not line.strip() or re.search(DEBUG_OUTPUT, line) for line in removed)
