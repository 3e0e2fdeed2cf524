"""Confidence (spec §3.6): tiers, the per-turn rate limiter, the streak multiplier and the
shared report.

Every change to the score goes through `apply`, which caps it to what is left of the turn's
budget, records it in `pending` (the reasons of the next report) and in the call's
`confidence_log`. The hooks never print their own changes: the last confidence hook that will
run for the event (the *reporter*) calls `report` after its own change.
"""

from __future__ import annotations

from posttool.lib.message import Message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from posttool.lib.event import Event
    from posttool.lib.state import State

# (tier, highest value in it), lowest first.
TIERS = (
    ("ignorance", 30),
    ("hypothesis", 50),
    ("working", 70),
    ("certainty", 85),
    ("trusted", 94),
    ("expert", 100),
)
TIER_RANK = {name: rank for rank, (name, _) in enumerate(TIERS)}
LOW_TIERS = ("ignorance", "hypothesis")

# The confidence hooks in execution order; the reporter is the last one that will run.
CONFIDENCE_HOOKS = (
    "confidence_decay",
    "confidence_reducer",
    "confidence_increaser",
    "thinking_quality_boost",
)
DRIFT_REASONS = frozenset({"decay", "evidence"})
MINUS = "\u2212"  # the real minus sign of the spec's report text
MAX_REASONS = 4

HYPOTHESIS_LINE = (
    "Gather evidence before the next edit: reproduce the failure, read the code path involved, "
    "run the narrowest test."
)
IGNORANCE_LINE = (
    "Stop editing. Re-read the task and the latest errors, state one hypothesis and test it; "
    "ask the user if you are blocked."
)


def setting(state: State, key: str) -> Any:
    """A `confidence.*` key (declared in posttool.lib.config.SHARED_DEFAULTS)."""
    return state.config.get(key)


def tier(value: int) -> str:
    for name, top in TIERS:
        if value <= top:
            return name
    return TIERS[-1][0]


def clamp(value: int) -> int:
    return max(0, min(100, value))


def begin(event: Event, state: State) -> dict[str, Any]:
    """The confidence section, started if this session never scored, and rolled to this turn.

    Every confidence hook calls this first, so a hook that applies nothing still sees the turn
    budget of the current turn (limiter step 1).
    """
    conf = state.doc["confidence"]
    if not conf["turn_key"] and conf["last_report_call"] is None and not conf["history"]:
        start = clamp(int(setting(state, "confidence.start")))
        conf.update(
            value=start, tier=tier(start), last_reported_value=start, last_reported_tier=tier(start)
        )
    if conf["turn_key"] != event.turn_key:
        conf.update(turn_key=event.turn_key, turn_up=0, turn_down=0)
    return conf


def apply(event: Event, state: State, name: str, delta: int) -> int:
    """The rate limiter (spec §3.6): apply `delta` as far as the turn allows; return what was
    applied."""
    conf = begin(event, state)
    value = conf["value"]
    if delta < 0:
        left = max(0, int(setting(state, "confidence.turn_max_down")) - conf["turn_down"])
        delta = max(delta, -left)
    elif delta > 0:
        recovering = value < setting(state, "confidence.recovery_below")
        key = "confidence.turn_max_up_recovering" if recovering else "confidence.turn_max_up"
        left = max(0, int(setting(state, key)) - conf["turn_up"])
        delta = min(delta, left)
    new = clamp(value + int(delta))
    applied = new - value
    if applied > 0:
        conf["turn_up"] += applied
    elif applied < 0:
        conf["turn_down"] -= applied
    if applied:
        conf["value"] = new
        conf["tier"] = tier(new)
        entry = conf["pending"].pop(name, None) or [0, 0]
        conf["pending"][name] = [entry[0] + 1, entry[1] + applied]
        state.call["confidence_log"].append((name, applied))
        history = conf["history"]
        if history and history[-1][:1] == [event.call_index]:
            history[-1] = [event.call_index, new]  # one point per call
        else:
            history.append([event.call_index, new])
    return applied


def streak_multiplier(state: State, streak: int) -> float:
    """×1.25 at a streak of 3 or more, ×1.5 at 5 or more (`confidence.streak_multipliers`)."""
    best = 1.0
    reached: float = -1
    for pair in setting(state, "confidence.streak_multipliers"):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            continue
        threshold, factor = pair
        if (
            isinstance(threshold, (int, float))
            and isinstance(factor, (int, float))
            and (reached < threshold <= streak)
        ):
            reached, best = threshold, float(factor)
    return best


def boosted(delta: int, multiplier: float) -> int:
    """An increaser delta under the streak multiplier: `max(1, floor(delta × multiplier))`."""
    return max(1, int(delta * multiplier // 1))


def decay_factor(state: State, tier_name: str) -> float:
    return float(state.config.get(f"confidence.decay_factors.{tier_name}"))


# --- the report ----------------------------------------------------------------------------


def reporter(state: State) -> str | None:
    """The enabled, non-suspended confidence hook with the highest priority."""
    health = state.doc["hook_health"]
    for name in reversed(CONFIDENCE_HOOKS):
        if state.config.hook_enabled(name) and not health.get(name, {}).get("suspended", False):
            return name
    return None


def report_if_reporter(event: Event, state: State) -> Message | None:
    """`report` when the running hook is the reporter; decay, reducer and increaser end here."""
    if reporter(state) != state.hook:
        return None
    return report(event, state)


def signed(delta: int) -> str:
    return f"+{delta}" if delta > 0 else f"{MINUS}{-delta}"


def reasons(pending: dict[str, list]) -> str:
    """The 4 largest pending changes: `bash failure ×2 (−8), repeated error (−4)`."""
    items = [
        (name, entry[0], entry[1])
        for name, entry in pending.items()
        if isinstance(entry, list) and len(entry) == 2 and entry[1]
    ]
    items.sort(key=lambda item: -abs(item[2]))
    parts = []
    for name, count, delta in items[:MAX_REASONS]:
        times = f" ×{count}" if count != 1 else ""
        parts.append(f"{name.replace('_', ' ')}{times} ({signed(delta)})")
    return ", ".join(parts)


def changed_nothing(event: Event) -> bool:
    """A call that neither edited a file nor ran a command that can change something."""
    if event.family in ("write", "edit"):
        return False
    facts = event.command_facts
    return not (event.family == "bash" and (facts is None or not facts.read_only))


def report(event: Event, state: State) -> Message | None:
    """The shared confidence report (spec §3.6), called last by the reporter."""
    conf = begin(event, state)
    value, new_tier = conf["value"], tier(conf["value"])
    old, old_tier = conf["last_reported_value"], conf["last_reported_tier"]
    if old_tier not in TIER_RANK:
        old_tier = tier(old)
    pending = conf["pending"]
    tier_changed = new_tier != old_tier
    if (
        tier_changed
        and set(pending) <= DRIFT_REASONS
        and TIER_RANK[new_tier] >= TIER_RANK["working"]
    ):
        tier_changed = False
    # Issue 7 §3: only a change of zone into or out of the low zones is worth the model's
    # attention (a move within one, or between the working zones, is not), and never after a
    # successful call that changed nothing: the reasons wait for a call they can be tied to.
    if not tier_changed or (event.ok and changed_nothing(event)):
        return None
    if new_tier not in LOW_TIERS and old_tier not in LOW_TIERS:
        return None  # working ↔ certainty ↔ trusted asks nothing different of the model
    drop_low = new_tier in LOW_TIERS and TIER_RANK[new_tier] < TIER_RANK[old_tier]
    last = conf["last_report_call"]
    cooled = last is None or event.call_index - last >= setting(
        state, "confidence.report_cooldown_calls"
    )
    if not (cooled or drop_low):
        return None
    why = reasons(pending)
    text = f"Confidence {old} → {value} ({old_tier} → {new_tier})"
    text += f": {why}." if why else "."
    if drop_low:
        text += "\n" + (HYPOTHESIS_LINE if new_tier == "hypothesis" else IGNORANCE_LINE)
    conf.update(
        last_reported_value=value,
        last_reported_tier=new_tier,
        last_report_call=event.call_index,
        pending={},
    )
    return Message(text, "warn" if drop_low else "info", label="confidence")
