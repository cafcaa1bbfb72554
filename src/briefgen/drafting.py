"""Write a first, extractive draft of a summary from its sources: `briefgen draft`.

Every claim is a sentence copied from a source, with that sentence as its verbatim evidence, so
the draft checks clean from its first run; claims are grouped under the sources' own headings as
candidate themes; sentences of other sources that support a claim become more evidence, and
names, dates and figures the sources give differently become candidate disputes (the review's
comparison, run between the sources). The tool writes no sentence of its own into a claim. The
summary is marked `draft: true` with a DRAFT notice: `build` refuses it until an analyst has
edited it and removed the flag.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from briefgen.errors import BriefgenError, SourceError, SummaryError
from briefgen.intake import read_location, slug
from briefgen.mentions import find_mentions
from briefgen.metadata import parse_printed_date, read_metadata
from briefgen.model import MAX_QUOTE_CHARS, MAX_SHORT_WORDS, SCHEMA_VERSION, SourceKind
from briefgen.sentences import Sentence, Vocabulary, content_words, split_sentences

__all__ = ["DraftResult", "write_draft"]

MAX_CLAIMS_PER_SOURCE = 8
MAX_CLAIMS = 40
_ROUNDS = 4  # at most this many passes dropping the claims `check` objects to

_ROLE_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("reaction", re.compile(r"[\"“]|\b(?:said|says|condemned|welcomed|criticised|criticized|told)\b")),
    (
        "risks",
        re.compile(r"\b(?:risk|risks|challenge|challenges|concern|concerns|threat|threats|uncertain)", re.I),
    ),
    (
        "next-steps",
        re.compile(r"\b(?:will (?:hold|meet|be held|take place)|next|planned|expected|due to|scheduled)\b"),
    ),
    ("legal", re.compile(r"\b(?:ratif\w*|legally|binding|in force|treaty|memorandum|signed)\b", re.I)),
    (
        "agreed",
        re.compile(
            r"\b(?:agreed|agree|commit\w*|shall|will|decided|announced|declaration|statement)\b", re.I
        ),
    ),
]


@dataclass
class DraftResult:
    """What `draft` wrote, and lines for the terminal."""

    path: Path
    lines: list[str] = field(default_factory=list)


@dataclass
class _Source:
    id: str
    file: str
    text: str
    entry: dict[str, Any]
    sentences: list[Sentence]


def write_draft(
    locations: list[str],
    *,
    draft_id: str,
    briefs: Path,
    force: bool = False,
    today: dt.date | None = None,
    opener: Any = None,
) -> DraftResult:
    """Draft `briefs/<id>.yaml` from sources (files or URLs); return what was written."""
    from briefgen.check import check_summary

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", draft_id):
        raise SourceError(f"--id {draft_id!r} is not an id of lower-case letters, digits and hyphens")
    if not locations:
        raise SourceError("name at least one source")
    day = today or dt.date.today()
    path = briefs / f"{draft_id}.yaml"
    if path.exists() and not force:
        raise SourceError(f"{path} exists; pass --force to replace it")
    root = briefs.resolve().parent
    sources = [_take(location, root, day, opener, taken) for taken in [set[str]()] for location in locations]
    result = DraftResult(path)
    dropped: set[str] = set()
    data: dict[str, Any] = {}
    problems = []
    for _ in range(_ROUNDS):
        data, keys = _draft(draft_id, sources, day, dropped)
        _write(path, data, len(sources))
        try:
            report = check_summary(path)
        except SummaryError as exc:
            raise BriefgenError(f"{path}: the draft does not load; this is a bug: {exc}") from None
        problems = list(report.errors)
        if not problems:
            break
        # A claim that breaks a rule (a sentence too hard to read, say) is left out of the next pass.
        for problem in problems:
            match = re.match(r"claims\[(\d+)\]", problem.field)
            if match is not None:
                dropped.add(keys[int(match.group(1))])
    else:
        result.lines += [f"warning: {p}" for p in problems]
    claims = data["claims"]
    evidence = sum(len(c["evidence"]) for c in claims)
    result.lines.append(
        f"{path}: draft with {len(sources)} sources, {len(data.get('themes', []))} candidate themes, "
        f"{len(claims)} candidate claims ({evidence} quotes), "
        f"{len(data.get('disputes', []))} candidate disputes"
    )
    result.lines.append(
        "it is marked draft: true; edit it, then remove that line (and the DRAFT notice) to build papers"
    )
    return result


def _take(location: str, root: Path, day: dt.date, opener: Any, taken: set[str]) -> _Source:
    """Read one source, store its text under seeds/ and describe it as a source entry."""
    text, html, url, page = read_location(location, opener=opener)
    meta = read_metadata(text, html=html, url=url)
    notes: list[str] = ["Not yet checked: metadata read by briefgen draft."]
    title = meta.title.value if meta.title else None
    if title is None:
        words = text.split()[:12]
        title = "Untitled: " + " ".join(words) + " \u2026"
        notes.append("Untitled: the title is the text's opening words.")
    publisher = meta.publisher.value if meta.publisher else "unknown"
    base = slug(publisher if publisher != "unknown" else title, words=3)
    source_id, n = base, 2
    while source_id in taken:
        source_id, n = f"{base}-{n}", n + 1
    taken.add(source_id)
    if url is not None or html is not None:
        file = f"seeds/{source_id}.txt"
        target = root / file
        if url is not None and page is not None:
            from briefgen.sources import save_snapshot

            save_snapshot(root, source_id, file, page, url=url, today=day)
        else:
            from briefgen.writing import write_atomic

            write_atomic(target, text.encode("utf-8"))
    else:
        given = Path(location).resolve()
        seeds = (root / "seeds").resolve()
        if given.is_relative_to(seeds):
            file = given.relative_to(root.resolve()).as_posix()
        else:
            target = seeds / given.name
            if target.exists() and target.read_text(encoding="utf-8", errors="replace") != text:
                target = seeds / f"{source_id}.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                shutil.copyfile(given, target)
            file = target.relative_to(root.resolve()).as_posix()
    entry: dict[str, Any] = {"id": source_id, "file": file}
    if url:
        entry["url"] = url
    entry |= {"title": title, "publisher": publisher}
    if meta.author:
        entry["author"] = meta.author.value
    if meta.date_printed:
        entry["date_printed"] = meta.date_printed.value
        printed_day, note = parse_printed_date(meta.date_printed.value)
        if printed_day is not None:
            entry["date"] = printed_day.isoformat()
        if note:
            entry["date_note"] = note
    kind = meta.kind.value if meta.kind else SourceKind.NEWS.value
    if meta.kind is None:
        notes.append("Kind not found in the text: set to news; check it.")
    entry["kind"] = kind
    entry["reliability"] = "Not yet assessed (draft)."
    entry["quality_notes"] = notes
    return _Source(source_id, file, text, entry, split_sentences(text))


# --- choosing claims -----------------------------------------------------------------------------


def _candidates(sources: list[_Source], dropped: set[str]) -> list[tuple[float, _Source, Sentence, str]]:
    """Rank each source's sentences as candidate claims: facts and the sources' shared words first."""
    documents = [frozenset(content_words(s.text)) for src in sources for s in src.sentences]
    vocab = Vocabulary(documents)
    per_source = [Counter(w for s in src.sentences for w in set(content_words(s.text))) for src in sources]
    shared = {w for w in set().union(*per_source) if sum(1 for c in per_source if w in c) >= 2}
    ranked: list[tuple[float, _Source, Sentence, str]] = []
    for src in sources:
        heading = ""
        mine: list[tuple[float, _Source, Sentence, str]] = []
        for s in src.sentences:
            if s.heading:
                letters = sum(1 for w in s.text.split() if w[:1].isalpha())
                if letters >= 2 and s.words <= 10 and not find_mentions(s.text).dates:
                    heading = s.text.strip(" -:")
                continue
            words = s.words
            if not 8 <= words <= MAX_SHORT_WORDS or len(s.text) > MAX_QUOTE_CHARS or s.text.endswith("?"):
                continue
            if not re.search(r"[.!]$", s.text) or s.text[0].islower():
                continue
            if f"{src.id}:{s.start}" in dropped:
                continue
            terms = set(content_words(s.text))
            facts = find_mentions(s.text).count
            central = vocab.weight(terms & shared) / max(vocab.weight(terms), 1e-9)
            mine.append((facts + 2 * central, src, s, heading))
        mine.sort(key=lambda r: (-r[0], r[2].start))
        ranked += mine[:MAX_CLAIMS_PER_SOURCE]
    ranked.sort(key=lambda r: -r[0])
    return ranked[:MAX_CLAIMS]


def _claim_id(text: str, taken: set[str]) -> str:
    base = slug(text, words=4)
    claim_id, n = base, 2
    while claim_id in taken:
        claim_id, n = f"{base}-{n}", n + 1
    return claim_id


def _role(text: str, first: bool) -> str:
    if first:
        return "overview"
    for role, pattern in _ROLE_RULES:
        if pattern.search(text):
            return role
    return "context"


def _draft(
    draft_id: str, sources: list[_Source], day: dt.date, dropped: set[str]
) -> tuple[dict[str, Any], list[str]]:
    """Build the draft summary as plain data, with the sentence each claim was made from."""
    from briefgen.loading import parse_summary
    from briefgen.review import FindingKind, compare_sources, review_source

    chosen = _candidates(sources, dropped)
    # Near-duplicates across sources make one claim, not two: the first (best ranked) keeps it.
    kept: list[tuple[float, _Source, Sentence, str]] = []
    kept_words: list[frozenset[str]] = []
    for item in chosen:
        words = frozenset(content_words(item[2].text))
        if any(len(words & other) / max(1, len(words | other)) > 0.6 for other in kept_words):
            continue
        kept.append(item)
        kept_words.append(words)
    # The best-ranked sentence (most facts, most shared with the other sources) is the overview.
    lead = max(kept, key=lambda r: r[0])[2] if kept else None
    kept.sort(key=lambda r: (sources.index(r[1]), r[2].start))
    themes: dict[str, dict[str, str]] = {}
    claims: list[dict[str, Any]] = []
    ids: set[str] = set()
    keys: list[str] = []
    for _, src, s, heading in kept:
        claim_id = _claim_id(s.text, ids)
        ids.add(claim_id)
        keys.append(f"{src.id}:{s.start}")
        claim: dict[str, Any] = {
            "id": claim_id,
            "role": _role(s.text, s is lead),
        }
        if heading:
            theme_id = slug(heading, words=4)
            themes.setdefault(theme_id, {"id": theme_id, "heading": heading})
            claim["theme"] = theme_id
        claim |= {
            "kind": "fact",
            "priority": 2,
            "audiences": ["officials"],
            "short": s.text,
            "full": s.text,
            "evidence": [{"source": src.id, "quote": s.text}],
        }
        claims.append(claim)
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "id": draft_id,
        "draft": True,
        "subject": _subject(sources, day),
        "sources": [src.entry for src in sources],
    }
    if themes:
        data["themes"] = list(themes.values())
    data["claims"] = claims
    data["editions"] = [
        {"name": "short-officials", "length": "short", "audience": "officials", "formats": ["pdf", "docx"]}
    ]
    # Align the sources: sentences of one that support another's claim become more evidence...
    summary = parse_summary(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), filename=draft_id)
    texts = {src.id: src.text for src in sources}
    by_id = {c["id"]: c for c in claims}
    for src in sources:
        for f in review_source(summary, texts, src.id).of_kind(FindingKind.CONFIRMS):
            target = by_id.get(f.claim_id or "")
            if target is None or target["evidence"][0]["source"] == src.id or len(target["evidence"]) >= 3:
                continue
            if all(e["quote"] != f.passage for e in target["evidence"]):
                target["evidence"].append({"source": src.id, "quote": f.passage})
    # ...and the names, dates, figures and quotations they give differently are candidate disputes.
    disputes: list[dict[str, Any]] = []
    pairs: set[frozenset[str]] = set()
    for f in compare_sources(texts):
        key = frozenset({f.ours, f.theirs.split(" (")[0]})
        if key in pairs or f.ours_source is None:
            continue
        pairs.add(key)
        concerned = [
            c["id"] for c in claims if any(e["quote"] in (f.passage, f.ours_passage) for e in c["evidence"])
        ]
        disputes.append(_dispute(f, concerned, len(disputes)))
    if disputes:
        data["disputes"] = disputes
    return data, keys


def _dispute(f: Any, claims: list[str], n: int) -> dict[str, Any]:
    """A candidate dispute from a disagreement between two sources, each side quoted."""
    theirs = f.theirs.split(" (")[0]
    what = "spelling of a name" if f.variant else f.what
    if f.what == "quotation":
        question = "The sources quote the same words differently: which wording is right?"
        ours_says, theirs_says = "Gives the quotation in these words.", "Gives the quotation in other words."
        ours_quote, theirs_quote = _clip_quote(f.ours, f.ours[:60]), _clip_quote(f.theirs, f.theirs[:60])
    else:
        question = f"Sources differ on a {what}: \u201c{f.ours}\u201d or \u201c{theirs}\u201d?"
        ours_says, theirs_says = f.ours, theirs
        ours_quote, theirs_quote = _clip_quote(f.ours_passage, f.ours), _clip_quote(f.passage, theirs)
    dispute: dict[str, Any] = {"id": f"{slug(what, words=3)}-{n + 1}", "question": question}
    if claims:
        dispute["claims"] = claims
    dispute["positions"] = [
        {"source": f.ours_source, "says": ours_says, "quote": ours_quote},
        {"source": f.source_id, "says": theirs_says, "quote": theirs_quote},
    ]
    dispute["resolution"] = "DRAFT: not resolved; an analyst must decide which reading the papers follow."
    dispute["rationale"] = "Found by comparing the sources; not yet assessed."
    # A note for readers, so a cleared draft checks clean; the analyst rewrites it with the resolution.
    dispute["note"] = f"The sources differ on a {what}; which reading is right is not yet settled."
    return dispute


def _clip_quote(passage: str, value: str) -> str:
    """Return a verbatim quote of at most the allowed length that holds ``value`` where it can."""
    passage = passage.strip()
    if len(passage) <= MAX_QUOTE_CHARS:
        return passage
    at = passage.find(value)
    if at == -1:
        return passage[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0]
    start = max(0, at - 150)
    start = passage.find(" ", start) + 1 if start else 0
    end = min(len(passage), at + len(value) + 150)
    return passage[start:end].rsplit(" ", 1)[0] if end < len(passage) else passage[start:]


def _subject(sources: list[_Source], day: dt.date) -> dict[str, Any]:
    """Candidate subject fields from what the sources share: parties, date, place, legal form."""
    texts = [src.text for src in sources]
    titles = [str(src.entry["title"]) for src in sources]
    # Parties: the pair a title joins with a hyphen ("Ruritania-Borduria"), else the commonest such pair.
    parties = ["DRAFT: party", "DRAFT: other party"]
    for pool in (titles, texts):
        pairs = Counter(
            pair for text in pool for pair in re.findall(r"\b([A-Z][A-Za-z]+)[-–]([A-Z][A-Za-z]+)\b", text)
        )
        if pairs:
            parties = list(pairs.most_common(1)[0][0])
            break
    dates: Counter[tuple[int, int, int]] = Counter()
    places: Counter[str] = Counter()
    for src in sources:
        for s in src.sentences:
            found = find_mentions(s.text)
            for d in found.dates:
                if d.year and d.month and d.day:
                    dates[(d.year, d.month, d.day)] += 1
            for p in found.places:
                places[p.place] += 1
    if dates:
        top = max(dates.values())
        year, month, day_of = min(k for k, v in dates.items() if v == top)
        date = dt.date(year, month, day_of)
    else:
        date = day
    joined = " ".join(texts).lower()
    forms = {
        "treaty": joined.count("treaty"),
        "joint-statement": joined.count("joint statement") + joined.count("declaration"),
        "mou": joined.count("memorandum of understanding"),
        "agreement": joined.count("agreement"),
    }
    legal_form = max(forms, key=lambda k: forms[k]) if any(forms.values()) else "other"
    title = titles[0]
    short = title.split(":")[0].strip() if ":" in title else title
    return {
        "title": title,
        "short_title": short if len(short) <= 60 else short[:60].rsplit(" ", 1)[0],
        "parties": parties,
        "date": date.isoformat(),
        "place": places.most_common(1)[0][0] if places else "DRAFT: place not found",
        "legal_form": legal_form,
        "status": "DRAFT: not yet assessed.",
        # As current as the newest dated source, not the day the draft was made.
        "as_of": max((s.entry["date"] for s in sources if s.entry.get("date")), default=day.isoformat()),
        "notice": "DRAFT – candidate content taken from its sources; "
        "not checked by an analyst; not for circulation.",
    }


def _write(path: Path, data: dict[str, Any], count: int) -> None:
    header = (
        f"# DRAFT written by `briefgen draft` from {count} sources. Every claim is a sentence copied\n"
        "# from a source, with that sentence as its evidence; themes are the sources' headings; disputes\n"
        "# are where the sources give a different name, date or figure. Edit everything, then remove\n"
        "# `draft: true` (build refuses a draft) and the DRAFT notice.\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    from briefgen.writing import write_atomic

    write_atomic(path, (header + body).encode("utf-8"))
