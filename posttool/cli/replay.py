"""`posttool replay PATH...`: check the paths, replay, print (text or JSON)."""

from __future__ import annotations

import os
import sys

from posttool.cli.terminal import CliError, Style


def run_replay(paths: list[str], as_json: bool, show: str, keep_home: bool) -> int:
    from posttool.cli.replay_report import write_json, write_text
    from posttool.runner.replay import replay
    from posttool.runner.transcripts import transcript_files

    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        raise CliError(f"{missing[0]}: no such file or folder", code=2)
    files = [file for path in paths for file in transcript_files(path)]
    if not files:
        raise CliError(f"no .jsonl transcripts in {', '.join(paths)}", code=2)
    result = replay(files, keep_all=show == "all", keep_home=keep_home)
    if keep_home:
        sys.stderr.write(f"replay: home kept at {result.home}\n")
    if as_json:
        write_json(result, sys.stdout)
    else:
        write_text(result, sys.stdout, Style.for_stream(sys.stdout))
    return 0
