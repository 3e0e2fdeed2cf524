"""The subcommands a person types: install, uninstall, doctor, state, cache, hooks, bench."""
