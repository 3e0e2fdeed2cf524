"""`jsonfast` must agree with the stdlib `json` on every document."""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posttool.lib.fast.jsonfast import JSONDecodeError, dumps, loads, loads_clean
from posttool.lib.text import clean_tree, replace_surrogates

documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300)
@given(documents)
def test_round_trips_like_the_stdlib(value: object) -> None:
    compact = dumps(value)
    assert compact == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert dumps(value, sort_keys=True) == json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )
    assert loads(compact) == value
    assert loads(json.dumps(value, indent=2).encode()) == value


@given(st.text(max_size=60))
def test_rejects_what_the_stdlib_rejects(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(ValueError):
            loads(text)
    else:
        result = loads(text)
        assert result == expected or (
            isinstance(result, float) and math.isnan(result) and math.isnan(expected)
        )


@pytest.mark.parametrize("text", ["", "   ", "{", "[1,]", "1 2", "nul", "{'a': 1}", '{"a":1}x'])
def test_invalid_documents(text: str) -> None:
    with pytest.raises(JSONDecodeError):
        loads(text)


def test_non_serialisable_values_raise_type_error() -> None:
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_lazy_re_behaves_like_re() -> None:
    from posttool.lib.fast.lazy import re

    assert re.search(r"b+", "abbc").group(0) == "bb"
    assert re.IGNORECASE
    with pytest.raises(AttributeError):
        re.__deepcopy__  # noqa: B018 - probes must not import or succeed


# Text with lone surrogates, as `\udXXX` escapes in JSON can produce.
any_text = st.text(
    st.characters() | st.integers(0xD800, 0xDFFF).map(chr) | st.sampled_from("\ud83d\ude00"),
    max_size=30,
)


@given(any_text)
def test_replace_surrogates_gives_encodable_text_of_the_same_length(text: str) -> None:
    cleaned = replace_surrogates(text)
    cleaned.encode("utf-8")
    assert len(cleaned) == len(text)
    for before, after in zip(text, cleaned, strict=True):
        assert after == ("\ufffd" if "\ud800" <= before <= "\udfff" else before)


def _replaced(value: dict[str, list[str]]) -> dict[str, list[str]]:
    return {replace_surrogates(k): [replace_surrogates(t) for t in v] for k, v in value.items()}


@given(st.dictionaries(any_text, st.lists(any_text, max_size=3), max_size=4))
def test_loads_clean_leaves_no_lone_surrogate(value: dict[str, list[str]]) -> None:
    escaped = json.dumps(value)  # how Claude Code sends them; an escaped pair is one character
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")  # old files
    assert loads_clean(escaped) == _replaced(json.loads(escaped))
    assert loads_clean(raw) == _replaced(value)
    assert clean_tree(copy.deepcopy(value)) == _replaced(value)
