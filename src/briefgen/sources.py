"""Refresh URL sources: fetch each conditionally, extract its text, store a dated snapshot under seeds/."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from enum import StrEnum
from html.parser import HTMLParser
from http.client import HTTPException, HTTPMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from briefgen import __version__
from briefgen.errors import SourceError
from briefgen.model import Source, Summary

MAX_BYTES = 5 * 1024 * 1024
SNAPSHOT_DIR = "seeds/snapshots"
_SCHEMES = frozenset({"http", "https"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

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


class Response(Protocol):
    """The part of an HTTP response a refresh reads."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Message: ...

    def read(self, amt: int, /) -> bytes: ...

    def close(self) -> None: ...


Opener = Callable[[urllib.request.Request, float], Response]


class _FetchError(Exception):
    """A fetch that produced no usable text; the message is one clause."""


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http and https only (urllib alone would also follow ftp)."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: HTTPMessage, newurl: str
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in _SCHEMES:
            fp.close()
            raise URLError(f"redirect to {newurl} refused; only http and https are followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def default_opener() -> Opener:
    """Return an opener that speaks only http and https, honouring the environment's proxies."""
    # Built by hand: build_opener() would add the file:, ftp: and data: handlers.
    director = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _RedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        director.add_handler(handler)

    def open_url(request: urllib.request.Request, timeout: float) -> Response:
        response: Response = director.open(request, timeout=timeout)
        return response

    return open_url


def refresh_sources(
    summary: Summary,
    root: Path,
    *,
    today: dt.date | None = None,
    timeout: float = 20.0,
    opener: Opener | None = None,
) -> list[RefreshResult]:
    """Fetch every URL source of a summary and update its file under seeds/; never raise for the network."""
    day = today or dt.datetime.now(dt.UTC).date()
    open_url = opener or default_opener()
    return [_refresh(source, root, day, timeout, open_url) for source in summary.sources]


def _refresh(source: Source, root: Path, today: dt.date, timeout: float, opener: Opener) -> RefreshResult:
    url = source.url
    if url is None:
        return RefreshResult(source.id, None, RefreshStatus.SKIPPED, f"{source.id}: no url", None)
    target = root / source.file
    state_path = root / SNAPSHOT_DIR / source.id / "state.json"
    state = _read_state(state_path)
    kept = root / state["snapshot"] if isinstance(state.get("snapshot"), str) else None
    current = _sha256(target.read_bytes()) if target.is_file() else None
    # Validators only describe the text we still hold: after a hand edit or a URL change, fetch it all.
    valid = current is not None and state.get("url") == url and state.get("sha256") == current
    headers = {"User-Agent": f"briefgen/{__version__}", "Accept": "text/html, text/plain;q=0.9"}
    if valid and isinstance(state.get("etag"), str):
        headers["If-None-Match"] = state["etag"]
    if valid and isinstance(state.get("last_modified"), str):
        headers["If-Modified-Since"] = state["last_modified"]
    try:
        fetched = _fetch(url, headers, timeout, opener)
        if fetched is None:
            return RefreshResult(
                source.id, url, RefreshStatus.NOT_MODIFIED, f"{source.id}: not modified", kept
            )
        text, etag, last_modified = fetched
        digest = _sha256(text.encode("utf-8"))
        new_state = {"url": url, "etag": etag, "last_modified": last_modified, "sha256": digest}
        if digest == current:
            # Record fresh validators so the next refresh can get a 304, but keep the snapshot.
            if any(state.get(key) != value for key, value in new_state.items()):
                snapshot = state.get("snapshot") if kept else None
                _write_state(state_path, new_state | {"snapshot": snapshot, "status": "unchanged"})
            return RefreshResult(source.id, url, RefreshStatus.UNCHANGED, f"{source.id}: unchanged", kept)
        snapshot_path = root / SNAPSHOT_DIR / source.id / f"{today.isoformat()}.txt"
        # Snapshot first, the cited file second, the state last: a run cut short leaves state that
        # no longer matches the file, so the next run fetches in full instead of trusting a 304.
        _write_atomic(snapshot_path, text.encode("utf-8"))
        _write_atomic(target, text.encode("utf-8"))
        relative = snapshot_path.relative_to(root).as_posix()
        _write_state(state_path, new_state | {"snapshot": relative, "status": "updated"})
        message = f"{source.id}: updated; wrote {relative}"
        return RefreshResult(source.id, url, RefreshStatus.UPDATED, message, snapshot_path)
    except _FetchError as failure:
        reason = str(failure)
    except OSError as error:
        reason = f"could not write: {_describe(error)}"
    if kept is not None:
        tail = f"kept the snapshot of {kept.stem}"
    else:
        tail = f"kept {source.file}" if current is not None else "nothing stored yet"
    # One line whatever the exception text held.
    message = " ".join(f"{source.id}: {url}: {reason}; {tail}".split())
    return RefreshResult(source.id, url, RefreshStatus.FAILED, message, kept)


def _fetch(
    url: str, headers: dict[str, str], timeout: float, opener: Opener, keep: dict[str, str] | None = None
) -> tuple[str, str | None, str | None] | None:
    """Return (text, etag, last_modified), or None for 304; raise _FetchError for anything else.

    ``keep`` receives the page's HTML under "html", for reading its metadata.
    """
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise _FetchError(f"invalid URL: {error}") from error
    if parts.scheme.lower() not in _SCHEMES or not parts.netloc:
        raise _FetchError("only http and https URLs are fetched")
    try:
        response = opener(urllib.request.Request(url, headers=headers), timeout)
    except HTTPError as error:
        error.close()
        if error.code == 304:
            return None
        raise _FetchError(f"HTTP {error.code} {error.reason}") from error
    except (OSError, HTTPException, ValueError) as error:
        raise _FetchError(_describe(error)) from error
    try:
        if response.status == 304:
            return None
        if not 200 <= response.status < 300:
            raise _FetchError(f"HTTP {response.status}")
        body = response.read(MAX_BYTES + 1)
    except (OSError, HTTPException) as error:
        raise _FetchError(_describe(error)) from error
    finally:
        response.close()
    if len(body) > MAX_BYTES:
        raise _FetchError(f"response larger than {MAX_BYTES // (1024 * 1024)} MB")
    info = response.headers
    if info.get("Content-Type") is None:
        raise _FetchError("response has no Content-Type")
    kind = info.get_content_type()
    if kind not in _HTML_TYPES and not kind.startswith("text/"):
        raise _FetchError(f"not a text page: {kind}")
    try:
        decoded = body.decode(info.get_content_charset() or "utf-8", errors="replace")
    except LookupError:
        decoded = body.decode("utf-8", errors="replace")
    text = decoded.replace("\r\n", "\n").replace("\r", "\n")
    if kind in _HTML_TYPES:
        if keep is not None:
            keep["html"] = text
        text = extract_main_text(text)
    if not text.strip():
        raise _FetchError("the page has no text")
    return text, info.get("ETag"), info.get("Last-Modified")


@dataclass(frozen=True)
class Page:
    """A fetched page: its main text, its HTML (None for plain text) and its validators."""

    text: str
    html: str | None
    etag: str | None
    last_modified: str | None


def fetch_page(url: str, *, timeout: float = 20.0, opener: Opener | None = None) -> Page:
    """Fetch a URL as `sources refresh` does, keeping the HTML; raise SourceError if it fails."""
    keep: dict[str, str] = {}
    headers = {"User-Agent": f"briefgen/{__version__}", "Accept": "text/html, text/plain;q=0.9"}
    try:
        fetched = _fetch(url, headers, timeout, opener or default_opener(), keep)
    except _FetchError as failure:
        raise SourceError(f"{url}: {failure}") from None
    if fetched is None:  # only a conditional request gets a 304, and this one is not
        raise SourceError(f"{url}: the server answered 304 Not Modified to a plain request")
    text, etag, last_modified = fetched
    return Page(text, keep.get("html"), etag, last_modified)


def save_snapshot(root: Path, source_id: str, file: str, page: Page, *, url: str, today: dt.date) -> Path:
    """Store a fetched page as `sources refresh` would: a dated snapshot, the cited file, the state."""
    data = page.text.encode("utf-8")
    snapshot = root / SNAPSHOT_DIR / source_id / f"{today.isoformat()}.txt"
    _write_atomic(snapshot, data)
    _write_atomic(root / file, data)
    state = {"url": url, "etag": page.etag, "last_modified": page.last_modified, "sha256": _sha256(data)}
    relative = snapshot.relative_to(root).as_posix()
    _write_state(
        root / SNAPSHOT_DIR / source_id / "state.json", state | {"snapshot": relative, "status": "updated"}
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


def _describe(error: BaseException) -> str:
    """Turn a network exception into a short lower-case clause."""
    if isinstance(error, URLError) and isinstance(error.reason, BaseException):
        return _describe(error.reason)
    if isinstance(error, URLError):
        text = str(error.reason)
    elif isinstance(error, OSError) and error.strerror:
        text = error.strerror
    else:
        text = str(error) or type(error).__name__
    return text[:1].lower() + text[1:]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_state(path: Path) -> dict[str, Any]:
    """Return the saved fetch state, or nothing if it is missing or unreadable (forcing a full fetch)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(path: Path, state: dict[str, Any]) -> None:
    state["fetched_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    _write_atomic(path, (json.dumps(state, sort_keys=True, indent=2) + "\n").encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file so readers see the old text or the new, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(0o644)  # mkstemp makes 0600; seeds are ordinary project files
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
