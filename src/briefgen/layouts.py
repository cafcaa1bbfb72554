"""Read layout files: which sections a paper has, in what order, with which content and budgets."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from briefgen.brief import BlockKind, CitationStyle
from briefgen.errors import BuildError, PathError
from briefgen.model import Audience, Kind, LayoutOverride, Length, Role
from briefgen.paths import inside, read_file

#: A layout is a few kilobytes; a bigger file is a mistake.
MAX_LAYOUT_BYTES = 1024 * 1024


class Content(StrEnum):
    """Where a section's content comes from."""

    CLAIMS = "claims"  # claims chosen by kind and role
    THEMES = "themes"  # one subsection per theme of the summary, each with that theme's claims
    FIXED = "fixed"  # text written in the layout
    DISPUTES = "disputes"  # where sources differ
    REFERENCES = "references"  # the sources, as a list
    GLOSSARY = "glossary"
    TIMELINE = "timeline"
    EVIDENCE = "evidence"  # claim → source → quote → anchor grade
    SOURCES_ANNEX = "sources-annex"  # the minister's annex: claim → source → quote
    EMBED = "embed"  # another layout's sections, as an annex
    SUBMISSION = "submission"  # the submission's header block: From, To, Date, Clearance, Copy, Contact
    TIMING = "timing"  # the submission's timing, else the first next-steps fact
    OPTIONS = "options"  # the submission's options, with pros and cons
    LEGAL = "legal"  # the submission's legal note
    FINANCIAL = "financial"  # the submission's financial note


class Form(StrEnum):
    """Which form of a claim's text to print."""

    SHORT = "short"
    FULL = "full"


class Quotes(StrEnum):
    """Which citations of a claim carry the verbatim quote in their footnote."""

    ALL = "all"
    FIRST = "first"  # the first source quoted; the others are named only (short papers)


class Column(BaseModel):
    """A table column: its header and the claim field it shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: str
    field: str  # text, lead, timeline, binding, likelihood, impact
    width: int = 0


class SectionLayout(BaseModel):
    """One section of a layout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    heading: str | None = None  # None: no heading (e.g. a standfirst)
    level: int = Field(default=1, ge=1, le=3)
    content: Content = Content.CLAIMS
    kinds: list[Kind] = Field(default_factory=list)  # empty: any kind
    roles: list[Role] = Field(default_factory=list)  # empty: any role
    max_items: int | None = None
    words: int | None = None  # word budget for the section's claims (for `themes`: each theme's)
    form: Form | None = None  # None: the layout's default form
    block: BlockKind = BlockKind.PARAGRAPH
    title: str | None = None  # a box's title
    columns: list[Column] = Field(default_factory=list)
    text: str | None = None  # fixed text
    embed: str | None = None  # layout name to embed, for content: embed
    page_break_before: bool = False
    numbered: bool = True  # count this section in the paper's numbering
    reuse: bool = False  # a summary section: its claims may appear again in the body
    ours: bool = False  # only our own assessments, not a source's judgement (key judgements, risk tables)
    spread: bool = False  # take one claim per theme before a second from any (e.g. opportunities by area)


class Layout(BaseModel):
    """A paper's layout: one length for one audience."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    length: Length
    audience: Audience
    subtitle: str
    words: int  # body word budget
    max_pages: int | None = None
    citations: CitationStyle
    quotes: Quotes = Quotes.ALL
    marked: bool = True
    cover: bool = False
    contents: bool = False
    numbered: bool = False
    form: Form = Form.FULL
    cover_lines: list[str] = Field(default_factory=list)
    sections: list[SectionLayout]


def layouts_dir(templates: Path) -> Path:
    """Return the folder of layout files under a templates folder."""
    return templates / "layouts"


@cache
def _read(path: Path, mtime_ns: int) -> Layout:  # the mtime is part of the cache key: edits reload
    try:
        # Layouts are the project's own files, so a plain safe loader will do; the C one is faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(read_file(path, limit=MAX_LAYOUT_BYTES).decode("utf-8"), Loader=loader)
        return Layout.model_validate(data)
    except (OSError, ValueError, yaml.YAMLError, PathError) as exc:  # ValueError: not UTF-8
        raise BuildError(f"{path}: cannot read layout: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BuildError(f"{path}: {where}: {first['msg']}") from None


def load_layout(templates: Path, name: str) -> Layout:
    """Load the layout called `name` (e.g. 'one-page-minister') from a templates folder."""
    try:
        path = inside(templates, f"layouts/{name}.yaml")
    except PathError as exc:
        raise BuildError(f"layout {name!r}: {exc}") from None
    if not path.is_file():
        raise BuildError(f"no layout {name!r} in {layouts_dir(templates)}")
    return _read(path, path.stat().st_mtime_ns)


def apply_override(layout: Layout, override: LayoutOverride | None, *, name: str) -> Layout:
    """Return a layout with a summary's changes applied; an unknown section key is a build error."""
    if override is None:
        return layout
    keys = [s.key for s in layout.sections]
    unknown = [k for k in override.sections if k not in keys]
    if unknown:
        raise BuildError(
            f"layouts.{name}.sections: no section {unknown[0]!r} in layout {name}; known: {', '.join(keys)}"
        )
    sections = []
    for section in layout.sections:
        change = override.sections.get(section.key)
        if change is None:
            sections.append(section)
        elif not change.omit:
            update = {
                field: getattr(change, field)
                for field in ("heading", "text", "words", "max_items")
                if getattr(change, field) is not None
            }
            sections.append(section.model_copy(update=update))
    update_layout: dict[str, object] = {"sections": sections}
    if override.subtitle is not None:
        update_layout["subtitle"] = override.subtitle
    if override.marked is not None:
        update_layout["marked"] = override.marked
    return layout.model_copy(update=update_layout)
