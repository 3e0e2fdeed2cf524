"""Turn the hooks' messages into the one answer Claude Code reads (spec §5)."""

from __future__ import annotations

from posttool.lib.fast.jsonfast import dumps
from posttool.lib.message import SEVERITY_RANK
from posttool.lib.text import ELLIPSIS, h

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from posttool.lib.config import Config
    from posttool.lib.message import Message

MIN_CHARS, MAX_CHARS = 200, 9500
FOOTER_RESERVE = 120


ASTRAL_LEAD_BYTES = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")


def utf16_len(text: str) -> int:
    """Length as Claude Code counts it (UTF-16 code units): one per code point, two for those
    above U+FFFF, which are exactly the 4-byte sequences of UTF-8 (whose codec, unlike
    UTF-16's, is built in and costs no import)."""
    if text.isascii():
        return len(text)
    data = text.encode("utf-8", "surrogatepass")
    return len(text) + sum(data.count(lead) for lead in ASTRAL_LEAD_BYTES)


def cut_utf16(text: str, limit: int) -> str:
    """Cut to at most `limit` UTF-16 units including a trailing ellipsis."""
    if utf16_len(text) <= limit:
        return text
    out = text[: max(0, limit - 1)]
    while out and utf16_len(out) > limit - 1:
        out = out[:-1]
    return out + ELLIPSIS


def trim_message(text: str, max_lines: int, max_chars: int) -> str:
    text = text.rstrip()
    lines = text.split("\n")
    if len(lines) > max_lines:
        text = "\n".join(lines[:max_lines]) + ELLIPSIS
    if len(text) > max_chars:
        text = text[: max_chars - 1] + ELLIPSIS
    return text


def collect(messages: list[Message], max_lines: int, max_chars: int) -> list[Message]:
    kept: list[Message] = []
    for message in messages:
        message.text = trim_message(message.text, max_lines, max_chars)
        if message.text:
            kept.append(message)
    return kept


def dedupe(messages: list[Message]) -> list[Message]:
    seen_texts: set[str] = set()
    seen_bullets: set[str] = set()
    kept: list[Message] = []
    for message in messages:
        if message.text in seen_texts:
            continue
        seen_texts.add(message.text)
        lines = message.text.split("\n")
        had_bullets = any(line.startswith("- ") for line in lines[1:])
        remaining = [lines[0]]
        for line in lines[1:]:
            if line.startswith("- "):
                if line in seen_bullets:
                    continue
                seen_bullets.add(line)
            remaining.append(line)
        if had_bullets and not any(line.startswith("- ") for line in remaining[1:]):
            continue
        message.text = "\n".join(remaining)
        kept.append(message)
    return kept


def render(message: Message) -> str:
    return f"[{message.label or message.hook}] {message.text}"


def fit_budget(messages: list[Message], budget: int) -> tuple[list[str], list[Message]]:
    """(rendered texts that fit, messages dropped) under the budget rules of spec §5."""
    room = budget - FOOTER_RESERVE
    shown: list[str] = []
    dropped: list[Message] = []
    used = 0
    blocked_below: int | None = None  # severity rank at and after which nothing more is added
    for index, message in enumerate(messages):
        rank = SEVERITY_RANK[message.severity]
        if blocked_below is not None and rank > blocked_below:
            dropped.append(message)
            continue
        text = render(message)
        cost = utf16_len(text) + (1 if shown else 0)
        if used + cost <= room:
            shown.append(text)
            used += cost
        elif index == 0:
            shown.append(cut_utf16(text, room))
            used = room
        else:
            dropped.append(message)
            if blocked_below is None:
                blocked_below = rank
    return shown, dropped


def merge(
    messages: list[Message],
    config: Config,
    on_fit: Callable[[list[Message], list[Message]], None] | None = None,
) -> str:
    """The additionalContext text ('' when no hook had anything to say)."""
    return compose(messages, config, on_fit)[0]


def compose(
    messages: list[Message],
    config: Config,
    on_fit: Callable[[list[Message], list[Message]], None] | None = None,
) -> tuple[str, list[Message]]:
    """(the additionalContext text, the messages it shows).

    `on_fit(kept, dropped)`: the messages left after trimming and dedupe, and those of them the
    budget dropped (`posttool explain`)."""
    max_lines = config.get("output.max_message_lines")
    max_chars = config.get("output.max_message_chars")
    budget = min(MAX_CHARS, max(MIN_CHARS, int(config.get("output.max_chars"))))
    kept = dedupe(collect(messages, max_lines, max_chars))
    kept.sort(key=lambda m: (SEVERITY_RANK[m.severity], m.priority, m.hook))
    shown, dropped = fit_budget(kept, budget)
    if on_fit is not None:
        on_fit(kept, dropped)
    if dropped:
        names = ", ".join(m.hook for m in dropped)
        footer = f"[posttool] {len(dropped)} more note(s) omitted: {names}."
        shown.append(cut_utf16(footer, FOOTER_RESERVE - 1))
    return "\n".join(shown), [m for m in kept if m not in dropped]


def render_answer(event_name: str, text: str) -> str:
    """One JSON object: the hook output, or `{}` when there is nothing to say."""
    if not text:
        return "{}"
    answer = {"hookSpecificOutput": {"hookEventName": event_name, "additionalContext": text}}
    return dumps(answer)


# --- saying a thing once per session (issue 7 §3) ------------------------------------------
# A message whose facts were already put in front of the model is dropped until they change.
# Its facts are its hook's `key=` when it gave one, else its text with every run of digits
# replaced by `#` (a count that grew from 12 to 24 is the same advice). What was said is kept
# in the session's `cooldowns` map under the pseudo-hook `said`, so it shares that map's cap
# and its trimming of day-old entries. (Here, not in a module of its own: the modules a Read
# imports are pinned.)

SAID = "said|"
DIGITS = "0123456789"


def without_numbers(text: str) -> str:
    out: list[str] = []
    for char in text:
        if char in DIGITS:
            if not out or out[-1] != "#":
                out.append("#")
        else:
            out.append(char)
    return "".join(out)


def fact_key(message: Message) -> str:
    facts = message.key if message.key is not None else without_numbers(message.text)
    return SAID + h(f"{message.hook}\n{facts}")


def unsaid(
    messages: list[Message], doc: dict[str, Any], exempt: frozenset[str] = frozenset()
) -> list[Message]:
    """The messages whose facts this session has not been told yet (those of `exempt` hooks
    are always kept)."""
    said = doc["cooldowns"]
    return [m for m in messages if m.hook in exempt or fact_key(m) not in said]


def remember(shown: list[Message], doc: dict[str, Any], now: float, call_index: int) -> None:
    """Record the messages the model was shown (re-inserted: the map is oldest-first)."""
    said = doc["cooldowns"]
    for message in shown:
        key = fact_key(message)
        said.pop(key, None)
        said[key] = [now, call_index]
