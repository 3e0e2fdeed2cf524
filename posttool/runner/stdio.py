"""`posttool run`: one event from stdin, one answer on stdout, exit 0 whatever happens."""

from __future__ import annotations

import sys


class _LogStream:
    """Stands in for stderr during `run`: nothing may reach the agent's terminal."""

    def write(self, text: str) -> int:
        if text.strip():
            from posttool.lib.log import log

            log(f"stderr: {text.rstrip()}")
        return len(text)

    def flush(self) -> None:
        pass


def run_fast(home_arg: str | None, unknown_args: list[str] | None = None) -> int:
    sys.stderr = _LogStream()
    out = "{}"
    try:
        from posttool.lib.paths import resolve_home
        from posttool.runner.run import handle

        data = sys.stdin.buffer.read()
        home = resolve_home(home_arg)
        out = handle(data, home=home)
        if unknown_args:
            _log_unknown_args(home, unknown_args)
    except BaseException:
        out = "{}"
    try:
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    return 0


def _log_unknown_args(home: str, args: list[str]) -> None:
    from posttool.lib import log as logging_

    logging_.configure(home)
    logging_.log(f"run: ignored unknown argument(s) {' '.join(args)!r}")
