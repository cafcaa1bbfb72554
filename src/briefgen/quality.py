"""Measure a paper's prose: Flesch–Kincaid grade, longest sentence, banned words, key points."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefgen.brief import Brief, block_items
from briefgen.model import Audience, Length, Summary

# Per audience: (Flesch–Kincaid grade, longest sentence in words); PRODUCTS.md, "Readability".
# The public limit is GOV.UK's for accessible documents: sentences of 25 words or fewer.
LIMITS: dict[str, tuple[float, int]] = {
    "minister": (11.0, 30),
    "officials": (13.0, 40),
    "parliament": (12.0, 40),
    "public": (9.0, 25),
    "industry": (12.0, 40),
}
# Sections that are lists of references, not prose: not scored.
UNSCORED = ("annex", "references", "reading", "sources", "glossary", "timeline", "formats", "no-contract")
KEY_POINT_SECTIONS = ("key-points", "key-facts")
# The full paper for the public must read at age 12 (grade 7) or younger.
PUBLIC_FULL_GRADE = 9.0

_QUOTED = re.compile(r"[\u201c\"][^\u201d\"]*[\u201d\"]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\u2018\u201c(])")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-+]*")
_NAME = re.compile(r"(?<=[a-z,;:] )(?:[A-Z][\w’'\-]*(?: (?:of|and|the|for) )?)+(?:[A-Z][\w’'\-]*)?")


@dataclass
class Quality:
    """Quality figures for a paper, with the hard failures and the softer warnings."""

    grade: float
    words: int
    sentences: int
    longest: int
    longest_sentence: str
    should: int
    key_points: int | None
    key_point_max_words: int | None
    limit_grade: float
    limit_sentence: int
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Return the figures as JSON-ready data."""
        return {
            "flesch_kincaid_grade": round(self.grade, 1),
            "grade_limit": self.limit_grade,
            "words_scored": self.words,
            "sentences": self.sentences,
            "longest_sentence_words": self.longest,
            "longest_sentence_limit": self.limit_sentence,
            "longest_sentence": self.longest_sentence,
            "should_outside_quotes": self.should,
            "key_points": self.key_points,
            "key_point_max_words": self.key_point_max_words,
            "failures": self.failures,
            "warnings": self.warnings,
        }


def syllables(word: str) -> int:
    """Estimate the syllables in an English word."""
    word = word.lower().strip("'’-")
    if len(word) <= 3:
        return 1
    word = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", word)))


def _simplify(text: str, terms: list[str]) -> str:
    """Replace names and glossary terms by one short word, so proper names don't count as hard words."""
    text = _QUOTED.sub("quote", text)
    for term in terms:
        text = text.replace(term, "Name")
    return _NAME.sub("Name", text)


def sentences_of(text: str) -> list[str]:
    """Split prose into sentences."""
    return [s for s in _SENTENCE_END.split(text.strip()) if _WORD.search(s)]


def count_words(sentence: str) -> int:
    """Count a sentence's words as the length limit does: a quotation counts as one word."""
    return len(_WORD.findall(_QUOTED.sub("quote", sentence)))


def has_should(text: str) -> bool:
    """Tell whether a text says 'should' outside quotation marks."""
    return bool(re.search(r"\bshould\b", _QUOTED.sub("", text), re.I))


def _terms(summary: Summary) -> list[str]:
    return sorted(
        {t for g in summary.glossary for t in (g.term, g.expansion)} | set(summary.subject.parties),
        key=len,
        reverse=True,
    )


def grade_of(sentences: list[str], summary: Summary) -> float:
    """Return the Flesch–Kincaid grade of some sentences, names and glossary terms as short words."""
    terms = _terms(summary)
    word_count = syllable_count = 0
    for sentence in sentences:
        tokens = _WORD.findall(_simplify(sentence, terms))
        word_count += len(tokens)
        syllable_count += sum(syllables(t) for t in tokens)
    if not (word_count and sentences):
        return 0.0
    return 0.39 * word_count / len(sentences) + 11.8 * syllable_count / word_count - 15.59


def prose_of(brief: Brief) -> list[str]:
    """Return the paper's scored prose: each item's label and text, outside reference sections."""
    out: list[str] = []
    for section in brief.sections:
        if section.key.startswith(UNSCORED) or section.key.startswith("dispute-"):
            continue
        for block in section.blocks:
            for item in block_items(block):
                for piece in (item.label, item.text):
                    if piece:
                        out.append(piece if piece.rstrip().endswith((".", "?", "!", ":")) else piece + ".")
    return out


def assess_quality(brief: Brief, summary: Summary, *, body_words: int | None = None) -> Quality:
    """Score a paper against its audience's limits; hard limits go to `failures`."""
    sentences: list[str] = []
    for piece in prose_of(brief):
        sentences.extend(sentences_of(piece))
    terms = _terms(summary)
    word_count = sum(len(_WORD.findall(_simplify(s, terms))) for s in sentences)
    longest, longest_text = 0, ""
    for sentence in sentences:
        original = count_words(sentence)
        if original > longest:
            longest, longest_text = original, sentence
    grade = grade_of(sentences, summary)
    should = sum(len(re.findall(r"\bshould\b", _QUOTED.sub("", p), re.I)) for p in prose_of(brief))
    limit_grade, limit_sentence = LIMITS[brief.audience]
    if brief.audience is Audience.PUBLIC and brief.length is Length.FULL:
        limit_grade = min(limit_grade, PUBLIC_FULL_GRADE)

    key_items = [
        i
        for s in brief.sections
        if s.key in KEY_POINT_SECTIONS
        for b in s.blocks
        for i in b.items
        if i.claim_id
    ]
    quality = Quality(
        grade=grade,
        words=word_count,
        sentences=len(sentences),
        longest=longest,
        longest_sentence=longest_text,
        should=should,
        key_points=len(key_items) if key_items else None,
        key_point_max_words=max((len(i.text.split()) for i in key_items), default=None),
        limit_grade=limit_grade,
        limit_sentence=limit_sentence,
    )
    if grade > limit_grade:
        quality.failures.append(
            f"Flesch–Kincaid grade {grade:.1f} is over the {brief.audience} limit of {limit_grade:g}"
        )
    if longest > limit_sentence:
        quality.failures.append(
            f"a sentence of {longest} words is over the {brief.audience} limit of {limit_sentence}: "
            f"\u201c{longest_text}\u201d"
        )
    if should and brief.audience in ("parliament", "public"):
        quality.failures.append(
            f"'should' appears {should} times outside quotations in a {brief.audience} paper"
        )
    if brief.length is Length.ONE_PAGE and key_items:
        if not 3 <= len(key_items) <= 5:
            quality.failures.append(f"{len(key_items)} key points; a one-page paper has 3 to 5")
        if quality.key_point_max_words and quality.key_point_max_words > 30:
            quality.failures.append(f"a key point has {quality.key_point_max_words} words; the limit is 30")
    if body_words is not None and brief.length is Length.ONE_PAGE and body_words > 400:
        quality.warnings.append(f"{body_words} body words; a one-page paper has at most 400")
    return quality
