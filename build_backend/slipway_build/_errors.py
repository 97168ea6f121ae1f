"""The one error type of the backend."""


class BuildError(Exception):
    """A build step failed. The message says what failed and how to fix it;
    the hooks print it without a traceback."""
