"""Review a source against a summary's claims: what it confirms, contradicts, quotes differently or adds.

Anchoring asks whether our quotes are still in a source; the review asks the opposite question,
what a new or changed source says about our claims. Each sentence of the source is paired with
the claims it is about (shared words, weighed by rarity, against the claim's own text and the
source sentences its evidence quotes), and the facts of both sides are compared:

- a quantity with its unit (a duration, a count, a sum), a date, a person named in a role, or the
  place of an event that differs is a **contradiction**; a name spelt differently ("Novak",
  "Nowak") is a contradiction marked as a spelling **variant**, not a second person;
- a quotation that another source gives in different words is **requoted**;
- a sentence about the claim that agrees on every fact it shares **confirms** the claim, with a
  ready `briefgen evidence add` command;
- a sentence on the agreement that no claim covers **adds** something, ranked by how much it says.

Everything is extractive and rule-based: no model, nothing fetched, the same text always gives
the same findings. Disagreements that the summary records under `disputes` are not reported again.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from briefgen.anchoring import Grade, anchor_quote
from briefgen.mentions import (
    Mentions,
    PersonMention,
    find_mentions,
    normal_qualifier,
    normal_role,
    quoted_regions,
    same_person,
    same_qualifier,
    speaker_of,
)
from briefgen.model import MAX_QUOTE_CHARS, Kind, Summary
from briefgen.sentences import Sentence, Vocabulary, content_words, split_sentences
from briefgen.writing import write_atomic

__all__ = [
    "Finding",
    "FindingKind",
    "Review",
    "find_disputes",
    "read_review",
    "review_source",
    "write_review",
]

#: A sentence is about a claim from this similarity on (weighted Dice of their words).
PAIR_THRESHOLD = 0.22
#: ... and confirms it from this one when it states one of the claim's facts (a number, a date, a
#: name) and gives none differently; from the second when it states none.
CONFIRM_THRESHOLD = 0.33
CONFIRM_WITHOUT_FACTS = 0.55
#: ... and shares this much with the claim's own words, not only with the sentences it cites.
OWN_THRESHOLD = 0.25
#: A sentence no claim reaches this similarity with is not covered by the summary.
COVER_THRESHOLD = 0.3
#: How alike two quotations must be to be one speech in other words (rapidfuzz, 0–100).
REQUOTE_THRESHOLD = 62.0
MAX_ADDS = 12

_QUOTE_CHARS = str.maketrans("‘’“”", "''\"\"")


class FindingKind(StrEnum):
    """What a source does to a claim."""

    CONFIRMS = "confirms"
    CONTRADICTS = "contradicts"
    REQUOTED = "requoted"
    ADDS = "adds"


@dataclass(frozen=True)
class Finding:
    """One thing the review found: a source passage set against a claim (or against nothing)."""

    kind: FindingKind
    source_id: str
    passage: str  # the reviewed source's words: a sentence, or the quotation
    start: int
    end: int
    claim_id: str | None = None
    claim_text: str = ""  # what the summary says: the claim's full form
    ours: str = ""  # our side of a difference: a value, a name, a quotation
    theirs: str = ""  # the source's side
    ours_passage: str = ""  # where our side is written: the claim, or a source it cites
    ours_source: str | None = None  # the source of ours_passage; None when it is the claim itself
    what: str = ""  # number, date, name, place, quotation
    variant: bool = False  # a spelling variant of one name, not a different person
    score: float = 0.0
    also_claims: tuple[str, ...] = ()

    def command(self, summary_path: str = "") -> str | None:
        """Return the command that adds this passage as evidence for the claim (confirms only)."""
        if self.kind is not FindingKind.CONFIRMS or self.claim_id is None:
            return None
        where = f" --summary {shlex.quote(summary_path)}" if summary_path else ""
        return f"briefgen evidence add {self.claim_id} {self.source_id} {shlex.quote(self.passage)}{where}"

    def to_dict(self, summary_path: str = "") -> dict[str, Any]:
        """Return the finding as JSON-ready data."""
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "claim": self.claim_id,
            "source": self.source_id,
            "passage": self.passage,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 3),
        }
        if self.kind in (FindingKind.CONTRADICTS, FindingKind.REQUOTED):
            data |= {
                "what": self.what,
                "ours": self.ours,
                "theirs": self.theirs,
                "ours_passage": self.ours_passage,
                "ours_source": self.ours_source,
                "variant": self.variant,
            }
        if self.claim_id is not None:
            data["claim_text"] = self.claim_text
        if self.also_claims:
            data["also_claims"] = list(self.also_claims)
        command = self.command(summary_path)
        if command:
            data["command"] = command
        return data


@dataclass
class Review:
    """The review of one source against one summary."""

    summary_id: str
    source_id: str
    sha256: str
    sentences: int
    findings: list[Finding] = field(default_factory=list)
    summary_path: str = ""
    seen: list[str] = field(default_factory=list)  # a short hash of each sentence reviewed

    def of_kind(self, kind: FindingKind) -> list[Finding]:
        """Return the findings of one kind, in the order found."""
        return [f for f in self.findings if f.kind is kind]

    @property
    def needs_analyst(self) -> bool:
        """Tell whether the source contradicts a claim or quotes a speaker differently."""
        return any(f.kind in (FindingKind.CONTRADICTS, FindingKind.REQUOTED) for f in self.findings)

    def counts(self) -> dict[str, int]:
        """Return how many findings of each kind there are."""
        return {kind.value: len(self.of_kind(kind)) for kind in FindingKind}

    def to_dict(self) -> dict[str, Any]:
        """Return the review as JSON-ready data."""
        return {
            "summary": self.summary_id,
            "source": self.source_id,
            "sha256": self.sha256,
            "sentences": self.sentences,
            "needs_analyst": self.needs_analyst,
            "counts": self.counts(),
            "findings": [f.to_dict(self.summary_path) for f in self.findings],
            "seen": self.seen,
        }

    def to_json(self) -> str:
        """Return the review as a JSON document."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def lines(self) -> list[str]:
        """Return the review as short lines for a terminal."""
        counts = self.counts()
        head = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        lines = [f"review of '{self.source_id}' against {self.summary_id}: {head}"]
        for f in self.findings:
            if f.kind is FindingKind.CONTRADICTS:
                label = "variant" if f.variant else f"contradicts ({f.what})"
                lines.append(f"  {label}: {f.claim_id or '-'}: ours {_q(f.ours)}, source {_q(f.theirs)}")
                lines.append(f"      source: {_q(_short(f.passage))}")
                lines.append(f"      ours:   {_q(_short(f.ours_passage))}")
            elif f.kind is FindingKind.REQUOTED:
                lines.append(f"  quoted differently: {f.claim_id or f.ours_source or '-'}")
                lines.append(f"      ours ({f.ours_source or 'claim'}): {_q(_short(f.ours))}")
                lines.append(f"      source:  {_q(_short(f.theirs))}")
        for f in self.of_kind(FindingKind.CONFIRMS):
            lines.append(f"  confirms: {f.claim_id}: {_q(_short(f.passage))}")
            lines.append(f"      {f.command(self.summary_path)}")
        for f in self.of_kind(FindingKind.ADDS):
            lines.append(f"  adds: {_q(_short(f.passage))}")
        return lines

    def to_markdown(self) -> str:
        """Return the review as a Markdown note for the analyst."""
        counts = self.counts()
        out = [
            f"# Review of source `{self.source_id}` against `{self.summary_id}`",
            "",
            f"{self.sentences} sentences read; "
            + ", ".join(f"{n} {kind}" for kind, n in counts.items())
            + (". **Needs an analyst.**" if self.needs_analyst else "."),
            "",
        ]
        contradictions = self.of_kind(FindingKind.CONTRADICTS)
        if contradictions:
            out += ["## Contradicts", "", "| claim | what | the summary | this source |", "|---|---|---|---|"]
            for f in contradictions:
                what = f"{f.what} (spelling variant)" if f.variant else f.what
                ours = f"{_cell(f.ours)}: {_cell(f.ours_passage)}" + (
                    f" ({f.ours_source})" if f.ours_source else ""
                )
                out.append(f"| `{f.claim_id}` | {what} | {ours} | {_cell(f.theirs)}: {_cell(f.passage)} |")
            out.append("")
        requoted = self.of_kind(FindingKind.REQUOTED)
        if requoted:
            out += ["## Quotes the same words differently", "", "| claim | elsewhere | this source |"]
            out.append("|---|---|---|")
            for f in requoted:
                where = f.ours_source or "the claim"
                out.append(f"| `{f.claim_id or '-'}` | {_cell(f.ours)} ({where}) | {_cell(f.theirs)} |")
            out.append("")
        confirms = self.of_kind(FindingKind.CONFIRMS)
        if confirms:
            out += ["## Confirms", ""]
            for f in confirms:
                out += [f"- `{f.claim_id}`: {_cell(f.passage)}", "", "  ```sh", f"  {f.command()}", "  ```"]
            out.append("")
        adds = self.of_kind(FindingKind.ADDS)
        if adds:
            out += ["## Adds (no claim covers these; most informative first)", ""]
            out += [f"{i}. {_cell(f.passage)}" for i, f in enumerate(adds, 1)]
            out.append("")
        if not self.findings:
            out += ["The source touches no claim and adds nothing on the agreement.", ""]
        return "\n".join(out)


def _q(text: str) -> str:
    return f"\u201c{text}\u201d"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " \u2026"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# --- the summary's side ----------------------------------------------------------------------


@dataclass
class _Claim:
    """A claim prepared for comparison: its words, its facts, and the source sentences it cites."""

    id: str
    text: str  # the full form, for reports
    own: str  # full, short and plain forms: what the papers say
    words: frozenset[str]
    mentions: Mentions
    evidence: list[tuple[str, str, frozenset[str], int, int]]  # (source, sentence, words, start, end)
    quotes_evidence: bool  # a fact or assessment: may take more evidence


@dataclass
class _Side:
    """A summary prepared once for reviewing any number of sources."""

    summary_id: str
    claims: list[_Claim]
    sentences: dict[str, list[Sentence]]  # existing sources, by id
    texts: Mapping[str, str]
    holders: dict[tuple[str, str], dict[str, list[str]]]  # (role, qualifier) → name → claim ids
    names: dict[str, list[str]]  # every name the claims use → claim ids
    roles: dict[str, set[str]]  # every name the claims give a title → those titles
    quotations: list[tuple[str, str | None, str, str]]  # (text, source or None, speaker, claim id)
    topic: frozenset[str]  # words of the subject, themes and claims: what "on the agreement" means


def _sentence_at(sentences: Sequence[Sentence], start: int, end: int) -> list[Sentence]:
    return [s for s in sentences if s.start < end and start < s.end]


def _prepare(summary: Summary, texts: Mapping[str, str], exclude: str | None = None) -> _Side:
    """Prepare a summary's claims, leaving out what source ``exclude`` says (it is under review)."""
    sentences = {sid: split_sentences(text) for sid, text in texts.items() if sid != exclude}
    claims: list[_Claim] = []
    for claim in summary.claims:
        own = " ".join(t for t in (claim.full, claim.short, claim.plain or "") if t)
        evidence: list[tuple[str, str, frozenset[str], int, int]] = []
        for ev in claim.evidence:
            if ev.source == exclude or ev.source not in sentences:
                continue
            anchor = anchor_quote(ev.quote, texts[ev.source])
            if anchor.grade is Grade.MISSING:
                continue
            for s in _sentence_at(sentences[ev.source], anchor.start, anchor.end):
                evidence.append((ev.source, s.text, frozenset(content_words(s.text)), s.start, s.end))
        claims.append(
            _Claim(
                claim.id,
                claim.full,
                own,
                frozenset(content_words(own)),
                find_mentions(" ".join(t for t in (claim.full, claim.short, claim.plain or "") if t)),
                evidence,
                claim.kind in (Kind.FACT, Kind.ASSESSMENT),
            )
        )
    signatories = [(sig.name, sig.role, sig.country) for sig in summary.subject.signatories]
    cited = {(ev.source, ev.quote): c.id for c in summary.claims for ev in c.evidence}
    topic_text = " ".join(
        [summary.subject.title, summary.subject.short_title, *summary.subject.parties]
        + [t.heading for t in summary.themes]
    )
    return _assemble(summary.id, claims, texts, sentences, exclude, signatories, cited, topic_text)


def _assemble(
    summary_id: str,
    claims: list[_Claim],
    texts: Mapping[str, str],
    sentences: dict[str, list[Sentence]],
    exclude: str | None,
    signatories: Sequence[tuple[str, str, str]],
    cited: Mapping[tuple[str, str], str],
    topic_text: str,
) -> _Side:
    """Index prepared claims: who holds which role, every quotation, the summary's vocabulary."""
    holders: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    names: dict[str, list[str]] = defaultdict(list)
    people: list[tuple[PersonMention, str]] = [(p, c.id) for c in claims for p in c.mentions.people]
    roles: dict[str, set[str]] = defaultdict(set)
    for person, claim_id in _resolve(people):
        names[person.name].append(claim_id)
        if person.role:
            roles[person.name].add(person.role)
        if person.role and person.qualifier:
            holders[(person.role, person.qualifier)][person.name].append(claim_id)
    for name, role, country in signatories:
        qualifier = normal_qualifier(country.split()[-1])
        holders[(normal_role(role), qualifier)].setdefault(name, [])
        names.setdefault(name, [])
        roles[name].add(normal_role(role))
    quotations: list[tuple[str, str | None, str, str]] = []
    for c in claims:
        for q in c.mentions.quotations:
            quotations.append((q.text, None, q.speaker, c.id))
    for sid, text in texts.items():
        if sid == exclude:
            continue
        for start, end in quoted_regions(text):
            quote = text[start:end]
            claim_id = next(
                (cid for (src, q), cid in cited.items() if src == sid and q in quote and len(q) > 20), ""
            )
            speaker = _speaker_before(sentences[sid], start)
            quotations.append((quote, sid, speaker, claim_id))
    topic = frozenset(content_words(topic_text)) | frozenset(w for c in claims for w in c.words)
    return _Side(summary_id, claims, sentences, texts, holders, names, roles, quotations, topic)


def compare_sources(texts: Mapping[str, str]) -> list[Finding]:
    """Set each source against every sentence of the others: the names, dates, figures and
    quotations they give differently. A finding's claim id is "<source>#<sentence index>"."""
    sentences = {sid: split_sentences(text) for sid, text in texts.items()}
    findings: list[Finding] = []
    for sid in texts:
        claims = []
        for other, others in sentences.items():
            if other == sid:
                continue
            for s in others:
                if s.heading:
                    continue
                words = frozenset(content_words(s.text))
                evidence = [(other, s.text, words, s.start, s.end)]
                claims.append(
                    _Claim(
                        f"{other}#{s.index}", s.text, s.text, words, find_mentions(s.text), evidence, False
                    )
                )
        rest = {k: v for k, v in sentences.items() if k != sid}
        side = _assemble("sources", claims, texts, rest, sid, [], {}, "")
        review = review_text(side, sid, texts[sid], conflict_score=SOURCES_CONFLICT_SCORE)
        findings += [f for f in review.findings if f.kind in (FindingKind.CONTRADICTS, FindingKind.REQUOTED)]
    return findings


def _speaker_before(sentences: Sequence[Sentence], at: int) -> str:
    """Return who speaks a quotation starting at ``at``: named in its sentence or just before."""
    index = next((i for i, s in enumerate(sentences) if s.start <= at < s.end + 2), None)
    if index is None:
        return ""
    for s in reversed(sentences[max(0, index - 2) : index + 1]):
        speaker = speaker_of(s.text)
        if speaker:
            return speaker
    return ""


def _resolve(people: Iterable[tuple[PersonMention, Any]]) -> list[tuple[PersonMention, Any]]:
    """Fill in a mention's role and qualifier from another mention of the same person in one text."""
    items = list(people)
    resolved: list[tuple[PersonMention, Any]] = []
    for person, tag in items:
        role, qualifier = person.role, person.qualifier
        for other, _ in items:
            if other is person or not same_person(person.name, other.name):
                continue
            if not role and other.role:
                role = other.role
            if not qualifier and other.qualifier and (other.role == role or not role):
                qualifier = other.qualifier
        name = person.name
        if len(name.split()) == 1:  # "Mr Novak": the full name, where the text gives it
            full = next(
                (o.name for o, _ in items if len(o.name.split()) > 1 and same_person(name, o.name) == "same"),
                None,
            )
            name = full or name
        resolved.append(
            (PersonMention(person.start, person.end, person.text, name, role, qualifier, person.context), tag)
        )
    return resolved


# --- comparing -------------------------------------------------------------------------------


def _dice(vocab: Vocabulary, a: frozenset[str], b: frozenset[str]) -> float:
    # The cosine of the weighted word sets (Ochiai): a sentence that states one of a long claim's
    # facts is not diluted by the claim's other words as much as with Dice.
    shared = vocab.weight(a & b)
    total = (vocab.weight(a) * vocab.weight(b)) ** 0.5
    return shared / total if total else 0.0


_KIND_GROUPS = {
    "frequency": "frequency",
    "deadline": "deadline",
    "offset": "offset",
    "threshold": "threshold",
}
#: How strongly a source's number or date must be tied to a claim's to contradict it: the weight of
#: the words around both values that they share, plus half the weight of the words the sentence
#: shares with the claim. Measured on the seeds, with the summaries' disputes removed.
CONFLICT_SCORE = 6.0
#: Between two sources every sentence of the other is a "claim", so far more pairs are scored: a
#: number or date must be tied far more closely. On the eight seeds the disagreements scored 22
#: to 31 and the false pairs 8 to 15.
SOURCES_CONFLICT_SCORE = 18.0
#: Two numbers of one kind (two ceilings, two terms) are more likely the same quantity.
KIND_BONUS = 3.0
#: Two values further apart than this factor are taken for two quantities (a 45 million contract
#: is not a 1.4 billion investment) unless the words around them match closely.
MAGNITUDE = 3.0


def _kind_group(kind: str) -> str:
    return _KIND_GROUPS.get(kind, "measure")


def _same_value(a: float, b: float) -> bool:
    return abs(a - b) <= 0.015 * max(abs(a), abs(b), 1e-9)


def _overlap(vocab: Vocabulary, s_words: frozenset[str], claim: _Claim) -> float:
    best = vocab.weight(s_words & claim.words)
    for _, _, ev_words, _, _ in claim.evidence:
        best = max(best, vocab.weight(s_words & ev_words))
    return best


def _conflicts(
    side: _Side, vocab: Vocabulary, s: Sentence, s_words: frozenset[str], m: Mentions, threshold: float
) -> list[tuple[float, _Claim, str, str, str]]:
    """Return (score, claim, what, ours, theirs) for each number or date of a sentence that differs."""
    found: list[tuple[float, _Claim, str, str, str]] = []
    for q in m.quantities:
        # A value some claim states is not news, whichever claim it belongs to.
        if any(
            k.unit == q.unit and _same_value(k.value, q.value)
            for c in side.claims
            for k in c.mentions.quantities
        ):
            continue
        best: tuple[float, _Claim | None, str] = (0.0, None, "")
        for claim in side.claims:
            mine = [
                c
                for c in claim.mentions.quantities
                if c.unit == q.unit and _kind_group(c.kind) == _kind_group(q.kind)
            ]
            if not mine:
                continue
            # The sentence states one of this claim's values: its other numbers are about other things.
            if any(
                o.unit == c.unit and _same_value(c.value, o.value)
                for c in claim.mentions.quantities
                for o in m.quantities
            ):
                continue
            overlap = _overlap(vocab, s_words, claim)
            for c in mine:
                local = vocab.weight(c.context & q.context) + vocab.weight(q.near & c.context)
                ratio = max(c.value, q.value) / max(min(c.value, q.value), 1e-9)
                if ratio > MAGNITUDE and (local < CONFLICT_SCORE or not q.near & c.near):
                    continue  # another order of magnitude: another quantity, unless the words tie them
                score = local + 0.5 * overlap
                if c.kind == q.kind and q.kind != "amount":
                    score += KIND_BONUS  # both a ceiling ("up to", "no more than"), both a term ("for")
                if score > best[0]:
                    best = (score, claim, c.text)
        if best[1] is not None and best[0] >= threshold:
            found.append((best[0], best[1], "number", best[2], q.text))
    for d in m.dates:
        if any(c.covers(d) for claim in side.claims for c in claim.mentions.dates):
            continue
        best_d: tuple[float, _Claim | None, str] = (0.0, None, "")
        for claim in side.claims:
            if any(c.covers(o) for c in claim.mentions.dates for o in m.dates):
                continue
            overlap = _overlap(vocab, s_words, claim)
            for cd in claim.mentions.dates:
                if not cd.differs(d):
                    continue
                year_only = cd.month is None or d.month is None
                score = (
                    vocab.weight(cd.context & d.context) + vocab.weight(d.near & cd.context) + 0.5 * overlap
                )
                score -= 4.0 if year_only else 0.0
                if score > best_d[0]:
                    best_d = (score, claim, cd.text)
        if best_d[1] is not None and best_d[0] >= threshold:
            found.append((best_d[0], best_d[1], "date", best_d[2], d.text))
    return found


def review_text(
    side: _Side,
    source_id: str,
    text: str,
    *,
    previous: Iterable[str] = (),
    summary_path: str = "",
    conflict_score: float = CONFLICT_SCORE,
) -> Review:
    """Review one source's text against a prepared summary.

    ``previous`` holds the hashes (`sentence_hash`) of the sentences of the version reviewed last:
    those are not offered again as additions.
    """
    sentences = split_sentences(text)
    seen = set(previous)
    mentions = [find_mentions(s.text) for s in sentences]
    words = [frozenset(content_words(s.text)) for s in sentences]
    vocab = Vocabulary([c.words for c in side.claims] + list(words))
    review = Review(
        side.summary_id,
        source_id,
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
        len(sentences),
        summary_path=summary_path,
    )
    claims = side.claims
    # Pair each sentence with the claims it shares a word with; score with the claim's own words
    # and with each sentence its evidence cites.
    index: dict[str, set[int]] = defaultdict(set)
    for ci, claim in enumerate(claims):
        for w in claim.words:
            index[w].add(ci)
        for _, _, ev_words, _, _ in claim.evidence:
            for w in ev_words:
                index[w].add(ci)
    pairs: dict[int, list[tuple[float, int]]] = {}
    own_sims: dict[tuple[int, int], float] = {}
    for si, s_words in enumerate(words):
        if sentences[si].heading:
            pairs[si] = []
            continue
        near: set[int] = set()
        for w in s_words:
            if vocab.idf(w) > 0.7:
                near |= index.get(w, set())
        scored = []
        for ci in near:
            claim = claims[ci]
            own = _dice(vocab, s_words, claim.words)
            sim = own
            for _, _, ev_words, _, _ in claim.evidence:
                sim = max(sim, _dice(vocab, s_words, ev_words))
            if sim >= PAIR_THRESHOLD:
                scored.append((sim, ci))
                own_sims[(si, ci)] = own
        scored.sort(reverse=True)
        pairs[si] = scored
    involved: set[int] = set()
    findings: list[Finding] = []
    findings += _people_findings(side, source_id, sentences, mentions, words, vocab, involved)
    conflicted: set[tuple[int, int]] = set()
    claim_index = {c.id: ci for ci, c in enumerate(claims)}
    for si, s in enumerate(sentences):
        if s.heading:
            continue
        for score, claim, what, ours, theirs in _conflicts(
            side, vocab, s, words[si], mentions[si], conflict_score
        ):
            findings.append(_conflict(source_id, s, claim, what, ours, theirs, score))
            conflicted.add((si, claim_index[claim.id]))
            involved.add(si)
        for sim, ci in pairs[si]:
            claim = claims[ci]
            for place in mentions[si].places:
                for theirs_place in claim.mentions.places:
                    if (
                        theirs_place.verb == place.verb
                        and theirs_place.place != place.place
                        and theirs_place.place not in s.text
                        and place.place not in claim.own
                        and sim >= 0.3
                    ):
                        findings.append(
                            _conflict(source_id, s, claim, "place", theirs_place.place, place.place, sim)
                        )
                        conflicted.add((si, ci))
                        involved.add(si)
    findings = _dedupe(findings)
    findings += _requotes(side, source_id, text, sentences, involved)
    findings += _confirms(side, source_id, sentences, mentions, pairs, own_sims, conflicted, involved)
    findings += _adds(side, source_id, sentences, mentions, words, pairs, vocab, involved, seen)
    review.findings = findings
    review.seen = sorted({sentence_hash(s.text) for s in sentences})
    return review


def sentence_hash(text: str) -> str:
    """Return a short, stable hash of a sentence's words, to know it again in a later version."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


def _conflict(
    source_id: str, s: Sentence, claim: _Claim, what: str, ours: str, theirs: str, sim: float
) -> Finding:
    ours_passage = _holding(claim, ours)
    return Finding(
        FindingKind.CONTRADICTS,
        source_id,
        s.text,
        s.start,
        s.end,
        claim_id=claim.id,
        claim_text=claim.text,
        ours=ours,
        theirs=theirs,
        ours_passage=ours_passage[0],
        ours_source=ours_passage[1],
        what=what,
        score=sim,
    )


def _holding(claim: _Claim, value: str) -> tuple[str, str | None]:
    """Return the passage on our side that states ``value``: a cited sentence, else the claim."""
    for source, text, _, _, _ in claim.evidence:
        if value in text:
            return text, source
    return claim.text, None


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, int, str, str]] = set()
    kept: list[Finding] = []
    # The closest claim first: a value that contradicts several claims is reported once.
    for f in sorted(findings, key=lambda f: -f.score):
        key = (f.what, f.start, f.theirs, "")
        if key in seen:
            continue
        seen.add(key)
        kept.append(f)
    kept.sort(key=lambda f: (f.start, f.claim_id or ""))
    return kept


def _people_findings(
    side: _Side,
    source_id: str,
    sentences: list[Sentence],
    mentions: list[Mentions],
    words: list[frozenset[str]],
    vocab: Vocabulary,
    involved: set[int],
) -> list[Finding]:
    """Names: a spelling variant of a name the claims use, or another person in a role they fill."""
    people = _resolve((p, si) for si, m in enumerate(mentions) for p in m.people)
    findings: list[Finding] = []
    done: set[str] = set()
    for person, si in people:
        s = sentences[si]
        if person.name in done:
            continue
        if person.name in side.names:
            # The same person with another title: "Foreign Minister X" where the claims have
            # "Defence Minister X". Only titles both sides give, for the person the claims name.
            ours = side.roles.get(person.name, set())
            if person.role and ours and person.role not in ours and side.names[person.name]:
                claim = _best_claim(side, side.names[person.name], words[si], vocab)
                finding = _name_finding(source_id, s, claim, person.name, person.name, False, side)
                title = ", ".join(sorted(ours))
                findings.append(
                    Finding(**{**finding.__dict__, "what": "title", "ours": title, "theirs": person.role})
                )
                done.add(person.name)
                involved.add(si)
            continue
        variant = next((n for n in side.names if same_person(person.name, n) == "variant"), None)
        if variant is not None and side.names[variant]:
            claim = _best_claim(side, side.names[variant], words[si], vocab)
            findings.append(_name_finding(source_id, s, claim, variant, person.name, True, side))
            done.add(person.name)
            involved.add(si)
            continue
        if not (person.role and person.qualifier):
            continue
        if any(same_person(person.name, n) for n in side.names):
            continue
        for (role, qualifier), holders in side.holders.items():
            if role != person.role or not same_qualifier(qualifier, person.qualifier):
                continue
            # Another person in the role the claims give to someone named: two people, one office.
            claim_ids = [cid for ids in holders.values() for cid in ids]
            if not claim_ids:
                continue
            holder = max(holders, key=lambda n: len(holders[n]))
            claim = _best_claim(side, claim_ids, words[si], vocab)
            finding = _name_finding(source_id, s, claim, holder, person.name, False, side)
            others = tuple(sorted(set(claim_ids) - {claim.id}))
            findings.append(_with_also(finding, others))
            done.add(person.name)
            involved.add(si)
            break
    # Variants inside the source itself ("Novak", later "Nowak") belong to one finding.
    return _merge_spellings(findings, people)


def _with_also(f: Finding, others: tuple[str, ...]) -> Finding:
    return Finding(**{**f.__dict__, "also_claims": others})


def _merge_spellings(findings: list[Finding], people: list[tuple[PersonMention, int]]) -> list[Finding]:
    merged: list[Finding] = []
    by_person: dict[str, Finding] = {}
    for f in findings:
        key = next((k for k in by_person if same_person(k, f.theirs)), None)
        if key is None:
            spellings = sorted(
                {p.name.split()[-1] for p, _ in people if same_person(p.name, f.theirs) == "variant"}
                - {f.theirs.split()[-1]}
            )
            if spellings and not f.variant:
                f = Finding(**{**f.__dict__, "theirs": f"{f.theirs} (also spelt {', '.join(spellings)})"})
            by_person[f.theirs.split(" (")[0]] = f
            merged.append(f)
    return merged


def _best_claim(side: _Side, claim_ids: Sequence[str], s_words: frozenset[str], vocab: Vocabulary) -> _Claim:
    pool = [c for c in side.claims if c.id in set(claim_ids)] or side.claims
    return max(pool, key=lambda c: (_dice(vocab, s_words, c.words), -pool.index(c)))


def _name_finding(
    source_id: str, s: Sentence, claim: _Claim, ours: str, theirs: str, variant: bool, side: _Side
) -> Finding:
    passage = next((text for _, text, _, _, _ in claim.evidence if ours in text), None)
    source = next((src for src, text, _, _, _ in claim.evidence if ours in text), None)
    return Finding(
        FindingKind.CONTRADICTS,
        source_id,
        s.text,
        s.start,
        s.end,
        claim_id=claim.id,
        claim_text=claim.text,
        ours=ours,
        theirs=theirs,
        ours_passage=passage or claim.text,
        ours_source=source,
        what="name",
        variant=variant,
        score=1.0,
    )


def _norm_words(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.translate(_QUOTE_CHARS).lower()))


def _requotes(
    side: _Side, source_id: str, text: str, sentences: list[Sentence], involved: set[int]
) -> list[Finding]:
    """A quotation the summary's sources or claims give in other words."""
    from rapidfuzz import fuzz

    findings: list[Finding] = []
    reported: set[str] = set()
    for start, end in quoted_regions(text):
        theirs = text[start:end]
        mine = _norm_words(theirs)
        if len(mine.split()) < 5:
            continue
        speaker = _speaker_before(sentences, start)
        best: tuple[float, str, str | None, str] | None = None
        for quote, source, their_speaker, claim_id in side.quotations:
            other = _norm_words(quote)
            if len(other.split()) < 5 or other in mine or mine in other:
                continue  # the same words (or a part of them): not a different wording
            if speaker and their_speaker and not same_person(speaker, their_speaker):
                continue
            shared = set(content_words(mine)) & set(content_words(other))
            if len(shared) < 4:
                continue
            score = float(fuzz.partial_ratio(mine, other))
            if score >= REQUOTE_THRESHOLD and (best is None or score > best[0]):
                best = (score, quote, source, claim_id)
        if best is None or theirs in reported:
            continue
        score, quote, source, claim_id = best
        reported.add(theirs)
        claim = next((c for c in side.claims if c.id == claim_id), None)
        for s in _sentence_at(sentences, start, end):
            involved.add(s.index)
        findings.append(
            Finding(
                FindingKind.REQUOTED,
                source_id,
                theirs,
                start,
                end,
                claim_id=claim_id or None,
                claim_text=claim.text if claim else "",
                ours=quote,
                theirs=theirs,
                ours_passage=quote,
                ours_source=source,
                what="quotation",
                score=score / 100,
            )
        )
    return findings


def _confirms(
    side: _Side,
    source_id: str,
    sentences: list[Sentence],
    mentions: list[Mentions],
    pairs: dict[int, list[tuple[float, int]]],
    own_sims: dict[tuple[int, int], float],
    conflicted: set[tuple[int, int]],
    involved: set[int],
) -> list[Finding]:
    best: dict[int, tuple[float, int]] = {}
    for si, scored in pairs.items():
        for sim, ci in scored:
            claim = side.claims[ci]
            if sim < CONFIRM_THRESHOLD or (si, ci) in conflicted or not claim.quotes_evidence:
                continue
            if own_sims.get((si, ci), 0.0) < OWN_THRESHOLD:
                continue  # like the claim's evidence, but not about what the claim itself says
            s = sentences[si]
            if len(s.text) > MAX_QUOTE_CHARS or len(s.text) < 20:
                continue
            if any(src == source_id and a < s.end and s.start < b for src, _, _, a, b in claim.evidence):
                continue
            agree = _agreements(mentions[si], claim)
            if agree == 0 and sim < CONFIRM_WITHOUT_FACTS:
                continue
            if ci not in best or sim > best[ci][0]:
                best[ci] = (sim, si)
    # One claim per sentence, the closest; the others it also supports are named with it.
    by_sentence: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for ci, (sim, si) in best.items():
        by_sentence[si].append((sim, ci))
    found = []
    for si, scored in by_sentence.items():
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        sim, ci = scored[0]
        s = sentences[si]
        claim = side.claims[ci]
        involved.add(si)
        also = tuple(side.claims[other].id for _, other in scored[1:])
        found.append(
            Finding(
                FindingKind.CONFIRMS,
                source_id,
                s.text,
                s.start,
                s.end,
                claim.id,
                claim.text,
                score=sim,
                also_claims=also,
            )
        )
    found.sort(key=lambda f: (-f.score, f.start))
    return found


def _agreements(m: Mentions, claim: _Claim) -> int:
    n = 0
    for q in m.quantities:
        n += any(c.unit == q.unit and _same_value(c.value, q.value) for c in claim.mentions.quantities)
    for d in m.dates:
        n += any(c.overlaps(d) and not c.differs(d) for c in claim.mentions.dates)
    for p in m.people:
        n += any(same_person(p.name, c.name) == "same" for c in claim.mentions.people)
    return n


def _adds(
    side: _Side,
    source_id: str,
    sentences: list[Sentence],
    mentions: list[Mentions],
    words: list[frozenset[str]],
    pairs: dict[int, list[tuple[float, int]]],
    vocab: Vocabulary,
    involved: set[int],
    seen: set[str],
) -> list[Finding]:
    ranked: list[tuple[float, int]] = []
    for si, s in enumerate(sentences):
        if s.heading or si in involved or s.words < 8 or len(s.text) > MAX_QUOTE_CHARS:
            continue
        if sentence_hash(s.text) in seen:
            continue
        top = pairs[si][0][0] if pairs[si] else 0.0
        if top >= COVER_THRESHOLD:
            continue
        on_topic = vocab.weight(words[si] & side.topic) / max(vocab.weight(words[si]), 1e-9)
        if on_topic < 0.35:
            continue
        facts = mentions[si].count
        ranked.append((facts * 0.5 + on_topic + min(s.words, 40) / 80, si))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return [
        Finding(
            FindingKind.ADDS,
            source_id,
            sentences[si].text,
            sentences[si].start,
            sentences[si].end,
            score=score,
        )
        for score, si in ranked[:MAX_ADDS]
    ]


# --- entry points ------------------------------------------------------------------------------


def review_source(
    summary: Summary,
    texts: Mapping[str, str],
    source_id: str,
    *,
    previous: Iterable[str] = (),
    summary_path: str = "",
) -> Review:
    """Review source ``source_id`` (its text in ``texts``) against the summary's claims.

    The summary's own evidence from that source is left out of the comparison, so that a changed
    source is judged on what it now says. ``previous`` lists sentences of the source's last
    reviewed version: they are not offered again as additions.
    """
    side = _prepare(summary, texts, exclude=source_id)
    review = review_text(side, source_id, texts[source_id], previous=previous, summary_path=summary_path)
    review.findings = [f for f in review.findings if not _recorded(summary, texts, f)]
    return review


def _recorded(summary: Summary, texts: Mapping[str, str], finding: Finding) -> bool:
    """Tell whether the summary already records this disagreement under `disputes`."""
    if finding.kind not in (FindingKind.CONTRADICTS, FindingKind.REQUOTED):
        return False
    text = texts[finding.source_id]
    for dispute in summary.disputes:
        sides = {position.source for position in dispute.positions}
        if finding.kind is FindingKind.REQUOTED and {finding.source_id, finding.ours_source} <= sides:
            return True  # the dispute is about this speech as these two sources give it
        for position in dispute.positions:
            if position.source != finding.source_id:
                continue
            anchor = anchor_quote(position.quote, text)
            if (
                anchor.grade in (Grade.EXACT, Grade.NORMALISED)
                and anchor.start < finding.end
                and (finding.start < anchor.end)
            ):
                return True
            named = finding.theirs and finding.theirs.split(" (")[0] in position.quote
            if named and (finding.claim_id in dispute.claims or finding.what == "name"):
                return True
    return False


def find_disputes(summary: Summary, texts: Mapping[str, str], *, summary_path: str = "") -> list[Review]:
    """Review every source of a summary against the claims; keep the disagreements not recorded."""
    reviews = []
    pairs: set[tuple[str, str]] = set()  # a quotation pair found from either side is listed once
    for source in summary.sources:
        review = review_source(summary, texts, source.id, summary_path=summary_path)
        kept = []
        for f in review.findings:
            if f.kind is FindingKind.REQUOTED:
                if (f.ours, f.theirs) in pairs:
                    continue
                pairs.add((f.theirs, f.ours))
            if f.kind in (FindingKind.CONTRADICTS, FindingKind.REQUOTED):
                kept.append(f)
        review.findings = kept
        reviews.append(review)
    return reviews


def write_review(review: Review, out: Path) -> list[Path]:
    """Write a review beside the papers, as OUT/<summary id>/review-<source id>.md and .json."""
    folder = out / review.summary_id
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, body in ((".md", review.to_markdown()), (".json", review.to_json())):
        path = folder / f"review-{review.source_id}{suffix}"
        write_atomic(path, body.encode("utf-8"))
        written.append(path)
    return written


def read_review(out: Path, summary_id: str, source_id: str) -> dict[str, Any] | None:
    """Return the last review written for a source, or None."""
    path = out / summary_id / f"review-{source_id}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
