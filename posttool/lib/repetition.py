"""When are commands of one shape the same work repeated (scratch_enforcer)?

`python fetch.py --id 1`, `--id 2`, `--id 3`… is one job done by hand: a loop does it. Five
`gh issue close N --comment "…"` with a different hand-written comment each are five pieces of
work: no script would have written the comments. So commands repeat each other only when they
carry the same free text (quoted arguments of several words: titles, comments, messages,
heredoc bodies); the other arguments (numbers, names, paths) may vary.

Imported only once the cheap shape count already matched, never on a plain Bash event.
"""

from __future__ import annotations


def split_arguments(command: str) -> list[tuple[str, bool]]:
    """Whitespace-separated arguments outside quotes, each with whether it was quoted (a
    quoted part anywhere in the token counts). Never raises, whatever the quoting."""
    arguments: list[tuple[str, bool]] = []
    current: list[str] = []
    quoted = False
    quote = ""
    for char in command:
        if quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "'\"":
            quote = char
            quoted = True
        elif char.isspace():
            if current or quoted:
                arguments.append(("".join(current), quoted))
            current, quoted = [], False
        else:
            current.append(char)
    if current or quoted:
        arguments.append(("".join(current), quoted))
    return arguments


def is_free_text(argument: str, quoted: bool) -> bool:
    """Prose the model wrote: a quoted argument of several words (a title, a comment, a
    commit message, a heredoc body)."""
    return quoted and len(argument.split()) >= 2


def free_text(command: str) -> tuple[str, ...]:
    """The command's free-text arguments, whitespace-normalised, in order."""
    return tuple(
        " ".join(argument.split())
        for argument, quoted in split_arguments(command)
        if is_free_text(argument, quoted)
    )


def repeated_count(commands: list[str]) -> int:
    """The largest number of distinct commands that carry the same free text."""
    groups: dict[tuple[str, ...], set[str]] = {}
    for command in commands:
        groups.setdefault(free_text(command), set()).add(" ".join(command.split()))
    return max((len(norms) for norms in groups.values()), default=0)
