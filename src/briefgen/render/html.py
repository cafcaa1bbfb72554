"""Render a Brief to HTML with Jinja2: print HTML for WeasyPrint, or a standalone page for screens."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from briefgen.brief import Brief, Item, Table
from briefgen.errors import BuildError, PathError
from briefgen.paths import inside, read_file
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
    screen_css = Markup("")
    if media == "screen":
        # Our own file, inlined so the .html stands alone; guard against it closing the element.
        css = _read_template_file(root, "assets/css/screen.css")
        screen_css = Markup(css.replace("</", "<\\/"))
    notes = _Notes()

    def column_widths(table: Table) -> list[float]:
        return shape.column_widths(table, width_pt=shape.TEXT_WIDTH_PT, style=brief.citation_style)

    try:
        return env.get_template("paper.html.j2").render(
            brief=brief,
            media=media,
            style=brief.citation_style.value,
            screen_css=screen_css,
            contents=_contents(brief),
            page_breaks=shape.page_breaks(brief),
            endnotes=notes.notes,  # filled while the body renders, read after it
            footnote_of=notes,
            claim_anchor=_first_use("claim-"),
            paragraphs=shape.paragraphs,
            column_widths=column_widths,
            link_url=_link_url,
            heading_text=_heading_text,
        )
    except TemplateError as exc:
        # A sandbox violation, a syntax error or a missing template: the templates' fault, one line.
        message = " ".join(str(exc).split())
        raise BuildError(f"{brief.name}: {_where(exc, root)}{type(exc).__name__}: {message}") from None


def _where(exc: TemplateError, root: Path) -> str:
    """Return 'templates/html/<file>:<line>: ' for where a template went wrong, if known, else ''."""
    if isinstance(exc, TemplateSyntaxError) and exc.name:
        return f"templates/html/{exc.name}:{exc.lineno}: "
    # Jinja2 rewrites the traceback of an error at run time so that its frames name template lines.
    where = ""
    html = str(root.resolve() / "html")
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(html + os.sep):
            where = f"templates/html/{filename[len(html) + 1 :]}:{tb.tb_lineno}: "
        tb = tb.tb_next
    return where


#: A template or stylesheet is a few kilobytes; a bigger file is a mistake.
MAX_TEMPLATE_BYTES = 1024 * 1024


def _read_template_file(root: Path, relative: str) -> str:
    """Read a file of the templates folder that resolves inside it; raise BuildError if it cannot be."""
    try:
        data = read_file(inside(root, relative), limit=MAX_TEMPLATE_BYTES, shown=relative)
        return data.decode("utf-8")
    except PathError as exc:
        raise BuildError(str(exc)) from None
    except OSError as exc:
        raise BuildError(f"{relative}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise BuildError(f"{relative}: not UTF-8 (bad byte at offset {exc.start})") from None


class ContainedLoader(BaseLoader):
    """Load templates from one folder, refusing any that resolves outside it or is not a regular file.

    Jinja2's FileSystemLoader refuses `..` but follows symbolic links, so a link under html/ could
    `{% include %}` any file on the machine into a paper.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        """Return a template's text, its file name and a check that it has not changed since."""
        relative = "/".join(split_template_path(template))  # refuses '..'
        try:
            path = inside(self.folder, relative)
            data = read_file(path, limit=MAX_TEMPLATE_BYTES, shown=relative)
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            raise TemplateNotFound(template) from None
        except PathError as exc:
            raise BuildError(f"template {exc.shown}: {exc.reason}") from None
        except OSError as exc:
            raise BuildError(f"template {relative}: cannot read: {exc.strerror}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BuildError(f"template {relative}: not UTF-8 (bad byte at offset {exc.start})") from None

        def uptodate() -> bool:
            try:
                return path.stat().st_mtime_ns == mtime
            except OSError:
                return False

        return text, str(path), uptodate


#: Words longer than this get a zero-width space every BREAK_EVERY characters, so that a line, or
#: a table column, can break them; a line breaks at one only if it must. Not CSS `overflow-wrap`:
#: WeasyPrint 70 then also breaks ordinary words in the middle ("Sou-rces") where a line ends at
#: an inline element, changing every paper. Web addresses are left alone: a link's address must
#: stay whole. `check` warns about such words (check.MAX_WORD_CHARS).
LONG_WORD_CHARS = 40
BREAK_EVERY = 10
_LONG_WORD = re.compile(rf"[^\s\u200b]{{{LONG_WORD_CHARS + 1},}}")


def _breakable(value: object) -> object:
    """Give over-long words of a template value break opportunities; leave markup and addresses alone."""
    if not isinstance(value, str) or isinstance(value, Markup) or len(value) <= LONG_WORD_CHARS:
        return value

    def split(match: re.Match[str]) -> str:
        word = match.group()
        if "://" in word or "www." in word or word.startswith("mailto:"):
            return word
        return "\u200b".join(word[i : i + BREAK_EVERY] for i in range(0, len(word), BREAK_EVERY))

    return _LONG_WORD.sub(split, value)


@lru_cache(maxsize=4)
def _environment(root: Path) -> SandboxedEnvironment:
    """Build the Jinja2 environment for one templates folder, once."""
    return SandboxedEnvironment(
        loader=ContainedLoader(root / "html"),
        finalize=_breakable,
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
