"""Lay out print HTML with WeasyPrint and write a tagged, reproducible PDF/UA-1 file.

WeasyPrint is imported here and nowhere else; import this module only when a PDF is wanted.
Every resource WeasyPrint asks for goes through `AssetFetcher`, which reads nothing outside
`templates/assets/`, and every warning or error WeasyPrint logs fails the build.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import mimetypes
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from briefgen.errors import BuildError
from briefgen.render import HARMLESS_WEASYPRINT_MESSAGES, assets_dir
from briefgen.render.artifacts import mark_pagination_artifacts
from briefgen.render.table_tags import join_table_fragments
from briefgen.writing import write_atomic


@contextmanager
def _libraries_from_one_ldconfig() -> Iterator[None]:
    """Answer ctypes' library look-ups from a single `ldconfig -p` while WeasyPrint loads.

    WeasyPrint tries several names for each of its seven C libraries, and for every name
    `ctypes.util.find_library` starts `ldconfig`, then `gcc` and `ld` when that fails: some twenty
    subprocesses and a third of a cold PDF build. One `ldconfig -p` answers them all. Where it
    cannot be run (not glibc), nothing is changed.
    """
    import ctypes.util
    import re
    import struct
    import subprocess

    try:
        listing = subprocess.run(
            ["/sbin/ldconfig", "-p"],
            capture_output=True,
            check=True,
            timeout=10,
            env={"LC_ALL": "C", "LANG": "C"},
        ).stdout
    except (OSError, subprocess.SubprocessError):
        yield
        return
    machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
    abi = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "s390x-64": "libc6,64bit"}.get(
        machine, "libc6"
    )
    original = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        found = re.search(os.fsencode(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({abi}"), listing)
        return os.fsdecode(found.group(1)) if found else None

    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = original


def _import_weasyprint() -> None:
    """Import WeasyPrint quickly, falling back to the ordinary, slower look-ups if that fails."""
    # Without libharfbuzz-subset WeasyPrint warns at import that it will need it one day; fontTools
    # subsets the fonts meanwhile (see _HARMLESS). Only that warning is silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning
        )
        try:
            with _libraries_from_one_ldconfig():
                importlib.import_module("weasyprint")
        except OSError:
            for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
                del sys.modules[name]
            importlib.import_module("weasyprint")


_import_weasyprint()
import weasyprint  # noqa: E402 - loaded just above, with fast library look-ups
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url  # noqa: E402

Document = Any  # weasyprint.document.Document; WeasyPrint ships no type information

_LOGGER = logging.getLogger("weasyprint")
# Make sure warnings reach our handler even if the application quietened the root logger.
if _LOGGER.getEffectiveLevel() > logging.WARNING:
    _LOGGER.setLevel(logging.WARNING)

_HARMLESS = HARMLESS_WEASYPRINT_MESSAGES

# One font configuration for every document: @font-face fonts are loaded once and reused.
# WeasyPrint, Pango and fontconfig are not safe to drive from two threads at once, hence the lock.
_FONT_CONFIG = FontConfiguration()
_RENDER_LOCK = threading.Lock()

_PDF_OPTIONS: dict[str, Any] = {
    "pdf_variant": "pdf/ua-1",  # tagged PDF 1.7 with PDF/UA identification in XMP
    "pdf_identifier": True,  # /ID from an MD5 of the content: stable for stable input
    "uncompressed_pdf": False,
}


class FetchRefusedError(ValueError):
    """A URL was refused because it is not data: or a file under templates/assets/."""


class AssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
    """Fetch only `data:` URLs and `file:` URLs that resolve inside the assets folder; refuse the rest.

    Refused URLs are recorded in `refused`, fetched files in `fetched`, so tests can see what was asked.
    """

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.root = (root or assets_dir()).resolve()
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Return the resource at `url`, or raise FetchRefusedError without touching anything."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._asset_path(url)
            if path is not None:
                self.fetched.append(url)
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})
        self.refused.append(url)
        raise FetchRefusedError(f"refused to fetch {url!r}: only files under {self.root} may be read")

    def _asset_path(self, url: str) -> Path | None:
        """Return the file a file: URL names if it exists inside the assets folder, else None."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return None
        if not path.is_file() or not path.is_relative_to(self.root):
            return None
        return path


def render_document(html: str) -> Document:
    """Lay out print HTML (from `render_html(media="print")`) into pages; raise BuildError on any problem."""
    fetcher = AssetFetcher()
    with _render_lock(), _weasyprint_problems_fail("laying out the PDF"):
        document = weasyprint.HTML(
            string=html, base_url=path2url(str(fetcher.root) + os.sep), url_fetcher=fetcher
        ).render(font_config=_FONT_CONFIG, **_PDF_OPTIONS)
    _set_dates(document)
    _remember_heading_pages(html, document)
    return document


# The heading pages of the last few layouts, by their HTML: the Word writer asks for the pages of
# the paper the PDF was just laid out for, and should not lay it out a second time.
_HEADING_PAGES: dict[str, dict[str, int]] = {}
_HEADING_PAGES_KEPT = 16
_HEADING_PAGES_LOCK = threading.Lock()


def _layout_key(html: str) -> str:
    return hashlib.sha256(f"{assets_dir()}\0{html}".encode()).hexdigest()


def _pages_of_headings(document: Document) -> dict[str, int]:
    """Return the 1-based page each section heading (an element with id "sec-<key>") is on."""
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            if anchor.startswith("sec-"):
                pages.setdefault(anchor[len("sec-") :], number)
    return pages


def _remember_heading_pages(html: str, document: Document) -> None:
    with _HEADING_PAGES_LOCK:
        _HEADING_PAGES[_layout_key(html)] = _pages_of_headings(document)
        while len(_HEADING_PAGES) > _HEADING_PAGES_KEPT:
            del _HEADING_PAGES[next(iter(_HEADING_PAGES))]


def heading_pages(source: Document | str) -> dict[str, int]:
    """Return the page each section heading is on, by section key, in a laid-out document or print HTML.

    HTML laid out lately (by `render_document`) is not laid out again.
    """
    if isinstance(source, str):
        with _HEADING_PAGES_LOCK:
            known = _HEADING_PAGES.get(_layout_key(source))
        if known is not None:
            return dict(known)
        source = render_document(source)
    return _pages_of_headings(source)


def page_count(html: str) -> int:
    """Return the number of pages the print HTML lays out to."""
    return len(render_document(html).pages)


_MM_PER_PX = 25.4 / 96  # WeasyPrint measures in CSS pixels


def _body_bottom(box: Any) -> float | None:
    """Return the lowest edge of anything drawn in a box's subtree (text, image, border), or None.

    Margin boxes (the marking and page number) are not body; nor are containers that draw nothing.
    """
    boxes = importlib.import_module("weasyprint.formatting_structure.boxes")
    if isinstance(box, boxes.MarginBox):
        return None
    lowest: float | None = None
    drawn = isinstance(box, boxes.LineBox | boxes.ReplacedBox) or (
        box.border_bottom_width > 0 or box.padding_bottom > 0
    )
    if drawn:
        lowest = box.border_box_y() + box.border_height()
    for child in getattr(box, "children", ()):
        bottom = _body_bottom(child)
        if bottom is not None and (lowest is None or bottom > lowest):
            lowest = bottom
    return lowest


class Extent(NamedTuple):
    """How far a paper's body runs: its pages, and the room left below it on the last of them."""

    pages: int  # pages holding body content
    room_mm: float  # free height below the body on the last of them
    page_mm: float  # the body's height on a full page there

    @property
    def filled(self) -> float:
        """Return the pages the body fills, in fractions of a page (2.25: two pages and a quarter)."""
        return self.pages - (self.room_mm / self.page_mm if self.page_mm else 0.0)


def body_extent(document: Document) -> Extent:
    """Return how many pages hold body content, and the room (mm) left below it on the last of them.

    A page with only its margin boxes (marking, page number) holds no body and is not counted;
    the one-page fitter uses the room to keep a reserve for Word at the foot of the page.
    """
    # WeasyPrint exposes the laid-out boxes only through the private `_page_box`.
    pages, room, height = 0, 0.0, 0.0
    for number, page in enumerate(document.pages, 1):
        page_box = page._page_box
        bottom = _body_bottom(page_box.children[0]) if page_box.children else None
        if bottom is not None:
            pages = number
            room = (page_box.content_box_y() + page_box.height - bottom) * _MM_PER_PX
            height = page_box.height * _MM_PER_PX
    return Extent(pages, room, height)


def write_pdf(source: Document | str, path: Path | None = None) -> bytes:
    """Write a laid-out document (or print HTML) as PDF/UA-1; return the bytes, saved to `path` if given."""
    document = render_document(source) if isinstance(source, str) else source
    with _render_lock(), _weasyprint_problems_fail("writing the PDF"), _fixed_font_timestamps():
        data: bytes = document.write_pdf(finisher=_finish, **_PDF_OPTIONS)
    if path is not None:
        write_atomic(path, data)
    return data


def _set_dates(document: Document) -> None:
    """Date the PDF from SOURCE_DATE_EPOCH if set (WeasyPrint ignores it); otherwise leave it undated.

    Without <meta name="dcterms.created"> WeasyPrint writes no dates at all, so output stays
    byte-identical either way.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return
    try:
        when = datetime.fromtimestamp(int(epoch), tz=UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise BuildError(f"SOURCE_DATE_EPOCH: not a Unix timestamp: {epoch!r}") from error
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    document.metadata.created = stamp
    document.metadata.modified = stamp


def _finish(document: Document, pdf: Any) -> None:
    """Complete the PDF WeasyPrint made before it is written: classification, tables, header and footer."""
    _add_classification(document, pdf)
    # One Table per table, not one per page; the header rows it repeats are left out of the tree
    # (table_tags.py), so this comes first: the next step makes their text artifacts.
    join_table_fragments(document, pdf)
    # The marking and page numbers of the page-margin boxes: artifacts, not content (artifacts.py).
    mark_pagination_artifacts(pdf)


def _add_classification(document: Document, pdf: Any) -> None:
    """Record the marking (<meta name="Classification">) as a /Classification document property."""
    marking = document.metadata.custom.get("classification")  # WeasyPrint lower-cases meta names
    if marking:
        pdf.info["Classification"] = importlib.import_module("pydyf").String(marking)


@contextmanager
def _fixed_font_timestamps() -> Iterator[None]:
    """Stop fontTools stamping subset fonts with the current time, which breaks byte-identical output.

    fontTools (used to subset fonts when libharfbuzz-subset is missing) writes `head.modified` as
    now, or as SOURCE_DATE_EPOCH when that is set; without it, we write 0 (1904-01-01).
    """
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        yield
        return
    head = importlib.import_module("fontTools.ttLib.tables._h_e_a_d")
    original = getattr(head, "timestampNow")  # noqa: B009  # fontTools is untyped
    setattr(head, "timestampNow", lambda: 0)  # noqa: B010
    try:
        yield
    finally:
        setattr(head, "timestampNow", original)  # noqa: B010


@contextmanager
def _render_lock() -> Iterator[None]:
    with _RENDER_LOCK:
        yield


class _ProblemHandler(logging.Handler):
    """Collect WARNING and above from this thread's WeasyPrint calls."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = record.getMessage()
        if not any(harmless in message for harmless in _HARMLESS):
            self.messages.append(message)


@contextmanager
def _weasyprint_problems_fail(stage: str) -> Iterator[None]:
    """Raise BuildError if WeasyPrint logs a warning or error (missing font, stylesheet, image…)."""
    handler = _ProblemHandler()
    _LOGGER.addHandler(handler)
    try:
        yield
    finally:
        _LOGGER.removeHandler(handler)
    if handler.messages:
        raise BuildError(f"WeasyPrint reported problems while {stage}: " + "; ".join(handler.messages))
