"""Refresh URL sources: fetch each conditionally, extract its text, store a dated snapshot under seeds/."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from briefgen import __version__
from briefgen.anchoring import MAX_SOURCE_BYTES
from briefgen.errors import OutputError, PathError, SourceError, printable
from briefgen.fetching import (
    DEADLINE_SECONDS,
    MAX_BYTES,
    FetchError,
    Opener,
    Response,
    decode,
    default_opener,
    describe,
    fetch,
)
from briefgen.model import Source, Summary
from briefgen.paths import inside, read_file
from briefgen.writing import write_atomic

__all__ = [
    "DEADLINE_SECONDS",
    "MAX_BYTES",
    "SNAPSHOT_DIR",
    "Opener",
    "RefreshResult",
    "RefreshStatus",
    "Response",
    "default_opener",
    "extract_main_text",
    "refresh_sources",
]

_STATE_LIMIT = 64 * 1024
SNAPSHOT_DIR = "seeds/snapshots"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Control characters a page may hold that a source must not (tab, line breaks and form feeds are
# white space): they would reach a terminal, or fail the PDF.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")

# Page furniture, plus title and template, whose text is never part of the page body.
_DROPPED = frozenset(
    {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg", "iframe"}
    | {"title", "template"}
)
_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "div", "section", "br", "tr", "dt", "dd"}
    | {"figcaption", "pre", "article", "main", "ul", "ol", "dl", "table", "figure", "hr"}
)


class RefreshStatus(StrEnum):
    """What a refresh did to one source."""

    UPDATED = "updated"
    NOT_MODIFIED = "not-modified"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RefreshResult:
    """The outcome for one source; `snapshot` is the snapshot now in force, if any."""

    source_id: str
    url: str | None
    status: RefreshStatus
    message: str
    snapshot: Path | None
    warnings: tuple[str, ...] = ()  # one line each: a wrong character set, control characters removed


def refresh_sources(
    summary: Summary,
    root: Path,
    *,
    today: dt.date | None = None,
    timeout: float = 20.0,
    deadline: float = DEADLINE_SECONDS,
    max_bytes: int = MAX_BYTES,
    opener: Opener | None = None,
) -> list[RefreshResult]:
    """Fetch every URL source of a summary and update its file under seeds/; never raise for the network.

    `timeout` bounds each read of a fetch, `deadline` the whole of it (redirects included), and
    `max_bytes` its body.
    """
    day = today or dt.datetime.now(dt.UTC).date()
    limits = _Limits(timeout, deadline, max_bytes, opener or default_opener(deadline=deadline))
    return [_refresh(source, root, day, limits) for source in summary.sources]


@dataclass(frozen=True)
class _Limits:
    timeout: float
    deadline: float
    max_bytes: int
    opener: Opener


def _refresh(source: Source, root: Path, today: dt.date, limits: _Limits) -> RefreshResult:
    url = source.url
    if url is None:
        return RefreshResult(source.id, None, RefreshStatus.SKIPPED, f"{source.id}: no url", None)
    folder = f"{SNAPSHOT_DIR}/{source.id}"
    try:
        # Every path resolved first: a link under seeds/ must not lead a write out of the project.
        target = inside(root, source.file)
        state_path = inside(root, f"{folder}/state.json")
        state = _read_state(state_path)
        kept = _kept_snapshot(root, state)
        current = (
            _sha256(read_file(target, limit=MAX_SOURCE_BYTES, shown=source.file)) if target.exists() else None
        )
    except (PathError, OSError) as error:
        reason = (
            str(error) if isinstance(error, PathError) else f"cannot read {source.file}: {describe(error)}"
        )
        return RefreshResult(source.id, url, RefreshStatus.FAILED, _one_line(f"{source.id}: {reason}"), None)
    # Validators only describe the text we still hold: after a hand edit or a URL change, fetch it all.
    valid = current is not None and state.get("url") == url and state.get("sha256") == current
    headers = {"User-Agent": f"briefgen/{__version__}", "Accept": "text/html, text/plain;q=0.9"}
    if valid and isinstance(state.get("etag"), str):
        headers["If-None-Match"] = state["etag"]
    if valid and isinstance(state.get("last_modified"), str):
        headers["If-Modified-Since"] = state["last_modified"]
    try:
        page = fetch(
            url,
            headers,
            timeout=limits.timeout,
            deadline=limits.deadline,
            max_bytes=limits.max_bytes,
            opener=limits.opener,
        )
        if page is None:
            return RefreshResult(
                source.id, url, RefreshStatus.NOT_MODIFIED, f"{source.id}: not modified", kept
            )
        text, notes = _page_text(page.body, page.headers)
        warnings = tuple(_one_line(f"{source.id}: {note}") for note in notes)
        etag, last_modified = page.headers.get("ETag"), page.headers.get("Last-Modified")
        digest = _sha256(text.encode("utf-8"))
        new_state = {"url": url, "etag": etag, "last_modified": last_modified, "sha256": digest}
        if digest == current:
            # Record fresh validators so the next refresh can get a 304, but keep the snapshot.
            if any(state.get(key) != value for key, value in new_state.items()):
                snapshot = state.get("snapshot") if kept else None
                _write_state(state_path, new_state | {"snapshot": snapshot, "status": "unchanged"})
            return RefreshResult(
                source.id, url, RefreshStatus.UNCHANGED, f"{source.id}: unchanged", kept, warnings
            )
        snapshot_path = _new_snapshot(root, folder, today)
        # Snapshot first, the cited file second, the state last: a run cut short leaves state that
        # no longer matches the file, so the next run fetches in full instead of trusting a 304.
        write_atomic(snapshot_path, text.encode("utf-8"))
        write_atomic(target, text.encode("utf-8"))
        relative = snapshot_path.relative_to(root).as_posix()
        _write_state(state_path, new_state | {"snapshot": relative, "status": "updated"})
        message = f"{source.id}: updated; wrote {relative}"
        return RefreshResult(source.id, url, RefreshStatus.UPDATED, message, snapshot_path, warnings)
    except FetchError as failure:
        reason = str(failure)
    except (OutputError, PathError) as error:
        reason = str(error)
    if kept is not None:
        tail = f"kept the snapshot of {kept.stem}"
    else:
        tail = f"kept {source.file}" if current is not None else "nothing stored yet"
    return RefreshResult(
        source.id, url, RefreshStatus.FAILED, _one_line(f"{source.id}: {url}: {reason}; {tail}"), kept
    )


def _one_line(message: str) -> str:
    """Return a message as one line whatever the exception text held."""
    return printable(" ".join(message.split()))


def _kept_snapshot(root: Path, state: dict[str, Any]) -> Path | None:
    """Return the snapshot the state names, if it is a path inside the project."""
    snapshot = state.get("snapshot")
    if not isinstance(snapshot, str):
        return None
    try:
        return inside(root, snapshot)
    except PathError:
        return None


def _new_snapshot(root: Path, folder: str, today: dt.date) -> Path:
    """Return the path of a new snapshot for today: `<date>.txt`, or `<date>.2.txt`… if one is there."""
    path = inside(root, f"{folder}/{today.isoformat()}.txt")
    number = 1
    while path.exists():
        number += 1
        path = inside(root, f"{folder}/{today.isoformat()}.{number}.txt")
    return path


def _page_text(body: bytes, info: Any, keep: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """Return a page's main text and warnings; raise FetchError for a page with none."""
    if info.get("Content-Type") is None:
        raise FetchError("response has no Content-Type")
    kind = info.get_content_type()
    if kind not in _HTML_TYPES and not kind.startswith("text/"):
        raise FetchError(f"not a text page: {kind}")
    decoded, warnings = decode(body, info)
    text = decoded.replace("\r\n", "\n").replace("\r", "\n")
    if kind in _HTML_TYPES:
        if keep is not None:
            keep["html"] = text
        text = extract_main_text(text)
    controls = [m.start() for m in _CONTROL.finditer(text)]
    if controls:
        first = text[controls[0]]
        count = f"{len(controls)} control character{'s' if len(controls) > 1 else ''}"
        warnings.append(f"removed {count} (the first U+{ord(first):04X} at offset {controls[0]})")
        text = _CONTROL.sub("", text)
    if not text.strip():
        raise FetchError("the page has no text")
    if len(text.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise FetchError(f"the page's text is over the {MAX_SOURCE_BYTES:,} bytes a source may hold")
    return text, warnings


@dataclass(frozen=True)
class Page:
    """A fetched page: its main text, its HTML (None for plain text) and its validators."""

    text: str
    html: str | None
    etag: str | None
    last_modified: str | None


def fetch_page(
    url: str,
    *,
    timeout: float = 20.0,
    deadline: float = DEADLINE_SECONDS,
    opener: Opener | None = None,
) -> Page:
    """Fetch a URL as `sources refresh` does (deadline, byte cap, charset), keeping the HTML."""
    keep: dict[str, str] = {}
    headers = {"User-Agent": f"briefgen/{__version__}", "Accept": "text/html, text/plain;q=0.9"}
    try:
        fetched = fetch(url, headers, timeout=timeout, deadline=deadline, opener=opener)
        if fetched is None:  # only a conditional request gets a 304, and this one is not
            raise SourceError(f"{url}: the server answered 304 Not Modified to a plain request")
        text, _ = _page_text(fetched.body, fetched.headers, keep)
    except FetchError as failure:
        raise SourceError(_one_line(f"{url}: {failure}")) from None
    return Page(text, keep.get("html"), fetched.headers.get("ETag"), fetched.headers.get("Last-Modified"))


def save_snapshot(root: Path, source_id: str, file: str, page: Page, *, url: str, today: dt.date) -> Path:
    """Store a fetched page as `sources refresh` would: a dated snapshot, the cited file, the state."""
    data = page.text.encode("utf-8")
    snapshot = _new_snapshot(root, f"{SNAPSHOT_DIR}/{source_id}", today)
    write_atomic(snapshot, data)
    write_atomic(inside(root, file), data)
    state = {"url": url, "etag": page.etag, "last_modified": page.last_modified, "sha256": _sha256(data)}
    relative = snapshot.relative_to(root).as_posix()
    _write_state(
        inside(root, f"{SNAPSHOT_DIR}/{source_id}/state.json"),
        state | {"snapshot": relative, "status": "updated"},
    )
    return snapshot


def extract_main_text(html: str) -> str:
    """Return the main text of an HTML page, one paragraph per line, list items prefixed '- '."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    # Prefer <article>, then <main>, then role="main", then the whole page.
    for lines in [scope.lines for scope in parser.scopes] + [parser.page]:
        lines.flush()
        if lines.lines:
            return "\n".join(lines.lines) + "\n"
    return ""


class _Lines:
    """Text gathered into lines of collapsed white space."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.parts: list[str] = []
        self.item = False

    def flush(self) -> None:
        line = " ".join("".join(self.parts).split())
        self.parts.clear()
        if line:
            self.lines.append(f"- {line}" if self.item else line)
            # A list item keeps its prefix until its first non-empty line, so <li><p>… works.
            self.item = False


class _Scope:
    """The text inside one kind of main-content element; nesting is counted to find its end."""

    def __init__(self, tag: str | None) -> None:
        self.tag, self.depth, self.lines = tag, 0, _Lines()


class _TextParser(HTMLParser):
    """Gather the text of the whole page and, separately, of its main-content elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = _Lines()
        self.role = _Scope(None)  # its tag is whichever element carries role="main"
        self.scopes = [_Scope("article"), _Scope("main"), self.role]
        self.skipped: list[str] = []
        self.pre = 0

    def _active(self) -> list[_Lines]:
        return [self.page] + [scope.lines for scope in self.scopes if scope.depth]

    def _break(self, *, item: bool | None = None) -> None:
        for lines in self._active():
            lines.flush()
            lines.item = lines.item if item is None else item

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipped:
            if tag in _DROPPED:
                self.skipped.append(tag)
            return
        # The page's header is a banner, but an article's header holds its headline and byline.
        if tag in _DROPPED and not (tag == "header" and any(scope.depth for scope in self.scopes)):
            self.skipped.append(tag)
            return
        if tag in _BLOCKS:
            self._break(item=True if tag == "li" else None)
        if ("role", "main") in attrs and not self.role.depth:
            self.role.tag = tag
        for scope in self.scopes:
            scope.depth += tag == scope.tag
        self.pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if self.skipped:
            if tag in self.skipped:
                # Close the innermost such element, and any left unclosed inside it.
                del self.skipped[len(self.skipped) - 1 - self.skipped[::-1].index(tag) :]
            return
        if tag in _BLOCKS:
            self._break(item=False if tag == "li" else None)
        for scope in self.scopes:
            scope.depth -= tag == scope.tag and scope.depth > 0
        self.role.tag = self.role.tag if self.role.depth else None
        self.pre -= tag == "pre" and self.pre > 0
        if tag in {"td", "th"}:
            self.handle_data(" ")  # keep table cells apart

    def handle_data(self, data: str) -> None:
        if self.skipped:
            return
        # Inside <pre> a newline is a line break; elsewhere it is only white space.
        for index, chunk in enumerate(data.split("\n") if self.pre else [data]):
            if index:
                self._break()
            for lines in self._active():
                lines.parts.append(chunk)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_state(path: Path) -> dict[str, Any]:
    """Return the saved fetch state, or nothing if it is missing or unreadable (forcing a full fetch)."""
    try:
        state = json.loads(read_file(path, limit=_STATE_LIMIT))
    except (OSError, ValueError, PathError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(path: Path, state: dict[str, Any]) -> None:
    state["fetched_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write_atomic(path, (json.dumps(state, sort_keys=True, indent=2) + "\n").encode("utf-8"))
