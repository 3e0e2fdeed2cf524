"""Call one hook on a real-shaped event in a test, with the Event built the way `run` builds it.

```python
from posttool.testing import call_hook

message = call_hook(my_hook, {"tool_name": "Edit", ...}, home=tmp_path)
```

Unlike `run`, a hook's exception propagates (a test should see it) and the message comes back
as the hook returned it, before the output budget and merge.
"""

from __future__ import annotations

import os
import time

from posttool.api import MARK, HookSpec
from posttool.lib.schema import new_session
from posttool.lib.state import NoStores, State, new_call_facts
from posttool.runner.normalise import build_event
from posttool.runner.registry import HookRecord, load_registry
from posttool.runner.run import number_call, prepare_event, read_config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from posttool.lib.config import Config
    from posttool.lib.message import Message


def hook_record(fn_or_name: Callable[..., Any] | str) -> HookRecord:
    """The validated record of a built-in hook (by name) or of a function marked with `@hook`."""
    if isinstance(fn_or_name, str):
        registry = load_registry()
        if fn_or_name not in registry.by_name:
            raise KeyError(f"no hook named {fn_or_name!r}")
        return registry.by_name[fn_or_name]
    spec = getattr(fn_or_name, MARK, None)
    if not isinstance(spec, HookSpec):
        raise TypeError(f"{fn_or_name!r} is not marked with @hook")
    return HookRecord(spec, "test", fn_or_name)


def call_hook(
    fn_or_name: Callable[..., Any] | str,
    event: dict[str, Any],
    *,
    home: str | os.PathLike[str],
    state: State | None = None,
    config: Config | None = None,
    now: float | None = None,
) -> Message | None:
    """Run one hook on `event` (a raw Claude Code payload) and return its message, if any.

    Pass the same `state` to several calls to replay a sequence within one session; without
    one, a fresh session document is made (project stores stay in memory).
    """
    record = hook_record(fn_or_name)
    home = os.fspath(home)
    now = time.time() if now is None else now
    config = config or (state.config if state is not None else read_config(home, None))
    built = build_event(
        event,
        now=now,
        max_scan_chars=config.get("common.max_scan_chars"),
        max_parse_bytes=config.get("common.max_parse_bytes"),
    )
    prepare_event(built, [record], config, home)
    if state is None:
        doc = new_session(built.session_id, built.project_key, now)
        state = State(doc, config, NoStores(), now=now, home=home)
    number_call(built, state.doc, config)
    built.freeze()
    state.now = now
    state.call_index = built.call_index
    state.call = new_call_facts()
    state.hook = record.name
    result: Message | None = record.fn(built, state)
    return result
