"""Rewrite a summary's slightly changed quotes to their sources' current wording: `briefgen quotes update`.

A quote found only after normalisation (case, typographic quotes and dashes) or only approximately
(a word changed) is replaced, in the YAML file itself, by the passage the source now holds, with
runs of white space collapsed to one space. A quote that is missing (its passage gone, or changed
beyond a fuzzy match) is left as it is and reported: it needs new evidence, which only an analyst
can choose. Every new quote is anchored again, and the whole edited summary is loaded and anchored
again, before the file is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.anchoring import Anchor, Grade, QuoteCheck, anchor_quote, anchor_texts, read_sources
from briefgen.editing import edit_yaml_file
from briefgen.errors import EditError, Problem
from briefgen.loading import load_summary_with_locations, parse_summary
from briefgen.model import MAX_QUOTE_CHARS
from briefgen.verifying import parse_where

__all__ = ["QuoteChange", "RequoteReport", "requote"]

#: Quotes longer than this are shown around the words that changed.
SHOWN_CHARS = 100
_CONTEXT_CHARS = 30

_SPACE = re.compile(r"\s+")
# A word, with the apostrophes and hyphens inside it: a passage must not start or end within one.
_WORD = re.compile(r"\w+(?:['’\-‐]\w+)*")


@dataclass(frozen=True)
class QuoteChange:
    """One quote rewritten to its source's current wording."""

    file: str
    line: int
    col: int
    field: str
    source_id: str
    old: str
    new: str
    grade: Grade  # how the old quote matched

    def __str__(self) -> str:
        old, new = shorten_pair(self.old, self.new)
        return f'{self.file}:{self.line}:{self.col}: {self.field}: "{old}" → "{new}"'


@dataclass
class RequoteReport:
    """What `briefgen quotes update` changed in one summary, and what it could not fix."""

    file: str
    changes: list[QuoteChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    written: bool = False

    @property
    def clean(self) -> bool:
        """Return whether every quote is (or, in a dry run, would be) found in its source."""
        return not self.problems


def requote(
    path: Path, *, display: str | None = None, root: Path | None = None, dry_run: bool = False
) -> RequoteReport:
    """Rewrite every slightly changed quote of a summary to its source's current wording.

    Raise SummaryError if the summary does not load, SourceError if a source cannot be read and
    EditError if the edited file would not read back as intended (then nothing is written).
    """
    name = display or str(path)
    summary, locations = load_summary_with_locations(path, display_path=name)
    texts = read_sources(summary, root or path.resolve().parent.parent)
    report = RequoteReport(file=name)
    values: dict[tuple[str | int, ...], str] = {}
    for check in anchor_texts(summary, texts):
        if check.anchor.grade is Grade.EXACT:
            continue
        quote_path = (*parse_where(check.where), "quote")
        line, col = locations.of(quote_path)
        where = f"{check.where}.quote"
        if check.anchor.grade is Grade.MISSING:
            report.problems.append(_missing(name, line, col, where, check))
            continue
        text = texts[check.source_id]
        new = current_wording(check.anchor, text)
        if new == check.quote:
            continue  # found once white space is collapsed: nothing to rewrite
        refused = _refusal(new, text)
        if refused:
            report.problems.append(Problem(name, line, col, where, refused))
            continue
        values[quote_path] = new
        report.changes.append(
            QuoteChange(name, line, col, where, check.source_id, check.quote, new, check.anchor.grade)
        )
    if values:

        def verify(new_text: str) -> None:
            _verify(new_text, name, texts, {c.field for c in report.changes})

        edit_yaml_file(path, values, check=verify, write=not dry_run)
        report.written = not dry_run
    return report


def current_wording(anchor: Anchor, text: str) -> str:
    """Return the passage a quote was anchored to, as it now reads, with white space collapsed.

    A fuzzy passage is widened to whole words first: the alignment may cut a word in two.
    """
    start, end = anchor.start, anchor.end
    if anchor.grade is Grade.FUZZY:
        start, end = whole_words(text, start, end)
    return _SPACE.sub(" ", text[start:end]).strip()


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span of ``text`` so that it neither starts nor ends inside a word."""
    return _word_edge(text, start, before=True), _word_edge(text, end, before=False)


def _word_edge(text: str, at: int, *, before: bool) -> int:
    # Words are short: a window of 64 characters either side holds any word the edge can cut.
    for word in _WORD.finditer(text, max(0, at - 64), min(len(text), at + 64)):
        if word.start() < at < word.end():
            return word.start() if before else word.end()
    return at


def _refusal(new: str, text: str) -> str | None:
    """Say why a new quote cannot stand in for the old one, or return None if it can."""
    if len(new) > MAX_QUOTE_CHARS:
        return f"the source's current passage is {len(new)} characters, over the limit of {MAX_QUOTE_CHARS}"
    if not _found(new, text):
        # Only a bug could bring us here: the passage is cut from the source itself.
        return "the source's current passage could not be found again verbatim; rewrite the quote by hand"
    return None


def _found(quote: str, text: str) -> bool:
    """Return whether a quote is found verbatim, or differing from the source in white space only."""
    anchor = anchor_quote(quote, text)
    if anchor.grade is Grade.EXACT:
        return True
    # The anchor shows the first passage that matches after normalisation, which may differ in
    # case or typography; look for one that differs in white space alone.
    spaced = r"\s+".join(re.escape(word) for word in quote.split())
    return anchor.grade is Grade.NORMALISED and re.search(spaced, text) is not None


def _verify(new_text: str, name: str, texts: Mapping[str, str], changed: set[str]) -> None:
    """Load and anchor the edited summary; raise EditError unless each rewritten quote is found."""
    summary = parse_summary(new_text, filename=name)
    for check in anchor_texts(summary, texts):
        where = f"{check.where}.quote"
        if where in changed and not _found(check.quote, texts[check.source_id]):
            raise EditError(f"{name}: {where}: the rewritten quote is not found in its source")


def _missing(name: str, line: int, col: int, where: str, check: QuoteCheck) -> Problem:
    closest = _SPACE.sub(" ", check.anchor.exact).strip()
    if len(closest) > 200:  # keep both ends: that is where a quote and its passage differ most
        closest = closest[:120] + " … " + closest[-70:]
    return Problem(
        name,
        line,
        col,
        where,
        f"quote not found in source '{check.source_id}', so not rewritten; "
        f"closest passage (score {check.anchor.score:.0f}): \u201c{closest}\u201d",
    )


def shorten_pair(old: str, new: str, *, limit: int = SHOWN_CHARS) -> tuple[str, str]:
    """Show two long quotes only around where they differ, with … for what is left out."""
    if len(old) <= limit and len(new) <= limit:
        return old, new
    prefix = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        prefix += 1
    suffix = 0
    most = min(len(old), len(new)) - prefix
    while suffix < most and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    start = _word_start(old, max(0, prefix - _CONTEXT_CHARS))
    return _cut(old, start, len(old) - suffix), _cut(new, start, len(new) - suffix)


def _cut(text: str, start: int, end: int) -> str:
    stop = _word_end(text, min(len(text), end + _CONTEXT_CHARS))
    return ("…" if start > 0 else "") + text[start:stop] + ("…" if stop < len(text) else "")


def _word_start(text: str, at: int) -> int:
    space = text.rfind(" ", 0, at + 1)
    return at if space == -1 or at - space > 12 else space + 1


def _word_end(text: str, at: int) -> int:
    space = text.find(" ", at)
    return at if space == -1 or space - at > 12 else space
