"""The exception tree: every error briefgen raises on purpose.

BriefgenError
 ├── SummaryError        a summary file is unreadable or invalid (carries every Problem)
 ├── BuildError          a paper could not be built
 │    ├── DraftError     the summary is a draft (`draft: true`) that no analyst has cleared
 │    ├── FitError       priority-1 content does not fit the page budget
 │    ├── EvidenceError  priority-1 claims lost their evidence (an analyst must look)
 │    ├── MarkingError   a sensitive claim would reach a public paper, or a marking is refused
 │    └── QualityError   a paper breaks a hard readability limit
 ├── SourceError         a source could not be read or fetched
 ├── EditError           a YAML file could not be edited in place (nothing was written)
 └── LockError           another run holds the output lock
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a summary, located to a line and column (1-based)."""

    file: str
    line: int
    col: int
    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.field}: {self.message}"


class BriefgenError(Exception):
    """Base of every error briefgen raises on purpose."""


class SummaryError(BriefgenError):
    """A summary could not be loaded; carries every problem found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, line: int, col: int, field: str, message: str) -> SummaryError:
        """Return the error for one problem."""
        return cls([Problem(file, line, col, field, message)])


class BuildError(BriefgenError):
    """A paper could not be built."""


class DraftError(BuildError):
    """The summary is marked `draft: true`: an analyst must edit and clear it before papers are built."""


class FitError(BuildError):
    """Priority-1 content does not fit the page budget, or has no place in the layout."""

    def __init__(self, message: str, claims: tuple[str, ...] = ()) -> None:
        self.claims = claims
        super().__init__(message)


class MarkingError(BuildError):
    """A marking rule would be broken."""


class QualityError(BuildError):
    """A paper breaks a hard quality limit."""


class SourceError(BriefgenError):
    """A source could not be read or fetched."""


class EditError(BriefgenError):
    """A YAML file could not be edited in place; the file was left as it was."""


class LockError(BriefgenError):
    """Another run holds the output lock."""


class EvidenceError(BuildError):
    """Priority-1 claims lost their evidence: an analyst must look before the paper is replaced."""

    def __init__(self, message: str, claims: list[str]) -> None:
        self.claims = claims
        super().__init__(message)
