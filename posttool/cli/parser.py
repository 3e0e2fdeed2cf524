"""The `posttool` argument parser: every subcommand, its options and its handler.

Every subcommand takes `--home DIR` (else $POSTTOOL_HOME, else the platform's data folder).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from posttool import __version__
from posttool.cli.handlers import (
    do_bench,
    do_cache_path,
    do_cache_reset,
    do_cache_show,
    do_config_check,
    do_doctor,
    do_explain,
    do_hooks,
    do_install,
    do_replay,
    do_run,
    do_serve,
    do_state_list,
    do_state_path,
    do_state_prune,
    do_state_reset,
    do_state_show,
    do_stats,
    do_trust,
    do_uninstall,
)
from posttool.cli.options import (
    Parser,
    add_version_option,
    home_option,
    json_option,
    non_negative_float,
    positive_int,
)

Handler = Callable[[argparse.Namespace], int]
DEFAULT_BENCH_RUNS = 20


def build_parser() -> Parser:
    home = home_option()
    parser = Parser(
        prog="posttool", description="A fast, safe PostToolUse hook runner for Claude Code."
    )
    parser.add_argument("--version", action="version", version=f"posttool {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        default=None,
        help="posttool's data folder, for every command (default: $POSTTOOL_HOME, "
        "else the platform's user data folder)",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=Parser
    )

    def sub(
        name: str,
        help_text: str,
        handler: Handler,
        into: argparse._SubParsersAction[Parser] = commands,
    ) -> Parser:
        child = into.add_parser(name, help=help_text, description=help_text, parents=[home])
        child.set_defaults(handler=handler)
        return child

    add_install_commands(sub)
    add_state_commands(sub, commands, home)
    add_cache_commands(sub, commands, home)
    hooks = sub(
        "hooks",
        "list the registered hooks: family, priority, matcher, events "
        "and whether each is enabled (config and POSTTOOL_DISABLE)",
        do_hooks,
    )
    json_option(hooks)
    hooks.add_argument(
        "--config",
        action="store_true",
        help="list every config key instead: its default, current value and where it comes from",
    )
    add_config_commands(sub, commands, home)
    add_bench_commands(sub)
    from posttool.cli.userhooks import add_trust_command

    add_trust_command(sub, do_trust)
    add_replay_command(commands)
    add_explain_command(sub)
    add_serve_commands(sub)
    doctor = sub(
        "doctor",
        "check the Claude Code wiring, the interpreter, a sample run, "
        "ruff and the home folder; exit 1 if any check fails",
        do_doctor,
    )
    json_option(doctor)
    add_version_option(doctor)
    return parser


def add_install_commands(sub: Callable[..., Parser]) -> None:
    parsers = []
    for name, text, handler in (
        (
            "install",
            "add posttool to a Claude Code settings file, for PostToolUse and "
            "PostToolUseFailure (backup first; running it again changes nothing)",
            do_install,
        ),
        ("uninstall", "remove exactly what `posttool install` added", do_uninstall),
    ):
        child = sub(name, text, handler)
        parsers.append(child)
        child.add_argument(
            "--scope",
            choices=("user", "project", "local"),
            default="user",
            help="user: ~/.claude/settings.json (default); project: "
            ".claude/settings.json; local: .claude/settings.local.json "
            "(in the current folder)",
        )
        child.add_argument(
            "--dry-run", action="store_true", help="print the change as a diff and write nothing"
        )
        if name == "install":
            child.add_argument(
                "--http",
                action="store_true",
                help="post events to the running `posttool serve` (user scope; checks that it "
                "answers) instead of starting a process per tool call",
            )
    install_parser, uninstall_parser = parsers
    add_version_option(install_parser)
    uninstall_parser.add_argument(
        "--restore",
        action="store_true",
        help="put back the newest backup posttool took of the settings file, instead",
    )


def add_state_commands(
    sub: Callable[..., Parser],
    commands: argparse._SubParsersAction[Parser],
    home: Parser,
) -> None:
    state = commands.add_parser(
        "state",
        help="inspect or remove session state",
        description="Inspect or remove the per-session state files.",
        parents=[home],
    )
    actions = state.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=Parser
    )
    session_help = "session id, or a unique prefix of it (default: the newest session)"
    show = sub(
        "show", "print a session's state (the newest when none is named)", do_state_show, actions
    )
    show.add_argument("session", nargs="?", help=session_help)
    json_option(show, "print the stored document as JSON")
    path = sub("path", "print the path of a session's state file", do_state_path, actions)
    path.add_argument("session", nargs="?", help=session_help)
    json_option(
        sub(
            "list",
            "list sessions with age, size, tool count and confidence",
            do_state_list,
            actions,
        )
    )
    reset = sub(
        "reset",
        "delete a session's state (asks nothing; prints what it removed)",
        do_state_reset,
        actions,
    )
    reset.add_argument(
        "session", nargs="?", help="session id, or a unique prefix of it (required unless --all)"
    )
    reset.add_argument("--all", action="store_true", help="delete every session's state")
    prune = sub(
        "prune",
        "delete state untouched for a while (asks nothing; prints what it removed)",
        do_state_prune,
        actions,
    )
    prune.add_argument(
        "--older-than",
        type=non_negative_float,
        metavar="DAYS",
        help="age in days (default: config state.session_ttl_days, 7)",
    )


def add_config_commands(
    sub: Callable[..., Parser],
    commands: argparse._SubParsersAction[Parser],
    home: Parser,
) -> None:
    config = commands.add_parser(
        "config",
        help="check the configuration",
        description="Check <home>/config.json and POSTTOOL_DISABLE.",
        parents=[home],
    )
    actions = config.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=Parser
    )
    check = sub(
        "check",
        "report unknown keys, values of the wrong type and unknown hook names "
        "(with a 'did you mean'); exit 1 if anything is wrong",
        do_config_check,
        actions,
    )
    json_option(check)


def add_cache_commands(
    sub: Callable[..., Parser],
    commands: argparse._SubParsersAction[Parser],
    home: Parser,
) -> None:
    cache = commands.add_parser(
        "cache",
        help="inspect or clear the read cache, the "
        "exploration cache, the lessons store and the lint cache",
        description="Inspect or clear the project stores and the lint cache.",
        parents=[home],
    )
    actions = cache.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=Parser
    )
    project_help = "the project (default: the current folder's; its git root is used)"
    show = sub("show", "print the stores of a project (or of all projects)", do_cache_show, actions)
    show.add_argument("--project", metavar="DIR", help=project_help)
    show.add_argument("--all", action="store_true", help="every project, one summary each")
    json_option(show)
    path = sub("path", "print the folder holding a project's stores", do_cache_path, actions)
    path.add_argument("--project", metavar="DIR", help=project_help)
    reset = sub(
        "reset",
        "delete a project's stores (asks nothing; prints what it removed)",
        do_cache_reset,
        actions,
    )
    reset.add_argument("--project", metavar="DIR", help=project_help)
    reset.add_argument(
        "--all", action="store_true", help="every project's stores and the lint cache"
    )


def add_bench_commands(sub: Callable[..., Parser]) -> None:
    bench = sub(
        "bench",
        "time the hooks on the bundled events (or --event FILE) N times, and "
        "the whole `posttool run` process against the bare interpreter (in a temporary home "
        "and project; your config.json is applied)",
        do_bench,
    )
    bench.add_argument(
        "-n",
        "--runs",
        type=positive_int,
        default=DEFAULT_BENCH_RUNS,
        metavar="N",
        help=f"runs per event (default {DEFAULT_BENCH_RUNS})",
    )
    bench.add_argument(
        "--event", metavar="FILE", help="a JSON event, a JSON array of events, or JSON Lines"
    )
    json_option(bench)
    bench.add_argument(
        "--serve",
        action="store_true",
        help="also measure `posttool serve` (warm client p50/p99, 8 concurrent sessions)",
    )
    run = sub(
        "run",
        "process one event from stdin (what Claude Code runs); with --bench N, "
        "the same as `posttool bench -n N`",
        do_run,
    )
    run.add_argument(
        "--bench", type=positive_int, metavar="N", help="benchmark instead of processing stdin"
    )
    run.add_argument("--event", metavar="FILE", help="with --bench: the event file")
    json_option(run, "with --bench: print JSON for machines")


def add_replay_command(commands: argparse._SubParsersAction[Parser]) -> None:
    text = (
        "replay Claude Code session transcripts (.jsonl, .jsonl.xz, .jsonl.gz, or folders of "
        "them) through the hooks in a temporary home, and print what the model would have read"
    )
    replay = commands.add_parser("replay", help=text, description=text)
    replay.set_defaults(handler=do_replay)
    replay.add_argument("paths", nargs="+", metavar="PATH", help="a transcript or a folder")
    json_option(replay)
    replay.add_argument(
        "--show",
        choices=("all", "spoken"),
        default="spoken",
        help="every call, or only those where posttool spoke (default)",
    )
    replay.add_argument(
        "--keep-home", action="store_true", help="keep the temporary home and file tree"
    )


def add_explain_command(sub: Callable[..., Parser]) -> None:
    explain = sub(
        "explain",
        "show, for one event, every hook in order: matched or not and why, disabled by which "
        "setting, suspended, time, message, dropped by the budget, state changed (runs on a "
        "copy of the session: nothing is saved)",
        do_explain,
    )
    explain.add_argument(
        "event_file", nargs="?", metavar="EVENT_FILE", help="a JSON event (default: stdin)"
    )
    explain.add_argument(
        "--last", action="store_true", help="the last event posttool kept for a session"
    )
    explain.add_argument(
        "--session", metavar="S", help="with --last: session id or unique prefix (default newest)"
    )
    json_option(explain)


def add_serve_commands(sub: Callable[..., Parser]) -> None:
    serve = sub(
        "serve",
        "answer Claude Code's HTTP hooks from one warm process (loopback only; "
        "url and token in <home>/server.json)",
        do_serve,
    )
    serve.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (default), localhost or ::1")
    serve.add_argument(
        "--port", type=int, default=0, metavar="N", help="0 or absent: any free port"
    )
    serve.add_argument("--quiet", action="store_true", help="log nothing to stderr")
    serve.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="processes answering on the one port (default 1; one per core for throughput)",
    )
    serve.add_argument(
        "--read-timeout",
        type=non_negative_float,
        default=10.0,
        metavar="S",
        help="close a connection silent this long mid-request or idle (default 10)",
    )
    serve.add_argument(
        "--install-service",
        action="store_true",
        help="write a systemd user unit (launchd agent on macOS) that runs the server, "
        "and print how to start it",
    )
    serve.add_argument(
        "--uninstall-service", action="store_true", help="remove what --install-service wrote"
    )
    stats = sub(
        "stats",
        "what posttool did: per hook calls, spoke %%, characters, p50/p95 ms, failures; "
        "per tool calls and whole-call p50/p95 ms (from <home>/metrics.jsonl)",
        do_stats,
    )
    stats.add_argument("--since", metavar="AGE", help="e.g. 30m, 12h, 1d, 2w (default: all)")
    stats.add_argument("--session", metavar="ID", help="one session (id or unique prefix)")
    json_option(stats)
