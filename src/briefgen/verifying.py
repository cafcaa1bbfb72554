"""Judge what anchoring found: a quote its source does not hold word for word is an error at its line."""

from __future__ import annotations

import re

from briefgen.anchoring import Anchor, Grade, QuoteCheck
from briefgen.errors import Problem
from briefgen.loading import Locations

_STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def parse_where(where: str) -> tuple[str | int, ...]:
    """Turn 'claims[3].evidence[0]' into ('claims', 3, 'evidence', 0)."""
    path: list[str | int] = []
    for part in where.split("."):
        match = _STEP.fullmatch(part)
        if match is None:
            path.append(part)
            continue
        path.append(match.group(1))
        if match.group(2) is not None:
            path.append(int(match.group(2)))
    return tuple(path)


def whole_words(anchor: Anchor) -> str:
    """Return an anchor's passage widened to whole words, white space collapsed, long ones elided.

    A fuzzy window can start or end inside a word ("ntroduction On 31 January"): the words it
    cuts are completed from the anchor's context.
    """
    before = re.search(r"\S*\Z", anchor.prefix)  # \Z: `$` would also match before a final newline
    after = re.search(r"^\S*", anchor.suffix)
    text = (before.group() if before else "") + anchor.exact + (after.group() if after else "")
    words = text.split()
    if len(" ".join(words)) <= 200:
        return " ".join(words)
    # Keep both ends, where a quote and its passage differ most, cut between words.
    head: list[str] = []
    while words and len(" ".join([*head, words[0]])) <= 120:
        head.append(words.pop(0))
    tail: list[str] = []
    while words and len(" ".join([words[-1], *tail])) <= 70:
        tail.insert(0, words.pop())
    return " ".join(head) + " \u2026 " + " ".join(tail)


def quote_problems(checks: list[QuoteCheck], locations: Locations, name: str) -> list[Problem]:
    """Return an error for every quote its source does not hold word for word.

    A quote must be found exactly, after the documented normalisation (white space, typographic
    quotes and dashes, case): papers print quotes as verbatim, so "nearly" is wrong.
    """
    problems: list[Problem] = []
    for check in checks:
        anchor = check.anchor
        if anchor.grade in (Grade.EXACT, Grade.NORMALISED):
            continue
        line, col = locations.of((*parse_where(check.where), "quote"))
        closest = whole_words(anchor)
        if anchor.grade is Grade.MISSING and not anchor.exact.strip():
            # A long source is searched only where pieces of the quote occur (anchoring._regions).
            message = f"quote not found in source '{check.source_id}'; no passage comes close"
        elif anchor.grade is Grade.MISSING:
            message = (
                f"quote not found in source '{check.source_id}'; "
                f"closest passage (score {anchor.score:.0f}): \u201c{closest}\u201d"
            )
        else:
            message = (
                f"quote differs from source '{check.source_id}' (score {anchor.score:.0f}); "
                f"the source reads: \u201c{closest}\u201d (`briefgen quotes update` copies it)"
            )
        problems.append(Problem(name, line, col, f"{check.where}.quote", message))
    return problems
