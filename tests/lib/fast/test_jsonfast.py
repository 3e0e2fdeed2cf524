"""`jsonfast` must agree with the stdlib `json` on every document."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posttool.lib.fast.jsonfast import JSONDecodeError, dumps, loads

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
