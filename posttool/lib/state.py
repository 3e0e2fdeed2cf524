"""What a hook receives besides the event: the session document, the call facts, cooldowns,
configuration scoped to the running hook, and the project stores it declared."""

from __future__ import annotations

from posttool.lib.config import Config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    class StoreSource(Protocol):
        def entries(self, name: str) -> dict[str, Any]: ...


def new_call_facts() -> dict[str, Any]:
    """Call facts (spec §3.3): reset at the start of every call, never persisted."""
    return {
        "read_unchanged": False,
        "read_unchanged_age_s": None,
        "error_sig": None,
        "error_repeat": 0,
        "benign_failure": False,
        "blind_retry": False,
        "resolved": [],
        "edits_since_verify_before": 0,
        "revert_of": None,
        "file_edits_this_turn": 0,
        "syntax_error": None,
        "syntax_fixed": False,
        "scan_new_codes": [],
        "confidence_log": [],
    }


class NoStores:
    """Used when a caller runs hooks without project stores (never on the real run path)."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}

    def entries(self, name: str) -> dict[str, Any]:
        return self._data.setdefault(name, {})


class State:
    """The mutable half of a hook's input.

    - `doc`: the session document (spec §3.2), already coerced to the current schema.
    - `call`: the call facts (spec §3.3).
    - `hook`: the name of the hook now running; cooldown and config keys are scoped to it.
    """

    __slots__ = (
        "_store_snapshots",
        "_stores",
        "call",
        "call_index",
        "config",
        "doc",
        "home",
        "hook",
        "now",
    )

    def __init__(
        self,
        doc: dict[str, Any],
        config: Config | None = None,
        stores: StoreSource | None = None,
        *,
        now: float = 0.0,
        call_index: int = 0,
        home: str = "",
    ) -> None:
        self.doc = doc
        self.call = new_call_facts()
        self.config = config or Config()
        self._stores = stores or NoStores()
        self.now = now
        self.call_index = call_index
        self.hook = ""
        self.home = home
        self._store_snapshots: dict[str, Any] | None = None

    # --- configuration --------------------------------------------------------------------

    def cfg(self, key: str) -> Any:
        """`<hook>.<key>`: the user's value, else the default the hook declared."""
        return self.config.get(f"{self.hook}.{key}")

    def common(self, key: str) -> Any:
        """A `common.*` key (spec: Common keys)."""
        return self.config.get(f"common.{key}")

    # --- cooldowns (spec §3.5) -------------------------------------------------------------

    def ready(
        self,
        key: str,
        *,
        seconds: float | None = None,
        calls: int | None = None,
        hook: str | None = None,
    ) -> bool:
        entry = self.doc["cooldowns"].get(f"{hook or self.hook}|{key}")
        if not entry or len(entry) < 2:
            return True
        fired_at, fired_call = entry[0], entry[1]
        if seconds is not None:
            return self.now - fired_at >= seconds or self.now < fired_at
        if calls is not None:
            return self.call_index - fired_call >= calls
        raise ValueError("ready() needs seconds= or calls=")

    def mark(self, key: str, *, hook: str | None = None) -> None:
        cooldowns = self.doc["cooldowns"]
        name = f"{hook or self.hook}|{key}"
        cooldowns.pop(name, None)  # re-insert so insertion order stays oldest-first
        cooldowns[name] = [self.now, self.call_index]

    # --- project stores (spec §3.4) -------------------------------------------------------

    def store(self, name: str) -> dict[str, Any]:
        """The live entries of a project store the running hook declared in `stores=`.

        The store is loaded (and locked) on first use, not for every hook that might use it;
        the dispatcher's rollback copy is taken at that moment too.
        """
        entries = self._stores.entries(name)
        snapshots = self._store_snapshots
        if snapshots is not None and name not in snapshots:
            from posttool.lib.schema import copy_json

            snapshots[name] = copy_json(entries)
        return entries

    def begin_store_snapshots(self) -> None:
        self._store_snapshots = {}

    def end_store_snapshots(self) -> dict[str, Any]:
        taken, self._store_snapshots = self._store_snapshots or {}, None
        return taken
