"""Subcommands of the `tallyhouse` CLI, one module each."""
