"""Find each verbatim quote in its source text and grade the match: exact, normalised, fuzzy or missing."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from briefgen.errors import PathError, SourceError
from briefgen.model import Summary
from briefgen.paths import inside, read_file

FUZZY_THRESHOLD = 85.0
#: The largest source file read, in bytes: a 1,000-page treaty is about 3 MB of text. Anchoring a
#: quote the source does not hold takes time and memory in proportion to the source's size.
MAX_SOURCE_BYTES = 8 * 1024 * 1024
#: A quote not found as written is searched for fuzzily in the whole of a source up to this many
#: characters (a fraction of a second); in a longer one, only around the places that hold pieces of
#: it (`_regions`), at most SEARCH_BUDGET_CHARS of it, looking at no more than HIT_BUDGET places.
FULL_SEARCH_CHARS = 256 * 1024
SEARCH_BUDGET_CHARS = 256 * 1024
HIT_BUDGET = 10_000
PIECES = 16
CONTEXT_CHARS = 32

# One-for-one replacements (typographic quotes, primes, hyphens, dashes, minus), so offsets survive;
# and 'İ', the one character that lower-cases to two ('i' and a combining dot), as a plain 'i'.
_FOLD = tuple(zip("‘’‚‛′“”„‟″‐‑‒–—―−İ", "'" * 5 + '"' * 5 + "-" * 7 + "i", strict=True))
# Normalising collapses each run of white space to one space: only runs of two or more characters
# shift offsets, and only they and single characters other than a space need replacing.
# Control characters a source must not hold; tab, line breaks and form feeds are white space.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_LONG_SPACE = re.compile(r"\s{2,}")
_NOT_ONE_SPACE = re.compile(r"\s{2,}|[^\S ]")
# Word edges, and the edges of white space so a passage may end on punctuation.
_WORD_EDGE = re.compile(r"\b|(?<=\s)|(?=\s)")


class Grade(StrEnum):
    """How well a quote matched its source."""

    EXACT = "exact"
    NORMALISED = "normalised"
    FUZZY = "fuzzy"
    MISSING = "missing"
    UNCHECKED = "unchecked"  # not looked for: a selection made without its sources (tests, drafts)


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


def _fold_characters(text: str) -> str:
    """Replace typographic quotes, dashes and 'İ' one for one (str.translate is slow on big texts)."""
    for old, new in _FOLD:
        if old in text:
            text = text.replace(old, new)
    return text


def _fold_slowly(text: str) -> tuple[str, list[int]]:
    """Fold a text in which some character grows when lower-cased; map each piece back to its source."""
    pieces: list[str] = []
    back: list[int] = []
    for i, char in enumerate(_fold_characters(text)):
        low = char.lower()
        pieces.append(low)
        back.extend([i] * len(low))
    return "".join(pieces), back


class OffsetMap:
    """Map offsets of a normalised text back to the original text, in memory per run of white space.

    A normalised text differs from the original only where a run of white space became one space,
    so the map keeps one (normalised, original) pair per such run, not one number per character:
    an 8 MB source needs a few hundred kilobytes, not hundreds of megabytes.
    """

    def __init__(
        self, length: int, normalised: array[int], original: array[int], back: list[int] | None
    ) -> None:
        self._length = length  # of the normalised text
        self._normalised = normalised
        self._original = original
        self._back = back  # folded offset -> original, when folding changed the length (rare)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> int:
        run = bisect_right(self._normalised, index) - 1
        folded = self._original[run] + index - self._normalised[run]
        return folded if self._back is None else self._back[folded]


def _normalise(text: str) -> tuple[str, OffsetMap]:
    """Fold quotes, dashes and case and collapse white space; return the text and its offset map."""
    folded = _fold_characters(text).lower()
    back = None
    if len(folded) != len(text):  # some character grew when lower-cased (none in Unicode 15 but 'İ')
        folded, back = _fold_slowly(text)
    normalised_starts, original_starts = array("q", [0]), array("q", [0])
    shift = 0
    for run in _LONG_SPACE.finditer(folded):
        shift += run.end() - run.start() - 1
        normalised_starts.append(run.end() - shift)
        original_starts.append(run.end())
    normalised = _NOT_ONE_SPACE.sub(" ", folded)
    return normalised, OffsetMap(len(normalised), normalised_starts, original_starts, back)


class SourceText:
    """A source's original text with its normalised form and the map between their offsets."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def _folded(self) -> tuple[str, OffsetMap]:
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


# Few entries: each holds a source of up to MAX_SOURCE_BYTES and its normalised copy.
@lru_cache(maxsize=8)
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


def _regions(quote: str, text: str) -> list[tuple[int, int]]:
    """Return the stretches of a long text worth searching for a quote it does not hold as written.

    The quote is cut into PIECES pieces (fewer for a short quote): a passage within that many
    edits minus one of the quote holds one of them unchanged, since an edit touches one piece at
    most, and a passage with a word or two changed holds most of them. Each place a piece occurs
    marks where such a passage would start; starts are grouped into bands as long as the quote,
    and the bands holding the most different pieces are searched first, up to SEARCH_BUDGET_CHARS
    of text, from at most HIT_BUDGET places (the rarest pieces' first). Time and memory are bounded
    whatever the text holds; a passage that differs from the quote in more places than there are
    pieces may be missed in a source this long.
    """
    length = len(quote)
    edits = int(length * (100 - FUZZY_THRESHOLD) / FUZZY_THRESHOLD) + 1
    size = length // min(edits + 1, PIECES)
    pieces: dict[str, int] = {}
    for offset in range(0, length - size + 1, size):
        pieces.setdefault(quote[offset : offset + size], offset)
    counted = [(text.count(piece), offset, piece) for piece, offset in pieces.items()]
    bands: dict[int, set[int]] = {}
    left = HIT_BUDGET
    for count, offset, piece in sorted(counted):
        at = text.find(piece) if count else -1
        while at != -1 and left > 0:
            bands.setdefault((at - offset) // length, set()).add(offset)
            left -= 1
            at = text.find(piece, at + 1)
    # A passage's start may fall in the band before its pieces' band: score a band with the next.
    scored = sorted(bands, key=lambda b: (-len(bands[b] | bands.get(b + 1, set())), b))
    reach = edits + max(8, length // 10)  # room for the edits, and for widening to word edges
    chosen: list[tuple[int, int]] = []
    spent = 0
    for band in scored:
        lo, hi = max(0, band * length - reach), min(len(text), (band + 2) * length + reach)
        if spent + hi - lo > SEARCH_BUDGET_CHARS:
            break
        chosen.append((lo, hi))
        spent += hi - lo
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(chosen):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _best_window(quote: str, text: str) -> tuple[float, int, int]:
    # Imported here: only quotes that are not found verbatim need it, and a clean summary has none.
    from rapidfuzz import fuzz
    from rapidfuzz.distance import Levenshtein

    if len(quote) >= len(text):
        return Levenshtein.normalized_similarity(quote, text) * 100, 0, len(text)
    if len(text) <= FULL_SEARCH_CHARS:
        hit = fuzz.partial_ratio_alignment(quote, text)
    else:
        # The best-aligned window of the likeliest stretches, the first on a tie, as over the whole text.
        hit = None
        for lo, hi in _regions(quote, text):
            found = fuzz.partial_ratio_alignment(quote, text[lo:hi])
            if found is not None and (hit is None or found.score > hit.score):
                hit = found
                hit.dest_start, hit.dest_end = found.dest_start + lo, found.dest_end + lo
    if hit is None:  # no stretch shares a piece with the quote: nothing comes close
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


def read_source(root: Path, file: str, *, source_id: str) -> str:
    """Read one source file under the project root as UTF-8; raise SourceError saying why not.

    The file must resolve inside the project, be a regular file (a FIFO would block the run for
    ever) and hold at most MAX_SOURCE_BYTES.
    """
    try:
        path = inside(root, file)
        data = read_file(path, limit=MAX_SOURCE_BYTES, shown=file)
    except PathError as exc:
        raise SourceError(f"source '{source_id}': {exc}") from None
    except OSError as exc:
        raise SourceError(f"source '{source_id}': cannot read {root / file}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"source '{source_id}': {root / file} is not UTF-8 (bad byte at offset {exc.start})"
        ) from None
    bad = _CONTROL.search(text)
    if bad is not None:
        # A passage printed from it would carry the character into a paper (and fail the PDF).
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - text.rfind("\n", 0, bad.start())
        message = f"control character U+{ord(bad.group()):04X} is not allowed in a source"
        raise SourceError(f"source '{source_id}': {file}:{line}:{col}: {message}")
    return text


def read_sources(summary: Summary, root: Path) -> dict[str, str]:
    """Read every source file of a summary once, as UTF-8, keyed by source id."""
    return {source.id: read_source(root, source.file, source_id=source.id) for source in summary.sources}


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
