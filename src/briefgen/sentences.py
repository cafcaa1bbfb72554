"""Split a source text into sentences with their character offsets, and weigh their words."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache


def _words(text: str) -> list[str]:
    return text.split()


__all__ = ["Sentence", "Vocabulary", "content_words", "split_sentences", "stem"]

_LINE = re.compile(r"[^\n]+")
_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]{2,40}\s[-–—]\s+(?=[A-Z])")
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# Function words carry no topic; a small list keeps the comparison language-light and predictable.
_STOP = frozenset(
    _words(
        "a about above after again against all also am an and any are as at be because been "
        "before being below between both but by can could did do does doing down during each "
        "either few for from further had has have having he her here hers herself him himself his "
        "how i if in into is it its itself just me more most my myself neither no nor not now of "
        "off on once only or other our ours ourselves out over own same she should so some such "
        "than that the their theirs them themselves then there these they this those through to "
        "too under until up very was we were what when where which while who whom why will with "
        "would you your yours yourself yourselves said says say told according mr ms mrs dr one "
        "two three four five six seven eight nine ten first second third new per cent may might "
        "must shall also however would much many still yet"
    )
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a source: its text, where it is, and whether it is a heading or a list line."""

    index: int
    start: int
    end: int
    text: str
    heading: bool  # a short line without final punctuation: a title, heading or byline

    @property
    def words(self) -> int:
        """Return how many words the sentence has."""
        return len(self.text.split())


@cache
def _segmenter() -> object:
    # pysbd is imported on first use only: loading a summary never needs it.
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(text: str) -> list[Sentence]:
    """Split a text into sentences: each line is a paragraph, split by pysbd's rules inside it.

    Offsets index ``text`` itself, so ``text[s.start:s.end] == s.text`` for every sentence.
    """
    segmenter = _segmenter()
    found: list[Sentence] = []
    for line in _LINE.finditer(text):
        body = line.group()
        lead = len(body) - len(body.lstrip())
        stripped = body.strip()
        if not stripped:
            continue
        offset = line.start() + lead
        content = stripped.removeprefix("- ").lstrip() if stripped.startswith("- ") else stripped
        offset += len(stripped) - len(content)
        dateline = _DATELINE.match(content)
        if dateline is not None:  # "KESTREL POINT - The treaty…": the place is no part of the sentence
            offset += dateline.end()
            content = content[dateline.end() :]
        heading = _is_heading(content)
        pieces = [(0, len(content))] if heading else _spans(segmenter, content)
        for start, end in pieces:
            chunk = content[start:end]
            left = len(chunk) - len(chunk.lstrip())
            chunk = chunk.strip()
            if not chunk:
                continue
            begin = offset + start + left
            found.append(Sentence(len(found), begin, begin + len(chunk), chunk, heading))
    return found


def _spans(segmenter: object, content: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for piece in segmenter.segment(content):  # type: ignore[attr-defined]
        start, end = int(piece.start), int(piece.end)
        if content[start:end].strip():
            spans.append((start, end))
    return spans or [(0, len(content))]


def _is_heading(line: str) -> bool:
    words = line.split()
    return len(words) <= 14 and not re.search(r"[.!?:;\"”’)]$", line)


# --- words -----------------------------------------------------------------------------------

_SUFFIXES: tuple[tuple[str, int], ...] = (("ations", 4), ("ation", 4), ("ings", 4), ("ing", 4))
_SUFFIXES += (("ies", 3), ("ied", 3), ("ed", 4), ("es", 3), ("s", 3), ("ly", 4))


@cache
def stem(word: str) -> str:
    """Return a crude stem: lower case, possessive and common English suffixes removed."""
    word = word.lower().replace("’", "'")
    word = word.removesuffix("'s").replace("'", "")
    for suffix, shortest in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest and not word.endswith("ss"):
            word = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                word += "y"
            break
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]  # "exchange" and "exchanged" meet at "exchang"
    return word


def content_words(text: str) -> list[str]:
    """Return the stems of a text's content words, in order (numbers kept as written)."""
    words: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        low = word.lower()
        if low in _STOP or (len(low) < 3 and not low.isdigit()):
            continue
        words.append(low.replace(",", "") if low[0].isdigit() else stem(word))  # "3,000" is "3000"
    return words


class Vocabulary:
    """Inverse document frequencies over a set of texts, so rare shared words count for more."""

    def __init__(self, documents: Iterable[Iterable[str]]) -> None:
        counts: Counter[str] = Counter()
        total = 0
        for doc in documents:
            counts.update(set(doc))
            total += 1
        self._total = max(total, 1)
        self._counts = counts

    def idf(self, word: str) -> float:
        """Return the word's weight: high when few texts use it."""
        return math.log((self._total + 1) / (self._counts.get(word, 0) + 0.5))

    def weight(self, words: Iterable[str]) -> float:
        """Return the summed weight of a set of words."""
        return sum(self.idf(w) for w in words)
