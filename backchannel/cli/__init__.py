"""The command line: each command parses options, calls one library function and reports."""

from backchannel.cli.main import cli, main

__all__ = ["cli", "main"]
