"""Typed errors that name the place where something went wrong.

The CLI turns every :class:`HbtriageError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hbtriage.warning_text import Joined


class HbtriageError(Exception):
    """Base class of every error hbtriage raises on purpose."""


class InputError(HbtriageError):
    """A user's input could not be read as what it looked like.

    ``path`` and ``line`` name the place; ``expected`` says what was expected there (``found``:
    what was there instead); ``reason``, when given, says it all (worded: its English starts
    "expected ...").
    """

    def __init__(
        self,
        path: str,
        line: int | None,
        expected: str,
        found: str | None = None,
        *,
        reason: str | None = None,
    ):
        self.path = path
        self.line = line
        self.expected = expected
        self.found = found
        self.reason = reason
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """``path:line: expected ... (found ...)``, worded by id (the file's warning)."""
        from hbtriage.warning_text import warn

        if self.reason is not None:
            reason = self.reason
        elif self.found:
            reason = warn("expected_found", expected=self.expected, found=self.found)
        else:
            reason = warn("expected", expected=self.expected)
        if self.line:
            return warn("at_line", path=self.path, line=self.line, reason=reason)
        return warn("at_file", path=self.path, reason=reason)


class CatalogError(HbtriageError):
    """A catalog TOML file is malformed: names the file and the entry id."""

    def __init__(
        self,
        path: str,
        entry: str | None,
        problem: str | Joined,
        *,
        count: int = 1,
        more: str = "",
    ):
        from hbtriage.warning_text import warn

        self.path = path
        self.entry = entry
        # as worded (``count`` > 1: the problems joined, in English)
        self.problem = problem if isinstance(problem, str) else str(problem)
        self.count = count  # how many problems the message sums up (``more``: those unsaid)
        #: each problem on its own (this one, or those it sums up)
        self.problems: tuple[CatalogError, ...] = (self,)
        where = f"{path} [{entry}]" if entry else path
        # worded by id: the CLI says it in the run's --lang (a problem worded too, in it)
        if count > 1:
            said = warn("catalog_problems", count=count, where=where, problems=problem, more=more)
            super().__init__(said)
            return
        super().__init__(warn("catalog_problem", where=where, problem=problem))


class UsageError(HbtriageError):
    """Arguments that cannot be used (unknown option value, no readable input)."""
