"""Typed errors that name the place where something went wrong.

The CLI turns every :class:`HbtriageError` into one line on stderr and exit code 2.
"""

from __future__ import annotations


class HbtriageError(Exception):
    """Base class of every error hbtriage raises on purpose."""


class InputError(HbtriageError):
    """A user's input could not be read as what it looked like.

    ``path`` and ``line`` name the place; ``expected`` says what was expected there.
    """

    def __init__(self, path: str, line: int | None, expected: str, found: str | None = None):
        self.path = path
        self.line = line
        self.expected = expected
        self.found = found
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        found = f" (found {self.found!r})" if self.found else ""
        return f"{where}: expected {self.expected}{found}"


class CatalogError(HbtriageError):
    """A catalog TOML file is malformed: names the file and the entry id."""

    def __init__(self, path: str, entry: str | None, problem: str, *, count: int = 1):
        self.path = path
        self.entry = entry
        self.problem = problem
        self.count = count  # how many problems the message sums up
        where = f"{path} [{entry}]" if entry else path
        prefix = f"{count} catalog problems: " if count > 1 else ""
        super().__init__(f"{prefix}{where}: {problem}")


class UsageError(HbtriageError):
    """Arguments that cannot be used (unknown option value, no readable input)."""
