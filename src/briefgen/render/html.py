"""Render a Brief to HTML with Jinja2: print HTML for WeasyPrint, or a standalone page for screens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from briefgen.brief import Brief, Item, Table
from briefgen.render import shape, templates_dir

Media = Literal["print", "screen"]

# Only these schemes become live links; anything else (javascript:, file:, data:) is shown as text.
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})


@dataclass(frozen=True)
class Note:
    """One footnote: its number in the paper and its text."""

    number: int
    text: str


class _Notes:
    """Number an item's footnote as the template reaches it, and keep the notes for the endnotes list."""

    def __init__(self) -> None:
        self.notes: list[Note] = []

    def __call__(self, item: Item) -> Note | None:
        if not item.citations:
            return None
        note = Note(len(self.notes) + 1, shape.footnote_text(item.citations))
        self.notes.append(note)
        return note


@dataclass(frozen=True)
class ContentsEntry:
    """One line of the contents list."""

    anchor: str
    text: str
    level: int


def render_html(brief: Brief, *, media: Media = "print") -> str:
    """Render a paper to HTML: `print` links css/print.css for WeasyPrint, `screen` inlines screen.css."""
    if media not in ("print", "screen"):
        raise ValueError(f"media must be 'print' or 'screen', not {media!r}")
    root = templates_dir()
    env = _environment(root)
    template = env.get_template("paper.html.j2")
    screen_css = Markup("")
    if media == "screen":
        # Our own file, inlined so the .html stands alone; guard against it closing the element.
        css = (root / "assets" / "css" / "screen.css").read_text(encoding="utf-8")
        screen_css = Markup(css.replace("</", "<\\/"))
    notes = _Notes()

    def column_widths(table: Table) -> list[float]:
        return shape.column_widths(table, width_pt=shape.TEXT_WIDTH_PT, style=brief.citation_style)

    return template.render(
        brief=brief,
        media=media,
        style=brief.citation_style.value,
        screen_css=screen_css,
        contents=_contents(brief),
        page_breaks=shape.page_breaks(brief),
        endnotes=notes.notes,  # filled while the body renders, read after it
        footnote_of=notes,
        claim_anchor=_first_use("claim-"),
        split_last_word=shape.split_last_word,
        paragraphs=shape.paragraphs,
        column_widths=column_widths,
        link_url=_link_url,
        heading_text=_heading_text,
    )


@lru_cache(maxsize=4)
def _environment(root: Path) -> SandboxedEnvironment:
    """Build the Jinja2 environment for one templates folder, once."""
    return SandboxedEnvironment(
        loader=FileSystemLoader(root / "html"),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _first_use(prefix: str) -> Callable[[str], str]:
    """Return a function giving `prefix + key` the first time it sees a key and "" after: ids stay unique."""
    seen: set[str] = set()

    def anchor(key: str) -> str:
        if key in seen:
            return ""
        seen.add(key)
        return prefix + key

    return anchor


def _link_url(url: str | None) -> str:
    """Return the URL if it is safe to make a link of it, else ""."""
    if not url:
        return ""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in _LINK_SCHEMES else ""


def _heading_text(number: str | None, heading: str) -> str:
    return f"{number} {heading}" if number else heading


def _contents(brief: Brief) -> list[ContentsEntry]:
    """Return the contents list: level-1 and level-2 sections, in order."""
    return [
        ContentsEntry(f"sec-{s.key}", _heading_text(s.number, s.heading), s.level)
        for s in brief.sections
        if s.level <= 2 and s.heading
    ]
