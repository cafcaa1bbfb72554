"""Add a source or a piece of evidence to a summary, in place: `briefgen sources add`, `evidence add`.

Both edit the YAML with `editing.append_yaml_items`: the new list item is written after the last
one, every other byte stays, and the edited file is loaded (and, for evidence, the quote found
again in its source) before it replaces the old one.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.anchoring import Grade, anchor_quote, read_sources
from briefgen.editing import append_yaml_items
from briefgen.errors import EditError, SourceError, SummaryError
from briefgen.loading import load_summary, parse_summary, parse_summary_with_locations
from briefgen.metadata import Field, Metadata, parse_printed_date, read_metadata
from briefgen.model import MAX_QUOTE_CHARS, SourceKind, Summary
from briefgen.requoting import current_wording
from briefgen.sources import Page, extract_main_text, fetch_page, save_snapshot
from briefgen.writing import write_atomic

__all__ = ["AddedEvidence", "AddedSource", "Ask", "add_evidence", "add_source", "read_location", "slug"]

#: Ask a person for a field: (question, default) → answer; the default is returned for "".
Ask = Callable[[str, str | None], str]

_URL = re.compile(r"^https?://", re.IGNORECASE)


@dataclass
class AddedSource:
    """What `sources add` did."""

    source_id: str
    file: str
    entry: dict[str, Any]
    notes: list[str] = field(default_factory=list)  # what was guessed or asked, one line each
    summary: Summary | None = None
    texts: dict[str, str] = field(default_factory=dict)


def slug(text: str, *, words: int = 5) -> str:
    """Return an id made of the first significant words of a text."""
    small = {"the", "a", "an", "of", "and", "in", "on", "for", "to", "at", "by", "with"}
    parts = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in small]
    made = "-".join(parts[:words])[:60].strip("-")
    return made or "source"


def add_source(
    summary_path: Path,
    location: str,
    *,
    given: dict[str, str | None] | None = None,
    ask: Ask | None = None,
    today: dt.date | None = None,
    opener: Any = None,
    dry_run: bool = False,
) -> AddedSource:
    """Add a file or a URL as a source of a summary: snapshot under seeds/, entry in the YAML.

    ``given`` holds values passed as options (id, title, publisher, author, date, kind,
    reliability), which win over what the text says. What is neither given nor found is asked
    with ``ask``; without it, a missing title or kind is an error naming the option to pass.
    """
    given = {k: v for k, v in (given or {}).items() if v}
    day = today or dt.date.today()
    summary = load_summary(summary_path)
    root = summary_path.resolve().parent.parent
    text, html, url, page = read_location(location, opener=opener)
    meta = read_metadata(text, html=html, url=url)
    notes: list[str] = []
    entry = _entry(summary, meta, given, ask, notes, day)
    source_id = entry["id"]
    # Where the text goes: a URL's snapshot, or the file itself when it is already under seeds/.
    if url is not None or html is not None:
        file = f"seeds/{source_id}.txt"
    else:
        file = _seed_path(Path(location), root, source_id, text)
    entry = {
        "id": source_id,
        "file": file,
        **({"url": url} if url else {}),
        **{k: v for k, v in entry.items() if k != "id"},
    }

    def verify(new_text: str) -> None:
        parse_summary(new_text, filename=str(summary_path))

    target = root / file
    if target.exists() and target.read_text(encoding="utf-8", errors="replace") != text:
        raise SourceError(f"{file} exists with other text; pass --id to store the source under another name")
    new_text = append_yaml_items(summary_path, [(("sources",), entry)], check=verify, write=False)
    if dry_run:
        return AddedSource(source_id, file, entry, notes, parse_summary(new_text, filename=str(summary_path)))
    # The text first, the summary second: a summary never names a file that is not there.
    if url is not None and page is not None:
        save_snapshot(root, source_id, file, page, url=url, today=day)
    elif not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if html is not None:
            write_atomic(target, text.encode("utf-8"))
        else:
            shutil.copyfile(location, target)
    append_yaml_items(summary_path, [(("sources",), entry)], check=verify)
    updated = parse_summary(new_text, filename=str(summary_path))
    return AddedSource(source_id, file, entry, notes, updated, read_sources(updated, root))


def read_location(location: str, *, opener: Any = None) -> tuple[str, str | None, str | None, Page | None]:
    """Read a file or fetch a URL; return (text, html or None, url or None, the fetched page or None).

    An HTML page or file gives its main text as `sources refresh` extracts it.
    """
    if _URL.match(location):
        page = fetch_page(location, opener=opener)
        text, html, url = page.text, page.html, location
    else:
        page, url = None, None
        path = Path(location)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SourceError(f"{location}: cannot read the file: {exc.strerror}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{location}: the file is not UTF-8 (bad byte at offset {exc.start})") from None
        html = None
        if path.suffix.lower() in (".html", ".htm"):
            html = text
            text = extract_main_text(html)
    if not text.strip():
        raise SourceError(f"{location}: the source has no text")
    return text, html, url, page


def _seed_path(path: Path, root: Path, source_id: str, text: str) -> str:
    seeds = (root / "seeds").resolve()
    resolved = path.resolve()
    if resolved.is_relative_to(seeds):
        return resolved.relative_to(root.resolve()).as_posix()
    candidate = seeds / path.name
    if candidate.exists() and candidate.read_text(encoding="utf-8", errors="replace") != text:
        candidate = seeds / f"{source_id}{path.suffix or '.txt'}"
    return candidate.relative_to(root.resolve()).as_posix()


def _entry(
    summary: Summary,
    meta: Metadata,
    given: dict[str, str | None],
    ask: Ask | None,
    notes: list[str],
    today: dt.date,
) -> dict[str, Any]:
    """Decide every field of the new source entry; say in ``notes`` what was guessed or asked."""
    quality: list[str] = []

    def choose(name: str, found: Field | None, question: str, *, required: bool) -> str | None:
        if given.get(name):
            return given[name]
        if found is not None and found.how == "found":
            notes.append(f"{name}: {found.value!r} (from {found.note})")
            return found.value
        default = found.value if found is not None else None
        if ask is not None:
            hint = f" (guessed from {found.note})" if found is not None else " (not found in the source)"
            answer = ask(f"{question}{hint}", default).strip()
            if answer:
                if found is not None and answer == found.value:
                    notes.append(f"{name}: {answer!r} (guessed from {found.note}; confirmed)")
                else:
                    notes.append(f"{name}: {answer!r} (given)")
                return answer
            return None
        if found is not None:
            notes.append(f"{name}: {found.value!r} (guessed from {found.note}; check it)")
            quality.append(f"{name.capitalize()} guessed by briefgen from {found.note}; not yet checked.")
            return found.value
        if required:
            raise SourceError(f"the source's {name} was not found in its text; pass --{name}")
        notes.append(f"{name}: not found in the source")
        return None

    title = choose("title", meta.title, "Title", required=True)
    assert title is not None  # required: chosen or raised
    publisher = choose("publisher", meta.publisher, "Publisher", required=False)
    kinds = ", ".join(k.value for k in SourceKind)
    kind = choose("kind", meta.kind, f"Kind ({kinds})", required=True)
    if kind not in {k.value for k in SourceKind}:
        raise SourceError(f"kind {kind!r} is not one of {kinds}")
    date_field = meta.date_printed
    printed = choose("date", date_field, "Date as printed", required=False)
    entry: dict[str, Any] = {"id": ""}
    known = {s.id for s in summary.sources}
    source_id = given.get("id") or slug(publisher if publisher and publisher != "unknown" else title)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", source_id):
        raise SourceError(f"--id {source_id!r} is not an id of lower-case letters, digits and hyphens")
    base, n = source_id, 2
    while source_id in known:
        if given.get("id"):
            raise SourceError(f"the summary already has a source '{source_id}'")
        source_id, n = f"{base}-{n}", n + 1
    entry["id"] = source_id
    entry["title"] = title
    entry["publisher"] = publisher or "unknown"
    author = given.get("author") or (meta.author.value if meta.author else None)
    if author:
        entry["author"] = author
    if printed:
        entry["date_printed"] = printed
        day, note = parse_printed_date(printed)
        if day is None:
            try:
                day = dt.date.fromisoformat(printed)
            except ValueError:
                day = None
        if day is not None:
            entry["date"] = day.isoformat()
        if note:
            entry["date_note"] = note
            notes.append(f"date: {note}")
        elif day is None:
            notes.append(f"date: could not read {printed!r} as a date; only the printed form is kept")
    entry["kind"] = kind
    reliability = given.get("reliability")
    if not reliability and ask is not None:
        reliability = ask("How far to trust it (reliability)", None).strip() or None
    entry["reliability"] = (
        reliability or f"Not yet assessed: added by briefgen sources add on {today.isoformat()}."
    )
    if quality:
        entry["quality_notes"] = quality
    return entry


@dataclass(frozen=True)
class AddedEvidence:
    """What `evidence add` wrote."""

    claim_id: str
    source_id: str
    quote: str
    grade: Grade  # how the passage as given matched the source
    line: int


def add_evidence(
    summary_path: Path, claim_id: str, source_id: str, passage: str, *, dry_run: bool = False
) -> AddedEvidence:
    """Add a verbatim quote from a source as evidence for a claim, in place.

    The passage must be found in the source: exactly, or after the documented normalisation (then
    the source's own wording is written). Raise EditError if it is not, if the claim or source is
    unknown, or if the claim already has it.
    """
    name = str(summary_path)
    summary = load_summary(summary_path)
    index = next((i for i, c in enumerate(summary.claims) if c.id == claim_id), None)
    if index is None:
        raise EditError(f"{name}: no claim '{claim_id}'")
    if source_id not in {s.id for s in summary.sources}:
        known = ", ".join(f"'{s.id}'" for s in summary.sources)
        raise EditError(f"{name}: no source '{source_id}'; known: {known}")
    root = summary_path.resolve().parent.parent
    text = read_sources(summary, root)[source_id]
    wanted = " ".join(passage.split())
    anchor = anchor_quote(wanted, text)
    if anchor.grade is Grade.EXACT:
        quote = wanted
    elif anchor.grade in (Grade.NORMALISED, Grade.FUZZY):
        quote = current_wording(anchor, text)
        if anchor.grade is Grade.FUZZY:
            raise EditError(
                f"{name}: the passage is not in source '{source_id}' word for word; "
                f"it reads: \u201c{quote}\u201d"
            )
    else:
        raise EditError(
            f"{name}: the passage is not in source '{source_id}' (closest score {anchor.score:.0f})"
        )
    if not 8 <= len(quote) <= MAX_QUOTE_CHARS:
        raise EditError(f"{name}: a quote is 8 to {MAX_QUOTE_CHARS} characters; this one is {len(quote)}")
    claim = summary.claims[index]
    if any(ev.source == source_id and ev.quote == quote for ev in claim.evidence):
        raise EditError(f"{name}: claim '{claim_id}' already quotes this passage")

    def verify(new_text: str) -> None:
        updated = parse_summary(new_text, filename=name)
        added = updated.claims[index].evidence[-1]
        if anchor_quote(added.quote, text).grade not in (Grade.EXACT, Grade.NORMALISED):
            raise EditError(f"{name}: the written quote is not found in source '{source_id}'")

    try:
        new_text = append_yaml_items(
            summary_path,
            [(("claims", index, "evidence"), {"source": source_id, "quote": quote})],
            check=verify,
            write=not dry_run,
        )
    except SummaryError as exc:
        raise EditError(f"{name}: the edited summary would not load: {exc}") from None
    updated, locations = parse_summary_with_locations(new_text, filename=name)
    line, _ = locations.of(("claims", index, "evidence", len(updated.claims[index].evidence) - 1, "quote"))
    return AddedEvidence(claim_id, source_id, quote, anchor.grade, line)
