"""The exception tree: every error briefgen raises on purpose.

BriefgenError
 ├── SummaryError        a summary file is unreadable or invalid (carries every Problem)
 ├── BuildError          a paper could not be built
 │    ├── DraftError     the summary is a draft (`draft: true`) that no analyst has cleared
 │    ├── FitError       priority-1 content does not fit the page budget
 │    ├── EvidenceError  priority-1 claims lost their evidence (an analyst must look)
 │    ├── MarkingError   a sensitive claim would reach a public paper, or a marking is refused
 │    ├── QualityError   a paper breaks a hard readability limit
 │    └── ConversionError LibreOffice is missing, failed or ran out of time making the .odt
 ├── SourceError         a source could not be read or fetched
 ├── PathError           a path leaves its folder, or names a FIFO, device or folder, or a file too big
 ├── OutputError         a file could not be written (read-only or full disk, a file where a folder is)
 ├── EditError           a YAML file could not be edited in place (nothing was written)
 └── LockError           another run holds the output lock

Messages are printed as one line each: `printable` escapes control characters, so text from a
summary or a source can neither break a line nor send escape sequences to a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# C0 and C1 control characters, DEL and the Unicode line separators: every message is one line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def printable(text: str) -> str:
    """Return text with every control character escaped (``\\x1b``, ``\\n``): safe to print as one line."""
    return _CONTROL.sub(_escape, text)


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
        return printable(f"{self.file}:{self.line}:{self.col}: {self.field}: {self.message}")


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


class ConversionError(BuildError):
    """LibreOffice is missing, failed or ran out of time converting a paper's Word file to .odt."""


class SourceError(BriefgenError):
    """A source could not be read or fetched."""


class PathError(BriefgenError):
    """A path leaves the folder it must stay in, or names something that is not a regular file."""

    def __init__(self, shown: str, reason: str) -> None:
        self.shown = shown
        self.reason = reason
        super().__init__(f"{shown}: {reason}")


class OutputError(BriefgenError):
    """A file could not be written: a read-only or full disk, or a file where a folder should be."""


class EditError(BriefgenError):
    """A YAML file could not be edited in place; the file was left as it was."""


class LockError(BriefgenError):
    """Another run holds the output lock."""


class EvidenceError(BuildError):
    """Priority-1 claims lost their evidence: an analyst must look before the paper is replaced."""

    def __init__(self, message: str, claims: list[str]) -> None:
        self.claims = claims
        super().__init__(message)
