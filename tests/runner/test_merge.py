"""Output merge (spec §5)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from posttool.lib.config import Config
from posttool.lib.message import Message
from posttool.runner.merge import merge, render_answer, utf16_len


def msg(
    hook: str, text: str, severity: str = "info", priority: int = 50, label: str | None = None
) -> Message:
    message = Message(text, severity, label)
    message.hook = hook
    message.priority = priority
    message.label = label or hook
    return message


def test_orders_by_severity_then_priority() -> None:
    text = merge(
        [
            msg("a", "info note", "info", 10),
            msg("b", "act now", "action", 60),
            msg("c", "careful", "warn", 5),
        ],
        Config(),
    )
    assert text.splitlines() == ["[b] act now", "[c] careful", "[a] info note"]


def test_labels_and_multiline() -> None:
    text = merge(
        [
            msg("confidence_decay", "Confidence 75 → 60", label="confidence"),
            msg("q", "app.py:\n- L1 thing"),
        ],
        Config(),
    )
    assert text == "[confidence] Confidence 75 → 60\n[q] app.py:\n- L1 thing"


def test_dedupe_texts_bullets_and_empty_headlines() -> None:
    text = merge(
        [
            msg("a", "same"),
            msg("b", "same"),
            msg("c", "x.py:\n- L1 dup\n- L2 other"),
            msg("d", "y:\n- L1 dup"),
        ],
        Config(),
    )
    assert text == "[a] same\n[c] x.py:\n- L1 dup\n- L2 other"


def test_long_messages_are_cut() -> None:
    text = merge([msg("a", "\n".join(f"line {i}" for i in range(20)))], Config())
    assert len(text.splitlines()) == 7 and text.endswith("…")
    assert len(merge([msg("a", "x" * 2000)], Config())) <= 710


def test_budget_drops_lower_severities_and_adds_a_footer() -> None:
    config = Config({"output.max_chars": 400})
    messages = [
        msg("big", "A" * 250, "warn", 1),
        msg("mid", "B" * 200, "warn", 2),
        msg("small", "C" * 10, "warn", 3),
        msg("low", "D" * 5, "info", 4),
    ]
    text = merge(messages, config)
    lines = text.splitlines()
    assert lines[0].startswith("[big]")
    assert lines[1] == "[small] " + "C" * 10  # same severity still fits after a drop
    assert lines[-1] == "[posttool] 2 more note(s) omitted: mid, low."
    assert utf16_len(text) <= 400


def test_first_message_alone_too_big_is_cut() -> None:
    config = Config({"output.max_chars": 200, "output.max_message_chars": 5000})
    text = merge([msg("big", "Z" * 600)], config)
    assert text.endswith("…") and utf16_len(text) <= 200


def test_budget_counts_utf16_units() -> None:
    assert utf16_len("😀") == 2 and utf16_len("é") == 1


def test_answer_shape() -> None:
    assert render_answer("PostToolUse", "") == "{}"
    answer = json.loads(render_answer("PostToolUseFailure", "[a] é"))
    assert answer == {
        "hookSpecificOutput": {"hookEventName": "PostToolUseFailure", "additionalContext": "[a] é"}
    }
    assert "é" in render_answer("PostToolUse", "é")


@given(
    st.lists(
        st.tuples(st.sampled_from(["action", "warn", "info"]), st.text(min_size=1, max_size=900)),
        max_size=12,
    ),
    st.integers(min_value=0, max_value=20000),
)
def test_merge_always_fits_the_budget(items: list[tuple[str, str]], max_chars: int) -> None:
    messages = [msg(f"h{i}", text, severity) for i, (severity, text) in enumerate(items)]
    text = merge(messages, Config({"output.max_chars": max_chars}))
    assert utf16_len(text) <= min(9500, max(200, max_chars))


@given(st.text(max_size=200))
def test_utf16_length_matches_the_utf16_codec(text: str) -> None:
    assert utf16_len(text) == len(text.encode("utf-16-le", "surrogatepass")) // 2
