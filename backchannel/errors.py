"""One error family. User mistakes print one line and exit non-zero; bugs keep their traceback."""

import click


class BackchannelError(click.ClickException):
    """A problem the user can fix; printed as one line, exit code 2 unless said otherwise."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    def format_message(self) -> str:
        from backchannel.sanitize import terminal_text  # messages quote files, servers and posts

        return terminal_text(self.message)


class ConfigError(BackchannelError):
    """The config file is missing, unreadable or wrong; the message names file and key."""


class InputError(BackchannelError):
    """An input file, query or option value is wrong."""


class SourceError(BackchannelError):
    """A source (server, feed) failed in a way the user must act on (e.g. credentials)."""

    exit_code = 1


class LockedError(BackchannelError):
    """Another backchannel process owns the data dir."""
