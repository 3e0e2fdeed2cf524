"""The handlers of the `posttool` subcommands: thin, each imports only its own module.

A handler takes the parsed arguments and returns the exit code; `UsageError` is a bad command
line (exit 2), `CliError` a failure the user can fix.
"""

from __future__ import annotations

import argparse
import os
import sys

from posttool.cli.terminal import CliError


class UsageError(Exception):
    """A bad command line: exit 2."""


def do_explain(args: argparse.Namespace) -> int:
    from posttool.cli.explain import run_explain

    if args.last and args.event_file:
        raise UsageError("give an EVENT_FILE or --last, not both (see 'posttool explain --help')")
    if args.session and not args.last:
        raise UsageError("--session needs --last (see 'posttool explain --help')")
    return run_explain(
        resolved_home(args), args.event_file, args.last, args.session, args.json, sys.stdout
    )


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

    serve = None
    if args.serve:
        from posttool.cli.bench_serve import SERVE_BENCH

        serve = SERVE_BENCH
    return run_bench(args.runs, args.event, args.json, home=resolved_home(args), serve=serve)


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
