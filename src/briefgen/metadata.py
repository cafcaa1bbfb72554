"""Read a source's title, publisher, author, date and kind from its text or its web page's metadata.

Each field says how it was found: `found` (printed as such: a "Title:" line, a meta tag), `guessed`
(inferred from the layout: the first heading-like line, a capitalised banner, wording typical of
a press release) or missing. The caller asks for what is missing and says what was guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from briefgen.model import SourceKind

__all__ = ["Field", "Metadata", "parse_printed_date", "read_metadata"]

_HEAD_LINES = 12
_DATE_LINE = re.compile(
    r"^(?:(?P<place>[A-Z][\w .'-]{1,40}),\s+)?(?P<date>(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
    r"(?:\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+\.?,?\s+\d{4}|[A-Z][a-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}))\s*$"
)
_BYLINE = re.compile(r"^(?:By|BY|Written by)\s+(?P<author>[^,|]{3,80}?)(?:,\s*(?P<role>.+))?$")
_TITLE_LINE = re.compile(r"^(?:Title|TITLE|Headline)\s*:\s*(?P<title>.+)$")
_AUTHOR_LINE = re.compile(
    r"^(?P<author>(?:Dr|Prof\.?|Professor|Sir|Dame)\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}),\s+.+$"
)
_LABELS = re.compile(
    r"^(?:press release|for immediate release|press office|news release|ends|commentary\b.*|analysis\b.*|"
    r"opinion\b.*|abstract|summary|contents)$",
    re.IGNORECASE,
)
# What a capitalised banner names when it is a publisher, not a title.
_PUBLISHER_WORDS = re.compile(
    r"\b(?:standard|courier|times|post|news|herald|gazette|journal|tribune|telegraph|guardian|observer|"
    r"ministry|department|institute|office|agency|government|centre|center|council|university|press|"
    r"review|foundation|service|bureau|commission|parliament)\b",
    re.IGNORECASE,
)
# Signs of each kind of source in its first lines, strongest first; news is a bylined or datelined piece.
_KIND_SIGNS: list[tuple[SourceKind, re.Pattern[str]]] = [
    (
        SourceKind.OFFICIAL,
        re.compile(
            r"\b(?:PRESS RELEASE|Press Office|For immediate release|Treaty Series|Official text|"
            r"Notes to editors|Official Journal)\b",
            re.IGNORECASE,
        ),
    ),
    (SourceKind.ACADEMIC, re.compile(r"^(?:Abstract|References|Bibliography)\s*$", re.MULTILINE)),
    (SourceKind.NEWS, re.compile(r"^(?:By\s+[A-Z].+|[A-Z][A-Z ]{2,}\s+-\s+.+)$", re.MULTILINE)),
    (
        SourceKind.ANALYSIS,
        re.compile(
            r"\b(?:Commentary|Institute|Think tank|The views expressed|Senior Fellow)\b", re.IGNORECASE
        ),
    ),
]


@dataclass(frozen=True)
class Field:
    """One piece of metadata and how it was found."""

    value: str
    how: str  # "found", "guessed" or "given" (by an option or an answer)
    note: str = ""  # why it was guessed, or how an ambiguous date was read


@dataclass
class Metadata:
    """What could be read about a source."""

    title: Field | None = None
    publisher: Field | None = None
    author: Field | None = None
    date_printed: Field | None = None
    date: dt.date | None = None
    date_note: str = ""
    kind: Field | None = None
    notes: list[str] = field(default_factory=list)

    def missing(self) -> list[str]:
        """Return the fields that nothing was found for."""
        return [name for name in ("title", "publisher", "date", "kind") if self._get(name) is None]

    def guessed(self) -> list[str]:
        """Return the fields that were guessed."""
        return [
            name
            for name in ("title", "publisher", "date", "kind")
            if (f := self._get(name)) and f.how == "guessed"
        ]

    def _get(self, name: str) -> Field | None:
        if name == "date":
            return self.date_printed
        value: Field | None = getattr(self, name)
        return value


def parse_printed_date(printed: str) -> tuple[dt.date | None, str]:
    """Read a printed date, day first; return it with a note when the reading is ambiguous."""
    import dateparser  # imported on use: about 0.1 s, and only `sources add` and `draft` need it

    text = printed.strip()
    settings = {
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        "REQUIRE_PARTS": ["day", "month", "year"],
    }
    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    if parsed is None:
        return None, ""
    day_first = parsed.date()
    numeric = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})", text)
    if (
        numeric
        and numeric.group(1) != numeric.group(2)
        and int(numeric.group(1)) <= 12
        and int(numeric.group(2)) <= 12
    ):
        other = dt.date(day_first.year, day_first.day, day_first.month)
        note = (
            f"Printed as {text}: read day first, as {_long(day_first)}; "
            f"month first it would be {_long(other)}. Check which the source means."
        )
        return day_first, note
    return day_first, ""


def _long(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _title_case(line: str) -> str:
    small = {"of", "the", "and", "for", "in", "on", "at", "to", "a", "an"}
    words = line.lower().split()
    return " ".join(w if i and w in small else w.capitalize() for i, w in enumerate(words))


def read_metadata(text: str, *, html: str | None = None, url: str | None = None) -> Metadata:
    """Read what a source says about itself: from a page's metadata first, then from its first lines."""
    meta = Metadata()
    if html is not None:
        _from_html(meta, html)
    lines = [line.strip() for line in text.splitlines() if line.strip()][:_HEAD_LINES]
    body_seen = False
    caps_title = False
    for index, line in enumerate(lines):
        if meta.title is None and (m := _TITLE_LINE.match(line)):
            meta.title = Field(m.group("title").strip(), "found", "from its \u201cTitle:\u201d line")
            continue
        if meta.date_printed is None and (m := _DATE_LINE.match(line)):
            meta.date_printed = Field(m.group("date"), "found", f"line {index + 1}")
            continue
        if meta.author is None and ((m := _BYLINE.match(line)) or (m := _AUTHOR_LINE.match(line))):
            meta.author = Field(line.removeprefix("By ").strip(), "found", f"line {index + 1}")
            continue
        if _LABELS.match(line) or "|" in line:
            continue
        letters = [c for c in line if c.isalpha()]
        banner = bool(letters) and all(c.isupper() for c in letters) and len(line.split()) <= 14
        if banner and _PUBLISHER_WORDS.search(line) and meta.publisher is None and index < 3:
            meta.publisher = Field(_title_case(line), "guessed", f"the capitalised line {index + 1}")
            continue
        if banner and not body_seen and (meta.title is None or caps_title):
            # A capitalised heading, perhaps over two lines: the document's own title.
            joined = f"{meta.title.value} {_title_case(line).lower()}" if meta.title else _title_case(line)
            meta.title = Field(joined, "guessed", "the capitalised heading at the top")
            caps_title = True
            continue
        caps_title = False
        if not _looks_like_title(line):
            body_seen = True  # titles come before the first paragraph
        elif meta.title is None and not body_seen:
            meta.title = Field(line, "guessed", f"the first heading-like line (line {index + 1})")
    if meta.publisher is None and url:
        host = urlsplit(url).hostname or ""
        if host:
            meta.publisher = Field(host.removeprefix("www."), "guessed", "the web site's address")
    if meta.date_printed is not None and meta.date is None:
        meta.date, meta.date_note = parse_printed_date(meta.date_printed.value)
    if meta.kind is None:
        meta.kind = _kind_of(text)
    return meta


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 25 and not re.search(r"[.;]$", line) and line[0].isupper()


def _kind_of(text: str) -> Field | None:
    head = "\n".join(text.splitlines()[:10])
    for kind, pattern in _KIND_SIGNS:
        source = text if kind is SourceKind.ACADEMIC else head
        found = pattern.search(source)
        if found is not None:
            return Field(kind.value, "guessed", f"the words \u201c{found.group().strip()[:40]}\u201d")
    return None


def _from_html(meta: Metadata, html: str) -> None:
    import trafilatura  # imported on use: about 0.2 s with lxml, and only for web pages

    found = trafilatura.extract_metadata(html)
    if found is None:
        return
    if found.title:
        meta.title = Field(str(found.title), "found", "the page's title metadata")
    if found.sitename:
        meta.publisher = Field(str(found.sitename), "found", "the page's site name")
    if found.author:
        meta.author = Field(str(found.author), "found", "the page's author metadata")
    if found.date:
        meta.date_printed = Field(str(found.date), "found", "the page's publication date")
        try:
            meta.date = dt.date.fromisoformat(str(found.date)[:10])
        except ValueError:
            meta.date = None
