"""thinking_quality_boost (spec §4.8): reward new thinking that cites evidence, plans
verification or names a diagnosis, read from a bounded tail of the transcript."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest

from posttool.hooks.confidence import score_block
from posttool.lib.text import h
from tests.conftest import START, Session, write_config
from tests.hooks.state_replay import SUB_AGENT, Replay

_uuids = itertools.count(1)
FILLER = (
    "Looking at the add function and how the default list is shared between calls, "
    "which makes every later call see what earlier calls appended to it. "
)
DIAGNOSIS_AND_CHECK = (
    FILLER + "So the root cause is the mutable default argument in add(). "
    "Let me run the test to confirm before changing anything. " + FILLER
)
EVIDENCE = FILLER + "I read app.py and line 3 defines b=[] as the default. " + FILLER
ALL_THREE = DIAGNOSIS_AND_CHECK + "According to the traceback, the list grows. "
CERTAINTY = FILLER + "Clearly this is right and definitely correct, so I will move on. " + FILLER


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + ".000Z"


def assistant(*blocks: dict[str, Any], at: float = START + 10) -> dict[str, Any]:
    """A transcript line as Claude Code writes it for one assistant content block."""
    return {
        "parentUuid": f"u-{next(_uuids)}",
        "isSidechain": False,
        "userType": "external",
        "cwd": "/home/dev/proj",
        "sessionId": "sess-test-1",
        "version": "2.1.329",
        "type": "assistant",
        "uuid": f"u-{next(_uuids)}",
        "timestamp": iso(at),
        "requestId": "req_1",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-opus-5-5",
            "content": list(blocks),
            "stop_reason": None,
            "usage": {"input_tokens": 10, "output_tokens": 50},
        },
    }


def thinking(text: str, at: float = START + 10) -> dict[str, Any]:
    return assistant({"type": "thinking", "thinking": text, "signature": "sig=="}, at=at)


def user(text: str = "go on") -> dict[str, Any]:
    return {
        "type": "user",
        "timestamp": iso(START + 20),
        "uuid": f"u-{next(_uuids)}",
        "message": {"role": "user", "content": text},
    }


class Transcript:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")

    def add(self, *entries: dict[str, Any], raw: str = "") -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps(entry) + "\n")
            handle.write(raw)


@pytest.fixture
def transcript(tmp_path: Path) -> Transcript:
    return Transcript(tmp_path / "claude" / "projects" / "proj" / "sess-test-1.jsonl")


@pytest.fixture
def replay(session: Session) -> Replay:
    return Replay(session)


def boost(replay: Replay, transcript: Transcript, fixture: str = "05", **changes: Any) -> int:
    """Send one event pointing at the transcript; the thinking points applied by it."""
    result = replay.send(fixture, transcript_path=str(transcript.path), **changes)
    assert not replay.doc["hook_health"]["thinking_quality_boost"]["errors"]
    return result.log.get("thinking_quality", 0)


# A case is a list of calls; each call first appends its entries to the transcript.
Calls = list[list[dict[str, Any]]]

FIRES: dict[str, tuple[Calls, int]] = {
    "new block with a diagnosis and a verification plan": ([[thinking(DIAGNOSIS_AND_CHECK)]], 2),
    "evidence only": ([[thinking(EVIDENCE)]], 1),
    "all three categories, capped per block": ([[thinking(ALL_THREE)]], 2),
    "two good blocks, capped per call": (
        [[thinking(DIAGNOSIS_AND_CHECK), thinking(ALL_THREE + " again")]],
        3,
    ),
    "a block written after the first call": ([[user()], [thinking(EVIDENCE)]], 1),
    "a block among other content": (
        [[assistant({"type": "text", "text": "ok"}, {"type": "thinking", "thinking": EVIDENCE})]],
        1,
    ),
    "a block in the same second the session began": ([[thinking(EVIDENCE, at=START - 4)]], 1),
}
SILENT: dict[str, Calls] = {
    "certainty words earn nothing": [[thinking(CERTAINTY)]],
    "redacted thinking": [[assistant({"type": "redacted_thinking", "data": "abc"})]],
    "empty thinking": [[assistant({"type": "thinking", "thinking": "", "signature": "s"})]],
    "a short block": [[thinking("The root cause is b=[]; let me run the test to confirm.")]],
    "a block from before the session": [[thinking(DIAGNOSIS_AND_CHECK, at=START - 3600)]],
    "a block with no timestamp": [
        [{k: v for k, v in thinking(EVIDENCE).items() if k != "timestamp"}]
    ],
    "thinking text in a user entry": [[{**thinking(EVIDENCE), "type": "user"}]],
    "the same block written again": [[thinking(EVIDENCE)], [thinking(EVIDENCE)]],
    "no new bytes on the next call": [[thinking(EVIDENCE)], []],
    "a line still being written": [[]],
}


@pytest.mark.parametrize("name", FIRES)
def test_fires(replay: Replay, transcript: Transcript, name: str) -> None:
    calls, expected = FIRES[name]
    points = []
    for entries in calls:
        transcript.add(*entries)
        points.append(boost(replay, transcript))
    assert points[-1] == expected
    assert sum(points) == expected


@pytest.mark.parametrize("name", SILENT)
def test_silent(replay: Replay, transcript: Transcript, name: str) -> None:
    calls = SILENT[name]
    points = []
    for entries in calls:
        if name == "a line still being written":
            transcript.add(raw=json.dumps(thinking(EVIDENCE))[:-40])
        transcript.add(*entries)
        points.append(boost(replay, transcript))
    assert points[-1] == 0


def test_a_line_finished_later_is_rewarded_then(replay: Replay, transcript: Transcript) -> None:
    line = json.dumps(thinking(EVIDENCE))
    transcript.add(raw=line[:100])
    assert boost(replay, transcript) == 0
    transcript.add(raw=line[100:] + "\n")
    assert boost(replay, transcript) == 1


def test_missing_transcript_and_sub_agents(replay: Replay, transcript: Transcript) -> None:
    result = replay.send("05", transcript_path=str(transcript.path.with_name("gone.jsonl")))
    assert result.log == {}
    transcript.add(thinking(EVIDENCE))
    assert boost(replay, transcript, **SUB_AGENT) == 0
    assert replay.doc["thinking"]["last_size"] == 0  # not even looked at
    assert boost(replay, transcript) == 1


def test_only_the_last_blocks_are_scored_but_all_are_seen(
    session: Session, transcript: Transcript
) -> None:
    replay = Replay(session, {"thinking_quality_boost": {"max_per_call": 10}})
    blocks = [DIAGNOSIS_AND_CHECK, ALL_THREE, CERTAINTY, EVIDENCE]
    transcript.add(*[thinking(text) for text in blocks])
    assert boost(replay, transcript) == 2 + 0 + 1
    assert replay.doc["thinking"]["seen"] == [h(text) for text in blocks]
    transcript.add(user())
    assert boost(replay, transcript) == 0  # the unscored first block is never considered again


def test_per_turn_cap(replay: Replay, transcript: Transcript) -> None:
    points = []
    for i in range(3):
        transcript.add(thinking(f"{i} {DIAGNOSIS_AND_CHECK}"), thinking(f"{i} {ALL_THREE}"))
        points.append(boost(replay, transcript))
    assert points == [3, 3, 0]
    assert replay.doc["thinking"]["turn_points"] == 6
    transcript.add(thinking(f"next {DIAGNOSIS_AND_CHECK}"))
    assert boost(replay, transcript, prompt_id="next-prompt") == 2
    assert replay.doc["thinking"]["turn_points"] == 2


def test_points_go_through_the_limiter(session: Session, transcript: Transcript) -> None:
    replay = Replay(session, {"confidence": {"start": 99}})
    transcript.add(thinking(DIAGNOSIS_AND_CHECK))
    assert boost(replay, transcript) == 1
    assert replay.conf["value"] == 100
    assert replay.conf["pending"]["thinking_quality"] == [1, 1]


def test_thinking_does_not_feed_the_streak(replay: Replay, transcript: Transcript) -> None:
    for i in range(3):
        transcript.add(thinking(f"{i} {DIAGNOSIS_AND_CHECK}"))
        boost(replay, transcript, prompt_id=f"p{i}")
    assert replay.conf["streak"] == 0


def test_only_a_bounded_tail_is_read(replay: Replay, transcript: Transcript) -> None:
    transcript.add(thinking("early " + DIAGNOSIS_AND_CHECK))
    filler = user("x" * 1000)
    transcript.add(*[filler] * 5000)  # ~5 MB
    transcript.add(thinking(EVIDENCE))
    assert transcript.path.stat().st_size > 5_000_000
    assert boost(replay, transcript) == 1  # only the recent block is within the tail
    health = replay.doc["hook_health"]["thinking_quality_boost"]
    assert health["overruns"] == 0


def test_tail_size_is_configurable(session: Session, transcript: Transcript) -> None:
    replay = Replay(session, {"thinking_quality_boost": {"tail_bytes": 200}})
    transcript.add(thinking(EVIDENCE))
    assert boost(replay, transcript) == 0  # the whole line is longer than the tail


def test_end_to_end_state_and_report(session: Session, transcript: Transcript) -> None:
    write_config(session.home, {"confidence": {"start": 55}})  # a drop into hypothesis
    session.send("05", transcript_path=str(transcript.path))
    transcript.add(thinking(DIAGNOSIS_AND_CHECK))
    session.send("05", transcript_path=str(transcript.path))
    doc = session.doc()
    assert doc["thinking"]["seen"] == [h(DIAGNOSIS_AND_CHECK)]
    assert doc["thinking"]["last_size"] == transcript.path.stat().st_size
    assert doc["confidence"]["value"] == 57
    assert doc["confidence"]["pending"] == {"thinking_quality": [1, 2]}
    session.send("06", transcript_path=str(transcript.path))
    text = session.send("06", transcript_path=str(transcript.path))
    assert (
        "[confidence] Confidence 55 → 42 (working → hypothesis): bash failure ×2 (−8), "
        "repeated error (−4), blind retry (−3), thinking quality (+2)." in text
    )


SCORES = {
    "I checked the config and it is fine": 1,
    "Nothing yet, so let me verify with a rerun": 1,
    "the output shows an error; let me verify": 2,
    "It fails because the path is relative": 1,
    "It FAILS BECAUSE of the path, the ERROR SAYS so": 2,
    "Clearly, definitely, certainly right": 0,
    "reproduce it, then fix the issue: the bug is in line 4": 2,
}


@pytest.mark.parametrize("text", SCORES)
def test_score_block(text: str) -> None:
    assert score_block(text, 2) == SCORES[text]
