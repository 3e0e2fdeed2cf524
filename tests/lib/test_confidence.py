"""The confidence library (spec §3.6): tiers, the rate limiter, the streak multiplier and the
shared report."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posttool.lib import confidence
from posttool.lib.config import Config, flatten
from posttool.lib.event import Event
from posttool.lib.schema import new_session
from posttool.lib.state import State
from posttool.runner.normalise import build_event
from tests.conftest import START, load_fixture

TURN = "turn-a"


def make(
    config: dict[str, Any] | None = None,
    value: int | None = None,
    hook: str = "thinking_quality_boost",
) -> State:
    state = State(
        new_session("s", "p", START), Config(flatten(config or {})), now=START, call_index=1
    )
    state.hook = hook
    if value is not None:
        conf = state.doc["confidence"]
        conf.update(
            value=value,
            tier=confidence.tier(value),
            last_reported_value=value,
            last_reported_tier=confidence.tier(value),
            turn_key=TURN,
        )
    return state


def event(call: int = 1, turn: str = TURN, fixture: str = "06") -> Event:
    """A failed Bash call (fixture 06) unless told: the report never follows a successful call
    that changed nothing."""
    ev = build_event(load_fixture(fixture), now=START + call)
    ev.set_runner_fact("call_index", call)
    ev.set_runner_fact("turn_key", turn)
    ev.freeze()
    return ev


# --- tiers ---------------------------------------------------------------------------------

TIER_EDGES = [
    (0, "ignorance"),
    (30, "ignorance"),
    (31, "hypothesis"),
    (50, "hypothesis"),
    (51, "working"),
    (70, "working"),
    (71, "certainty"),
    (85, "certainty"),
    (86, "trusted"),
    (94, "trusted"),
    (95, "expert"),
    (100, "expert"),
]


@pytest.mark.parametrize(("value", "name"), TIER_EDGES)
def test_tier_edges(value: int, name: str) -> None:
    assert confidence.tier(value) == name


@given(st.integers(0, 99))
def test_tiers_are_monotonic(value: int) -> None:
    rank = confidence.TIER_RANK
    assert rank[confidence.tier(value)] <= rank[confidence.tier(value + 1)]


# --- the limiter ---------------------------------------------------------------------------


def test_new_session_starts_at_start_and_takes_the_turn() -> None:
    state = make()
    conf = confidence.begin(event(), state)
    assert (conf["value"], conf["tier"], conf["turn_key"]) == (75, "certainty", TURN)
    assert (conf["last_reported_value"], conf["last_reported_tier"]) == (75, "certainty")
    assert conf["last_report_call"] is None and conf["acc"] == 0 and conf["streak"] == 0


def test_configured_start() -> None:
    state = make({"confidence": {"start": 40}})
    conf = confidence.begin(event(), state)
    assert (conf["value"], conf["tier"], conf["last_reported_tier"]) == (
        40,
        "hypothesis",
        "hypothesis",
    )
    confidence.apply(event(), state, "decay", -1)
    state.doc["confidence"]["turn_key"] = "another"
    assert confidence.begin(event(2, "another"), state)["value"] == 39  # started only once


def test_turn_budget_down() -> None:
    state, ev = make(value=75), event()
    applied = [confidence.apply(ev, state, "bash_failure", -4) for _ in range(5)]
    assert applied == [-4, -4, -4, -3, 0]
    conf = state.doc["confidence"]
    assert (conf["value"], conf["turn_down"]) == (60, 15)
    assert conf["pending"] == {"bash_failure": [4, -15]}
    assert state.call["confidence_log"] == [("bash_failure", -4)] * 3 + [("bash_failure", -3)]


def test_new_turn_resets_the_budget() -> None:
    state = make(value=75)
    confidence.apply(event(1), state, "x", -15)
    assert confidence.apply(event(2), state, "x", -5) == 0
    assert confidence.apply(event(3, "turn-b"), state, "x", -5) == -5
    assert state.doc["confidence"]["turn_down"] == 5


def test_up_budget_is_larger_while_recovering() -> None:
    state = make(value=50)
    assert confidence.apply(event(), state, "test_pass", 25) == 25  # 50 < 80: up to 30
    assert confidence.apply(event(), state, "test_pass", 10) == 5
    assert state.doc["confidence"]["value"] == 80
    state = make(value=80)
    assert confidence.apply(event(), state, "test_pass", 25) == 15
    state = make(value=78)
    assert confidence.apply(event(), state, "a", 10) == 10  # decided by the value before
    assert confidence.apply(event(), state, "a", 10) == 5  # now 88: what is left of 15


def test_clamped_to_range() -> None:
    state = make(value=98)
    assert confidence.apply(event(), state, "a", 5) == 2
    assert state.doc["confidence"]["turn_up"] == 2
    state = make(value=2)
    assert confidence.apply(event(), state, "a", -5) == -2
    assert state.doc["confidence"]["turn_down"] == 2


def test_zero_changes_leave_no_trace() -> None:
    state = make(value=100)
    assert confidence.apply(event(), state, "a", 3) == 0
    conf = state.doc["confidence"]
    assert conf["pending"] == {} and conf["history"] == [] and state.call["confidence_log"] == []


def test_history_keeps_one_point_per_call() -> None:
    state = make(value=75)
    confidence.apply(event(1), state, "a", -2)
    confidence.apply(event(1), state, "b", -2)
    confidence.apply(event(2), state, "a", 1)
    assert state.doc["confidence"]["history"] == [[1, 71], [2, 72]]


def test_configured_budgets() -> None:
    state = make({"confidence": {"turn_max_down": 5, "turn_max_up": 2}}, value=85)
    assert confidence.apply(event(), state, "a", -8) == -5
    assert confidence.apply(event(), state, "b", 9) == 2  # at 80, no longer recovering
    state = make({"confidence": {"recovery_below": 90, "turn_max_up": 2}}, value=85)
    assert confidence.apply(event(), state, "b", 9) == 9


@given(
    st.lists(st.tuples(st.integers(-20, 20), st.sampled_from([TURN, "t2", "t3"])), max_size=40),
    st.integers(0, 100),
)
def test_limiter_invariants(changes: list[tuple[int, str]], start: int) -> None:
    state = make(value=start)
    conf = state.doc["confidence"]
    for index, (delta, turn) in enumerate(changes, 1):
        before = conf["value"]
        applied = confidence.apply(event(index, turn), state, "r", delta)
        assert 0 <= conf["value"] <= 100 and conf["value"] == before + applied
        assert abs(applied) <= abs(delta) and applied * delta >= 0
        assert 0 <= conf["turn_down"] <= 15 and 0 <= conf["turn_up"] <= 30
        assert conf["tier"] == confidence.tier(conf["value"])
    total = sum(d for _, d in state.call["confidence_log"])
    assert conf["value"] == start + total
    if total:
        assert conf["pending"]["r"][1] == total


# --- streak multiplier ---------------------------------------------------------------------

STREAKS = [(0, 1.0), (2, 1.0), (3, 1.25), (4, 1.25), (5, 1.5), (40, 1.5)]


@pytest.mark.parametrize(("streak", "multiplier"), STREAKS)
def test_streak_multiplier(streak: int, multiplier: float) -> None:
    assert confidence.streak_multiplier(make(), streak) == multiplier


def test_streak_multiplier_configured() -> None:
    state = make({"confidence": {"streak_multipliers": [[2, 2.0]]}})
    assert confidence.streak_multiplier(state, 2) == 2.0
    assert confidence.streak_multiplier(state, 1) == 1.0


@pytest.mark.parametrize(
    ("delta", "multiplier", "expected"),
    [
        (5, 1.25, 6),
        (2, 1.25, 2),
        (1, 1.5, 1),
        (3, 1.5, 4),
        (5, 1.0, 5),
        (1, 0.1, 1),
    ],
)
def test_boosted(delta: int, multiplier: float, expected: int) -> None:
    assert confidence.boosted(delta, multiplier) == expected


# --- the reporter --------------------------------------------------------------------------


def test_reporter_is_the_last_enabled_confidence_hook() -> None:
    assert confidence.reporter(make()) == "thinking_quality_boost"
    state = make({"thinking_quality_boost": {"enabled": False}})
    assert confidence.reporter(state) == "confidence_increaser"
    state = make({"thinking_quality_boost.enabled": False, "confidence_increaser.enabled": False})
    assert confidence.reporter(state) == "confidence_reducer"
    state = make()
    state.doc["hook_health"]["thinking_quality_boost"] = {"suspended": True}
    assert confidence.reporter(state) == "confidence_increaser"
    state = make()
    state.config = Config({}, disabled=frozenset(confidence.CONFIDENCE_HOOKS))
    assert confidence.reporter(state) is None


def drop(state: State, ev: Event, *changes: tuple[str, int]) -> None:
    for name, delta in changes:
        confidence.apply(ev, state, name, delta)


def test_report_of_a_drop_into_hypothesis() -> None:
    state = make(value=55)
    drop(state, event(1), ("bash_failure", -4))
    assert confidence.report(event(1), state) is None  # still working
    drop(state, event(2), ("bash_failure", -4), ("repeated_error", -4), ("blind_retry", -4))
    message = confidence.report(event(2), state)
    assert message is not None
    assert message.text == (
        "Confidence 55 → 40 (working → hypothesis): bash failure ×2 (−8), repeated error (−4), "
        "blind retry (−3).\n" + confidence.HYPOTHESIS_LINE
    )
    assert (message.severity, message.label) == ("warn", "confidence")
    conf = state.doc["confidence"]
    assert conf["pending"] == {} and conf["last_report_call"] == 2
    assert (conf["last_reported_value"], conf["last_reported_tier"]) == (40, "hypothesis")


def test_report_lists_the_four_largest_reasons() -> None:
    state = make(value=56)
    drop(state, event(), ("a_b", -1), ("c", -2), ("d", 3), ("e", -10), ("f", 5), ("g", -1))
    message = confidence.report(event(), state)
    assert message is not None
    assert message.text.splitlines()[0] == (
        "Confidence 56 → 50 (working → hypothesis): e (−10), f (+5), d (+3), c (−2)."
    )


def test_no_report_on_a_move_within_the_tier() -> None:
    """Issue 7 §3: a move within a zone asks nothing new of the model (spec: a 12-point move)."""
    state = make(value=70)
    drop(state, event(), ("x", -12))
    assert confidence.report(event(), state) is None


def test_no_report_between_the_working_zones() -> None:
    """certainty ↔ working ↔ trusted: real sessions oscillate around 70 on every failure and
    recovery; none of it changed what the model should do (issue 7 §3)."""
    state = make(value=75)
    drop(state, event(1), ("bash_failure", -8))
    assert confidence.report(event(1), state) is None
    drop(state, event(2), ("test_pass", 20))
    assert confidence.report(event(2), state) is None


def test_no_report_after_a_successful_call_that_changed_nothing() -> None:
    state = make(value=52)
    drop(state, event(1, fixture="05"), ("decay", -3))
    assert confidence.report(event(1, fixture="05"), state) is None  # an `ls`
    assert confidence.report(event(2, fixture="02"), state) is None  # a Read
    message = confidence.report(event(3, fixture="03"), state)  # an Edit: reported now
    assert message is not None and "(working → hypothesis): decay (−3)" in message.text


def test_drift_alone_does_not_report_a_tier_change() -> None:
    state = make(value=51)
    drop(state, event(), ("decay", -1))
    message = confidence.report(event(), state)
    assert message is not None  # drift into a low zone is reported (next test)
    state = make(value=71)
    drop(state, event(), ("decay", -1))
    assert confidence.report(event(), state) is None


def test_drift_into_hypothesis_is_reported() -> None:
    state = make(value=51)
    drop(state, event(), ("decay", -1))
    message = confidence.report(event(), state)
    assert message is not None and message.severity == "warn"
    assert message.text.splitlines()[1] == confidence.HYPOTHESIS_LINE


def test_drop_into_hypothesis_ignores_the_cooldown() -> None:
    state = make(value=62)
    state.doc["confidence"]["last_report_call"] = 1
    drop(state, event(2), ("test_failure", -6), ("blind_retry", -4), ("failure_streak", -5))
    message = confidence.report(event(2), state)
    assert message is not None
    assert message.severity == "warn"
    assert message.text == (
        "Confidence 62 → 47 (working → hypothesis): test failure (−6), failure streak (−5), "
        "blind retry (−4).\n" + confidence.HYPOTHESIS_LINE
    )


def test_drop_into_ignorance() -> None:
    state = make(value=40)
    drop(state, event(), ("tool_failure", -12))
    message = confidence.report(event(), state)
    assert message is not None and message.severity == "warn"
    assert message.text.splitlines() == [
        "Confidence 40 → 28 (hypothesis → ignorance): tool failure (−12).",
        confidence.IGNORANCE_LINE,
    ]


def test_rise_out_of_a_low_zone_is_info_and_respects_the_cooldown() -> None:
    state = make(value=45)
    state.doc["confidence"]["last_reported_tier"] = "hypothesis"
    state.doc["confidence"]["last_reported_value"] = 45
    state.doc["confidence"]["last_report_call"] = 5
    drop(state, event(6), ("test_pass", 10))
    assert confidence.report(event(6), state) is None
    message = confidence.report(event(8), state)
    assert message is not None and message.severity == "info"
    assert message.text == "Confidence 45 → 55 (hypothesis → working): test pass (+10)."


def test_report_if_reporter_only_for_the_reporter() -> None:
    state = make(value=60, hook="confidence_reducer")
    drop(state, event(), ("x", -15))
    assert confidence.report_if_reporter(event(), state) is None
    assert state.doc["confidence"]["pending"]  # left for the reporter
    state.hook = "thinking_quality_boost"
    assert confidence.report_if_reporter(event(), state) is not None


def test_report_text_fits_the_message_limits() -> None:
    state = make(value=60)
    names = [f"rule_number_{i}_with_a_long_name" for i in range(20)]
    drop(state, event(), *[(name, -1) for name in names[:15]])
    message = confidence.report(event(), state)
    assert message is not None
    assert len(message.text) <= 700 and len(message.text.splitlines()) <= 7
    assert message.text.count("(−1)") == 4
