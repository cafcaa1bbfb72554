"""Find each verbatim quote in its source text and grade the match: exact, normalised, fuzzy or missing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from briefgen.errors import SourceError
from briefgen.model import Summary

FUZZY_THRESHOLD = 85.0
CONTEXT_CHARS = 32

# One-for-one replacements (typographic quotes, primes, hyphens, dashes, minus), so offsets survive.
_FOLD = str.maketrans("‘’‚‛′“”„‟″‐‑‒–—―−", "'" * 5 + '"' * 5 + "-" * 7)
_SPACE = re.compile(r"\s+")
# Word edges, and the edges of white space so a passage may end on punctuation.
_WORD_EDGE = re.compile(r"\b|(?<=\s)|(?=\s)")


class Grade(StrEnum):
    """How well a quote matched its source."""

    EXACT = "exact"
    NORMALISED = "normalised"
    FUZZY = "fuzzy"
    MISSING = "missing"


class Change(StrEnum):
    """What happened to a quote when its source changed."""

    UNCHANGED = "unchanged"
    MOVED = "moved"
    CHANGED = "changed"
    GONE = "gone"


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits in its source; for a missing quote, the closest passage found."""

    grade: Grade
    score: float
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str

    def to_dict(self) -> dict[str, Any]:
        """Return the anchor as plain JSON-ready values."""
        return {
            "grade": self.grade.value,
            "score": self.score,
            "start": self.start,
            "end": self.end,
            "exact": self.exact,
            "prefix": self.prefix,
            "suffix": self.suffix,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Anchor:
        """Rebuild an anchor from the values `to_dict` returned."""
        return cls(
            grade=Grade(data["grade"]),
            score=float(data["score"]),
            start=int(data["start"]),
            end=int(data["end"]),
            exact=str(data["exact"]),
            prefix=str(data["prefix"]),
            suffix=str(data["suffix"]),
        )


def _fold(text: str) -> tuple[str, list[int]]:
    # Returns the folded text and, for each of its characters, the original offset.
    mapped = text.translate(_FOLD)
    lowered = mapped.lower()
    if len(lowered) == len(mapped):
        return lowered, list(range(len(text)))
    # A few characters (such as 'İ') grow when lower-cased; map each piece back to its source.
    pieces: list[str] = []
    back: list[int] = []
    for i, char in enumerate(mapped):
        low = char.lower()
        pieces.append(low)
        back.extend([i] * len(low))
    return "".join(pieces), back


def _normalise(text: str) -> tuple[str, list[int]]:
    folded, back = _fold(text)
    parts: list[str] = []
    starts: list[int] = []
    last = 0
    for run in _SPACE.finditer(folded):
        parts.append(folded[last : run.start()])
        starts.extend(back[last : run.start()])
        parts.append(" ")
        starts.append(back[run.start()])
        last = run.end()
    parts.append(folded[last:])
    starts.extend(back[last:])
    return "".join(parts), starts


class SourceText:
    """A source's original text with its normalised form and the map between their offsets."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def _folded(self) -> tuple[str, list[int]]:
        # Computed on first need: a summary whose quotes are all verbatim never needs it.
        return _normalise(self.text)

    @property
    def normalised(self) -> str:
        """Return the text with white space, quotes, dashes and case folded."""
        return self._folded[0]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text back to the original text."""
        starts = self._folded[1]
        if start >= end:
            at = starts[start] if start < len(starts) else len(self.text)
            return at, at
        return starts[start], starts[end - 1] + 1


@lru_cache(maxsize=64)
def _source_of(text: str) -> SourceText:
    return SourceText(text)


def _anchor(grade: Grade, score: float, text: str, start: int, end: int) -> Anchor:
    return Anchor(
        grade=grade,
        score=score,
        start=start,
        end=end,
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
    )


def _common_length(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _choose(spans: list[tuple[int, int]], text: str, previous: Anchor | None) -> tuple[int, int]:
    if previous is None or len(spans) == 1:
        return spans[0]

    # Matching context beats proximity: text inserted earlier shifts every offset after it.
    def closeness(span: tuple[int, int]) -> tuple[int, int]:
        start, end = span
        before = text[max(0, start - CONTEXT_CHARS) : start]
        after = text[end : end + CONTEXT_CHARS]
        context = _common_length(before[::-1], previous.prefix[::-1]) + _common_length(after, previous.suffix)
        return context, -abs(start - previous.start)

    return max(spans, key=closeness)


def _find_all(needle: str, haystack: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    at = haystack.find(needle)
    while at != -1:
        spans.append((at, at + len(needle)))
        at = haystack.find(needle, at + 1)
    return spans


def _edges(text: str, lo: int, hi: int, around: int) -> list[int]:
    # The raw edge first, so it wins ties only when no word edge scores better.
    found = [m.start() for m in _WORD_EDGE.finditer(text, max(0, lo), min(len(text), hi))]
    return [around, *sorted(set(found) - {around})]


def _best_window(quote: str, text: str) -> tuple[float, int, int]:
    # Imported here: only quotes that are not found verbatim need it, and a clean summary has none.
    from rapidfuzz import fuzz
    from rapidfuzz.distance import Levenshtein

    if len(quote) >= len(text):
        return Levenshtein.normalized_similarity(quote, text) * 100, 0, len(text)
    hit = fuzz.partial_ratio_alignment(quote, text)
    if hit is None:  # only when a score cutoff is given, which it is not; keeps the type honest
        return 0.0, 0, 0
    # partial_ratio compares windows as long as the quote; widen or narrow the window to word
    # edges so a word inserted or dropped in the source does not cut the passage short.
    slack = max(8, len(quote) // 10)
    starts = _edges(text, hit.dest_start - slack, hit.dest_start + slack + 1, hit.dest_start)
    ends = _edges(text, hit.dest_end - slack, hit.dest_end + slack + 1, hit.dest_end)
    best = (-1.0, hit.dest_start, hit.dest_end)
    for start in starts:
        for end in ends:
            if end > start:
                score = Levenshtein.normalized_similarity(quote, text[start:end]) * 100
                if score > best[0]:
                    best = (score, start, end)
    return best


def anchor_quote(
    quote: str,
    text: str | SourceText,
    *,
    previous: Anchor | None = None,
    threshold: float = FUZZY_THRESHOLD,
) -> Anchor:
    """Find a quote in a source text and grade the match; prefer the occurrence nearest `previous`."""
    source = text if isinstance(text, SourceText) else _source_of(text)
    original = source.text
    spans = _find_all(quote, original)
    if spans:
        start, end = _choose(spans, original, previous)
        return _anchor(Grade.EXACT, 100.0, original, start, end)

    wanted = _normalise(quote)[0].strip()
    if not wanted:
        return _anchor(Grade.MISSING, 0.0, original, 0, 0)
    spans = [source.original_span(s, e) for s, e in _find_all(wanted, source.normalised)]
    if spans:
        start, end = _choose(spans, original, previous)
        return _anchor(Grade.NORMALISED, 100.0, original, start, end)

    score, norm_start, norm_end = _best_window(wanted, source.normalised)
    start, end = source.original_span(norm_start, norm_end)
    grade = Grade.FUZZY if score >= threshold else Grade.MISSING
    return _anchor(grade, round(score, 2), original, start, end)


def reanchor(quote: str, text: str | SourceText, previous: Anchor) -> tuple[Anchor, Change]:
    """Anchor a quote again in a changed source and say how its anchor moved."""
    anchor = anchor_quote(quote, text, previous=previous)
    if anchor.grade is Grade.MISSING:
        return anchor, Change.GONE
    same_passage = anchor.grade is previous.grade and anchor.exact == previous.exact
    if same_passage and anchor.start == previous.start:
        return anchor, Change.UNCHANGED
    # A passage that still reads as before has only moved, even if it was fuzzy all along.
    if same_passage or (anchor.grade in (Grade.EXACT, Grade.NORMALISED) and anchor.start != previous.start):
        return anchor, Change.MOVED
    return anchor, Change.CHANGED


@dataclass(frozen=True)
class QuoteCheck:
    """One quote of a summary with the anchor found for it."""

    claim_id: str
    where: str
    source_id: str
    quote: str
    anchor: Anchor


def read_sources(summary: Summary, root: Path) -> dict[str, str]:
    """Read every source file of a summary once, as UTF-8, keyed by source id."""
    texts: dict[str, str] = {}
    for source in summary.sources:
        path = root / source.file
        try:
            texts[source.id] = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SourceError(f"source '{source.id}': cannot read {path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"source '{source.id}': {path} is not UTF-8 (bad byte at offset {exc.start})"
            ) from exc
    return texts


def anchor_texts(summary: Summary, texts: Mapping[str, str]) -> list[QuoteCheck]:
    """Anchor every evidence quote and dispute position of a summary in the given source texts."""
    sources = {source_id: SourceText(text) for source_id, text in texts.items()}
    quotes: list[tuple[str, str, str, str]] = []
    for i, claim in enumerate(summary.claims):
        for j, evidence in enumerate(claim.evidence):
            quotes.append((claim.id, f"claims[{i}].evidence[{j}]", evidence.source, evidence.quote))
    for i, dispute in enumerate(summary.disputes):
        for j, position in enumerate(dispute.positions):
            quotes.append((dispute.id, f"disputes[{i}].positions[{j}]", position.source, position.quote))
    checks: list[QuoteCheck] = []
    for owner, where, source_id, quote in quotes:
        if source_id not in sources:
            raise SourceError(f"{where}.source: no text for source '{source_id}'")
        anchor = anchor_quote(quote, sources[source_id])
        checks.append(QuoteCheck(owner, where, source_id, quote, anchor))
    return checks


def anchor_summary(summary: Summary, root: Path) -> list[QuoteCheck]:
    """Read a summary's sources under `root` and anchor every quote in them."""
    return anchor_texts(summary, read_sources(summary, root))
