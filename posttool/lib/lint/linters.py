"""Running ruff and radon on one file and reading what they say (quality_scanner's cache miss).

Imported only when the lint cache has no answer for the written bytes: `lint.py` holds what a
cache hit needs (settings, the tool identity, the cache), this module what a miss adds.
"""

from __future__ import annotations

import os
import time

from posttool.lib.fast.jsonfast import JSONDecodeError, loads_clean
from posttool.lib.lint.cache import (
    DEFAULT_MIN_RANK,
    DEFAULT_SELECT,
    HOOK,
    MAX_CONFIG_LEVELS,
    MAX_KEPT,
    MAX_MESSAGE_CHARS,
    RUFF_ARGS,
    RUFF_CONFIG_NAMES,
    SAFE_FIXES,
    SYNTAX,
    SYNTAX_CODES,
    Settings,
)
from posttool.lib.log import log
from posttool.lib.paths import is_within
from posttool.lib.text import one_line

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from posttool.lib.fast.spawn import Child

    Finding = list[Any]
    Block = list[Any]


def has_ruff_config(start_dir: str) -> bool:
    """Whether ruff will find a configuration of the project's or the user's own for a file in
    `start_dir`: a ruff.toml / .ruff.toml, or a pyproject.toml with a `[tool.ruff` table."""
    current = os.path.abspath(start_dir)
    for _ in range(MAX_CONFIG_LEVELS):
        for name in RUFF_CONFIG_NAMES:
            candidate = os.path.join(current, name)
            if os.path.isfile(candidate) and (
                name != "pyproject.toml" or _has_ruff_table(candidate)
            ):
                return True
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return any(os.path.isfile(os.path.join(xdg, "ruff", name)) for name in RUFF_CONFIG_NAMES)


def _has_ruff_table(pyproject: str) -> bool:
    try:
        with open(pyproject, "rb") as handle:
            return b"[tool.ruff" in handle.read(1_000_000)
    except OSError:
        return False


def ruff_argv(ruff: str, path: str, settings: Settings) -> list[str]:
    argv = [ruff, *RUFF_ARGS]
    if settings.default_select and not has_ruff_config(os.path.dirname(path)):
        argv.append("--select=" + ",".join(settings.default_select))
    return [*argv, path]


def isolated_ruff_argv(ruff: str, path: str, settings: Settings) -> list[str]:
    """ruff with posttool's defaults only: the project's configuration is ignored."""
    select = settings.default_select or list(DEFAULT_SELECT)
    return [ruff, *RUFF_ARGS, "--isolated", "--select=" + ",".join(select), path]


def ruff_config_error(stderr: str, cwd: str) -> str:
    """ruff's one-line reason when it refused to start because a configuration file is
    invalid (`ruff failed` / `Cause: Failed to parse …/pyproject.toml` / `unknown field …`),
    else ''. Other abnormal exits are not configuration errors."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("ruff failed") or ".toml" not in stderr:
        return ""
    where = ""
    for line in lines:
        for token in line.replace("`", " ").split():
            if token.endswith(".toml") and not where:
                where = os.path.relpath(token, cwd) if is_within(token, cwd) else token
    at = next((line for line in lines if "parse error at line" in line), "")
    position = at[at.index("at line") + 3 :].split(",")[0] if at else ""
    reasons = [line for line in lines[1:] if "|" not in line and not line.startswith("Cause:")]
    reason = reasons[-1] if reasons else lines[-1].removeprefix("Cause:").strip()
    located = f"{where} {position}".strip() or "ruff configuration"
    return one_line(f"{located}: {reason}", 200)


class ToolRun:
    """ruff and radon on one file, started together and collected by one shared deadline."""

    __slots__ = ("cacheable", "config_error", "cwd", "display", "path", "settings")

    def __init__(self, path: str, cwd: str, settings: Settings, display: str) -> None:
        self.path = path
        self.cwd = cwd
        self.settings = settings
        self.display = display
        self.cacheable = True  # cleared by anything that may not happen again (timeouts...)
        self.config_error = ""  # ruff's reason when the project's ruff config is invalid

    def run(
        self, data: bytes, ruff: str | None, radon_in_process: bool, radon_cli: str | None
    ) -> tuple[list[Finding] | None, list[Block] | None]:
        deadline = time.monotonic() + self.settings.timeout_s
        ruff_proc = self.start(ruff_argv(ruff, self.path, self.settings), "ruff") if ruff else None
        radon_proc = None
        radon_thread = None
        if radon_in_process:
            radon_thread = RadonThread(data, self.settings.min_rank)
            radon_thread.start()
        elif radon_cli:
            cmd = [radon_cli, "cc", "--json", "--min", self.settings.min_rank, self.path]
            # radon reads the file as UTF-8 and then fails on a byte-order mark Python accepts
            radon_proc = self.start(cmd, "radon", {**os.environ, "RADONFILESENCODING": "utf-8-sig"})
        ruff_result = None
        if ruff_proc is not None:
            out = self.collect(ruff_proc, deadline, "ruff")
            if out is None and self.config_error and ruff:
                isolated = self.start(isolated_ruff_argv(ruff, self.path, self.settings), "ruff")
                out = None if isolated is None else self.collect(isolated, deadline, "ruff")
            ruff_result = None if out is None else self.parse_ruff_output(out)
        radon_result = None
        if radon_thread is not None:
            radon_result = self.join_radon(radon_thread, deadline)
        elif radon_proc is not None:
            out = self.collect(radon_proc, deadline, "radon")
            radon_result = None if out is None else self.parse_radon_output(out)
        return ruff_result, radon_result

    def defer(self, task: Callable[[], None]) -> None:
        """Work the answer does not need (the cache entry): done at once here; a warm server
        does it after answering."""
        task()

    def start(self, argv: list[str], tool: str, env: dict[str, str] | None = None) -> Child | None:
        from posttool.lib.fast.spawn import start

        try:
            return start(argv, self.cwd, env)
        except OSError as exc:
            self.cacheable = False
            log(f"{HOOK}: cannot start {tool} ({argv[0]}): {exc}")
            return None

    def collect(self, child: Child, deadline: float, tool: str) -> bytes | None:
        """stdout of a finished run with exit code 0 or 1; None (logged) otherwise."""
        from posttool.lib.fast.spawn import collect

        result = collect(child, deadline)
        if result is None:
            self.cacheable = False
            log(
                f"{HOOK}: {tool} timed out after {self.settings.timeout_s:g} s on "
                f"{self.display}; killed"
            )
            return None
        code, out, err = result
        if code not in (0, 1):
            self.cacheable = False
            if tool == "ruff" and not self.config_error:
                # the project's broken ruff config is the user's to fix, not posttool's error:
                # it is told to the model (quality_scanner), and ruff runs on the defaults
                self.config_error = ruff_config_error(err.decode("utf-8", "replace"), self.cwd)
                if self.config_error:
                    return None
            detail = one_line(err.decode("utf-8", "replace"), 300) or "no message"
            log(f"{HOOK}: {tool} exited {code} on {self.display}: {detail}")
            return None
        return out

    def parse_ruff_output(self, out: bytes) -> list[Finding] | None:
        findings = parse_ruff(out)
        if findings is None:
            self.cacheable = False
            log(
                f"{HOOK}: ruff printed unparsable JSON on {self.display}: "
                f"{one_line(out.decode('utf-8', 'replace'), 120)!r}"
            )
            return None
        if any(code == "E902" for code, _, _, _ in findings):  # ruff could not read the file
            self.cacheable = False
            log(f"{HOOK}: ruff could not read {self.display}; skipping ruff")
            return None
        return findings

    def parse_radon_output(self, out: bytes) -> list[Block] | None:
        blocks = parse_radon_json(out, self.settings.min_rank)
        if blocks is None:
            self.cacheable = False
            log(f"{HOOK}: radon printed unusable JSON on {self.display}")
        return blocks

    def join_radon(self, thread: RadonThread, deadline: float) -> list[Block] | None:
        if not thread.join(max(0.0, deadline - time.monotonic())):  # abandoned, not killed
            self.cacheable = False
            log(f"{HOOK}: radon timed out after {self.settings.timeout_s:g} s on {self.display}")
            return None
        return self.radon_outcome(thread)

    def radon_outcome(self, thread: RadonThread) -> list[Block] | None:
        if thread.error is not None:
            if not isinstance(thread.error, (SyntaxError, ValueError, UnicodeDecodeError)):
                self.cacheable = False
            log(
                f"{HOOK}: radon skipped {self.display}: {type(thread.error).__name__}: "
                f"{one_line(str(thread.error), 200)}"
            )
            return None
        return thread.result


class RadonThread:
    """radon's `cc_visit` on the decoded source in a daemon thread (radon cannot be killed, so
    a run past the deadline is abandoned). `threading` is imported only on a cache miss."""

    __slots__ = ("data", "error", "min_rank", "result", "thread")

    def __init__(self, data: bytes, min_rank: str) -> None:
        import threading

        self.data = data
        self.min_rank = min_rank
        self.result: list[Block] | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.work, name="posttool-radon", daemon=True)

    def work(self) -> None:
        try:
            self.result = radon_blocks(self.data.decode("utf-8-sig"), self.min_rank)
        except Exception as exc:  # reported by ToolRun.join_radon
            self.error = exc

    def start(self) -> None:
        self.thread.start()

    def join(self, timeout: float) -> bool:
        """True when the analysis finished within `timeout` seconds."""
        self.thread.join(timeout)
        return not self.thread.is_alive()


# --- parsing ------------------------------------------------------------------------------


def is_severe(code: str) -> bool:
    """Findings that are almost always real bugs: syntax errors, pyflakes (F), E9."""
    return code == SYNTAX or code.startswith(("F", "E9"))


def _int(value: Any, default: int = 1) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def parse_ruff(out: bytes) -> list[Finding] | None:
    """ruff's JSON output as `[code, row, message, fixable]` items, at most MAX_KEPT (severe
    ones first, then by row), or None when it is not the JSON list ruff prints."""
    try:
        items = loads_clean(out)
    except JSONDecodeError:
        return None
    if not isinstance(items, list):
        return None
    return ruff_findings(items)


def ruff_findings(items: list[Any]) -> list[Finding]:
    """ruff's JSON items (or the warm server's, in the same shape) as findings."""
    findings: list[Finding] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code = item.get("code")
        if code is None or code in SYNTAX_CODES:
            code = SYNTAX
        if not isinstance(code, str) or not code:
            continue
        location = item.get("location")
        row = _int(location.get("row")) if isinstance(location, dict) else 1
        message = one_line(str(item.get("message") or ""), MAX_MESSAGE_CHARS)
        fix = item.get("fix")
        # `ruff check --fix` applies safe fixes only; an unsafe or display-only fix is not one.
        fixable = isinstance(fix, dict) and str(fix.get("applicability", "safe")).lower() in (
            SAFE_FIXES
        )
        findings.append([code, row, message, fixable])
    findings.sort(key=lambda f: (not is_severe(f[0]), f[1], f[0], f[2]))
    kept = findings[:MAX_KEPT]
    kept.sort(key=lambda f: (f[1], f[0], f[2]))
    return kept


def radon_blocks(text: str, min_rank: str = DEFAULT_MIN_RANK) -> list[Block]:
    """Functions and methods of rank `min_rank` or worse, as `[name, rank, lineno, endline,
    complexity]` sorted by line. Classes are left out: their score is their methods'."""
    from radon.complexity import cc_rank, cc_visit
    from radon.visitors import Function

    blocks: list[Block] = []
    for block in cc_visit(text):
        if not isinstance(block, Function):
            continue
        rank = cc_rank(block.complexity)
        if rank >= min_rank:
            blocks.append([block.fullname, rank, block.lineno, block.endline, block.complexity])
    blocks.sort(key=lambda b: (b[2], b[0]))
    return blocks[:MAX_KEPT]


def parse_radon_json(out: bytes, min_rank: str = DEFAULT_MIN_RANK) -> list[Block] | None:
    """`radon cc --json` output (the fallback when radon is not importable)."""
    try:
        doc = loads_clean(out)
    except JSONDecodeError:
        return None
    if not isinstance(doc, dict) or len(doc) != 1:
        return None
    items = next(iter(doc.values()))
    if isinstance(items, dict):  # {"error": "..."}: radon could not parse the file
        return []
    if not isinstance(items, list):
        return None
    blocks: list[Block] = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") not in ("function", "method"):
            continue
        rank = item.get("rank")
        name = item.get("name")
        if not isinstance(rank, str) or not isinstance(name, str) or rank < min_rank:
            continue
        if item.get("type") == "method" and isinstance(item.get("classname"), str):
            name = f"{item['classname']}.{name}"
        lineno = _int(item.get("lineno"))
        blocks.append(
            [name, rank, lineno, _int(item.get("endline"), lineno), _int(item.get("complexity"), 0)]
        )
    blocks.sort(key=lambda b: (b[2], b[0]))
    return blocks[:MAX_KEPT]


# --- the lint cache (spec §3.4) -----------------------------------------------------------
