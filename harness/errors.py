"""Errors the CLI turns into one line on stderr instead of a traceback."""


class HarnessError(Exception):
    """Base class for every error the harness reports to the user."""


class ConfigError(HarnessError):
    """A problem config is malformed or names something that does not exist."""


class NotFoundError(HarnessError):
    """A problem, config set or solution could not be found."""
