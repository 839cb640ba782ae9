"""The one exception type that the command line turns into a one-line message."""


class NovelviewError(Exception):
    """A problem the user can fix: the message names it and says what to do."""
