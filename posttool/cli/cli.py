"""The `posttool` command line (everything but the fast `run` path): argparse wiring only.

Every subcommand takes `--home DIR` (else $POSTTOOL_HOME, else the platform's data folder).
A bad argument prints one line on stderr and exits 2; a failure the user can fix prints one
line and exits 1; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from posttool import __version__
from posttool.cli.terminal import CliError, print_error

Handler = Callable[[argparse.Namespace], int]
DEFAULT_BENCH_RUNS = 20


class UsageError(Exception):
    """A bad command line: exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (`posttool: error: ...`) and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


def home_option() -> Parser:
    """`--home` on every subcommand; SUPPRESS keeps a top-level `--home` from being reset."""
    parent = Parser(add_help=False)
    parent.add_argument(
        "--home",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="posttool's data folder (default: $POSTTOOL_HOME, else the "
        "platform's user data folder)",
    )
    return parent


def json_option(parser: argparse.ArgumentParser, what: str = "print JSON for machines") -> None:
    parser.add_argument("--json", action="store_true", help=what)


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


def add_version_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--claude-version",
        metavar="X.Y.Z",
        help="the Claude Code version the hooks run under (default: what `claude --version` "
        "prints); decides whether PostToolUseFailure may be named",
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


def do_explain(args: argparse.Namespace) -> int:
    from posttool.cli.explain import run_explain

    if args.last and args.event_file:
        raise UsageError("give an EVENT_FILE or --last, not both (see 'posttool explain --help')")
    if args.session and not args.last:
        raise UsageError("--session needs --last (see 'posttool explain --help')")
    return run_explain(
        resolved_home(args), args.event_file, args.last, args.session, args.json, sys.stdout
    )


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


# --- handlers: thin, each imports only its own module ----------------------------------------


def resolved_home(args: argparse.Namespace, create: bool = False) -> str:
    """The home posttool works in (a `posttool/` subfolder of a folder it did not create)."""
    from posttool.lib.paths import HomeError, resolve_home, settle_home

    try:
        return settle_home(resolve_home(args.home), create=create)
    except HomeError as exc:
        raise CliError(str(exc)) from None


def do_install(args: argparse.Namespace) -> int:
    from posttool.cli.install import run_install
    from posttool.lib.paths import ensure_private_dir

    home = resolved_home(args, create=not args.dry_run)
    if args.http:
        from posttool.cli.http_wiring import run_install_http

        return run_install_http(args.scope, home, args.dry_run)
    if not args.dry_run:
        ensure_private_dir(home)
    return run_install(args.scope, home, args.dry_run, claude_version=args.claude_version)


def do_uninstall(args: argparse.Namespace) -> int:
    from posttool.cli.install import run_uninstall

    return run_uninstall(args.scope, resolved_home(args), args.dry_run, restore=args.restore)


def do_state_show(args: argparse.Namespace) -> int:
    from posttool.cli.inspect import state_show

    return state_show(resolved_home(args), args.session, args.json, sys.stdout)


def do_state_path(args: argparse.Namespace) -> int:
    from posttool.cli.inspect import state_path

    return state_path(resolved_home(args), args.session, sys.stdout)


def do_state_list(args: argparse.Namespace) -> int:
    from posttool.cli.inspect import state_list

    return state_list(resolved_home(args), args.json, sys.stdout)


def do_state_reset(args: argparse.Namespace) -> int:
    from posttool.cli.inspect import state_reset

    if args.all and args.session:
        raise UsageError("give a session or --all, not both (see 'posttool state reset --help')")
    if not args.all and not args.session:
        # The newest session is most likely the one running now: never guess what to delete.
        raise UsageError(
            "name the SESSION to delete, or --all (see `posttool state list` and "
            "'posttool state reset --help')"
        )
    return state_reset(resolved_home(args), args.session, args.all, sys.stdout)


def do_state_prune(args: argparse.Namespace) -> int:
    from posttool.cli.inspect import state_prune

    return state_prune(resolved_home(args), args.older_than, sys.stdout)


def do_cache_show(args: argparse.Namespace) -> int:
    from posttool.cli.inspect import cache_show

    _one_project(args, "show")
    return cache_show(resolved_home(args), args.project, args.all, args.json, sys.stdout)


def do_cache_path(args: argparse.Namespace) -> int:
    from posttool.cli.inspect import cache_path

    return cache_path(resolved_home(args), args.project, sys.stdout)


def do_cache_reset(args: argparse.Namespace) -> int:
    from posttool.cli.inspect import cache_reset

    _one_project(args, "reset")
    return cache_reset(resolved_home(args), args.project, args.all, sys.stdout)


def _one_project(args: argparse.Namespace, action: str) -> None:
    if args.all and args.project:
        raise UsageError(
            f"give --project or --all, not both (see 'posttool cache {action} --help')"
        )
    if args.project and not os.path.isdir(args.project):
        raise UsageError(f"--project {args.project}: not a folder")


def do_hooks(args: argparse.Namespace) -> int:
    if args.config:
        from posttool.cli.config_cmd import config_list

        return config_list(resolved_home(args), args.json, sys.stdout, sys.stderr)
    from posttool.cli.inspect import hooks_list

    return hooks_list(resolved_home(args), args.json, sys.stdout)


def do_config_check(args: argparse.Namespace) -> int:
    from posttool.cli.config_cmd import config_check

    return config_check(resolved_home(args), args.json, sys.stdout, sys.stderr)


def do_trust(args: argparse.Namespace) -> int:
    from posttool.cli.userhooks import run_trust

    home = resolved_home(args, create=True)
    return run_trust(home, args.path, args.list, args.revoke, os.getcwd(), sys.stdout)


def do_bench(args: argparse.Namespace) -> int:
    from posttool.cli.bench import run_bench

    home = resolved_home(args)
    if args.serve:
        from posttool.cli.bench_serve import SERVE_BENCH

        return run_bench(args.runs, args.event, args.json, home=home, serve=SERVE_BENCH)
    return run_bench(args.runs, args.event, args.json, home=home)


def do_run(args: argparse.Namespace) -> int:
    if args.bench is None:
        if args.event or args.json:
            raise UsageError("--event and --json need --bench N (see 'posttool run --help')")
        from posttool.runner.stdio import run_fast

        return run_fast(args.home)
    from posttool.cli.bench import run_bench

    return run_bench(args.bench, args.event, args.json, home=resolved_home(args))


def do_serve(args: argparse.Namespace) -> int:
    from posttool.runner.serve import ServeError, run_serve

    if args.port < 0 or args.port > 65535:
        raise UsageError(f"--port {args.port}: not a port number (0-65535)")
    try:
        if args.install_service or args.uninstall_service:
            from posttool.cli.service import run_service_command

            return run_service_command(
                resolved_home(args, create=True), args.host, args.port, args.uninstall_service
            )
        return run_serve(
            resolved_home(args, create=True),
            args.host,
            args.port,
            args.quiet,
            args.read_timeout or 10.0,
            args.workers,
        )
    except ServeError as exc:
        raise UsageError(str(exc)) from None


def do_stats(args: argparse.Namespace) -> int:
    from posttool.cli.stats import run_stats

    return run_stats(resolved_home(args), args.since, args.session, args.json, sys.stdout)


def do_replay(args: argparse.Namespace) -> int:
    from posttool.cli.replay import run_replay

    return run_replay(args.paths, args.json, args.show, args.keep_home)


def do_doctor(args: argparse.Namespace) -> int:
    from posttool.cli.doctor import run_doctor

    return run_doctor(
        resolved_home(args), args.home is not None, args.json, claude_version=args.claude_version
    )


# --- entry -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code (argv excludes the program name)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except UsageError as exc:
        print_error(str(exc))
        return 2
    except CliError as exc:
        print_error(str(exc))
        return exc.code
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `posttool state list | head`
        _silence_stdout()
        return 0


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
