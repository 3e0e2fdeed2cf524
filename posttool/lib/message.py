"""What a hook returns: a message for the model, with a severity and a label."""

from __future__ import annotations

SEVERITIES = ("action", "warn", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


class Message:
    """A hook's note to the model. The runner fills in `hook` and `priority`."""

    __slots__ = ("hook", "key", "label", "priority", "severity", "text")

    def __init__(
        self, text: str, severity: str = "info", label: str | None = None, key: str | None = None
    ) -> None:
        if severity not in SEVERITY_RANK:
            raise ValueError(f"unknown severity {severity!r}")
        self.text = text
        self.severity = severity
        self.label = label
        # The facts the message states: said once per session unless they change (None: the
        # text with its numbers normalised). See posttool/runner/repeats.py.
        self.key = key
        self.hook = ""
        self.priority = 0

    def __repr__(self) -> str:
        return f"Message({self.severity}, {self.label or self.hook}: {self.text[:60]!r})"


def bullets(headline: str, lines: list[str]) -> str:
    """A headline followed by `- ` bullet lines."""
    return "\n".join([headline, *(f"- {line}" for line in lines)])
