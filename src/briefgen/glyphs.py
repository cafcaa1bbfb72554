"""Tell which characters the installed fonts can draw, and name the summary text that has others.

The PDF sets text in the bundled Liberation Sans and falls back to Noto Sans CJK JP (Debian's
fonts-noto-cjk, found through fontconfig) for Japanese and other CJK text, then to any installed
font that has the character; `print.css` and `tools/make_reference_docx.py` name the same family.
A character no font has would be drawn as an empty box, and the build would fail on WeasyPrint's
warning, which names no claim; so `briefgen check` looks first and names the field. Fonts are read in that
order and only as far as needed, so a summary in Latin script reads only the bundled fonts.
"""

from __future__ import annotations

import functools
import struct
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont

from briefgen.errors import Problem
from briefgen.loading import Locations
from briefgen.model import Summary
from briefgen.render import assets_dir

# Must match the fallback family in templates/assets/css/print.css and the East Asian font in
# tools/make_reference_docx.py.
FALLBACK_FAMILY = "Noto Sans CJK JP"

# The parts of a summary that reach a paper. Every string under them is checked, so a field added
# to the model later is covered without a change here.
_PRINTED = ("subject", "sources", "claims", "disputes", "glossary", "timeline")
# Source fields kept for analysts and never printed: a character no font has there is harmless.
_UNPRINTED = frozenset({"file", "quality_notes"})
# Characters that are never drawn, so need no glyph: controls, format characters such as
# zero-width joiners, line and paragraph separators.
_UNDRAWN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# A field of Japanese text on a machine without the fallback font lacks dozens of characters: one
# line per field names the first few, which says enough.
_NAMED = 5


def uncovered(text: str) -> list[str]:
    """Return the characters of `text` that no installed font has, each once, in order of appearance."""
    bundled = _bundled_code_points()
    others = [c for c in dict.fromkeys(text) if ord(c) not in bundled and not _undrawn(c)]
    if not others:
        return []  # the usual case: the fallback font need not even be looked for
    fallback = _fallback_code_points()
    return [c for c in others if ord(c) not in fallback and not _in_some_installed_font(c)]


def glyph_problems(summary: Summary, locations: Locations, file: str) -> list[Problem]:
    """Return an error for each field of printed summary text with characters no installed font has."""
    # Walk the dumped data, not the model's fields, so that a field added later is checked too.
    data = summary.model_dump(mode="json")
    problems = []
    for root in _PRINTED:
        for path, text in _strings(data.get(root), (root,)):
            missing = uncovered(text)
            if missing:
                line, col = locations.of(path)
                problems.append(Problem(file, line, col, _field(path), _missing_message(missing)))
    return problems


def printed_strings(summary: Summary) -> Iterator[tuple[str, tuple[str | int, ...], str]]:
    """Yield (field name, data path, text) for every string of a summary that a paper may print."""
    data = summary.model_dump(mode="json")
    for root in _PRINTED:
        for path, text in _strings(data.get(root), (root,)):
            yield _field(path), path, text


def _missing_message(chars: list[str]) -> str:
    """Say which characters no font has: all of them if few, the first few and a count if many."""
    named = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in chars[:_NAMED])
    if len(chars) == 1:
        return f"character {named} is in no installed font"
    more = f" and {len(chars) - _NAMED} more" if len(chars) > _NAMED else ""
    return f"characters {named}{more} are in no installed font"


# Each font is read once per process: a second `check` in the same process costs nothing more.
@functools.cache
def _bundled_code_points() -> frozenset[int]:
    """Return the code points every bundled Liberation Sans face can draw."""
    fonts = assets_dir() / "fonts"
    # Only fonts the PDF renderer may read: a link out of the assets folder is skipped, as it refuses it.
    found = sorted(p for p in fonts.glob("*.ttf") if p.resolve().is_relative_to(assets_dir()) and p.is_file())
    return _in_every_face((path, 0) for path in found)


@functools.cache
def _fallback_code_points() -> frozenset[int]:
    """Return the code points the regular and bold FALLBACK_FAMILY faces can draw; none if not installed."""
    return _in_every_face(_fallback_faces())


@functools.cache
def _in_some_installed_font(char: str) -> bool:
    """Ask fontconfig whether any installed font has `char`, as Pango would when the named fonts lack it.

    One process per character, but only for the rare ones neither Liberation Sans nor the fallback has.
    """
    try:
        found = subprocess.run(
            ["fc-list", "-f", "%{file}\n", f":charset={ord(char):x}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False  # no fontconfig: WeasyPrint would find no font either
    return bool(found.strip())


def _fallback_faces() -> list[tuple[Path, int]]:
    """Return the regular and bold faces of FALLBACK_FAMILY as fontconfig finds them, if installed."""
    faces = []
    for style in ("", ":bold"):
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}\t%{index}\t%{family}", FALLBACK_FAMILY + style],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return []  # no fontconfig: WeasyPrint could not find the font either
        file, _, rest = found.partition("\t")
        index, _, families = rest.partition("\t")
        # fc-match always answers, with its best substitute when the family is missing.
        if file and index.isdigit() and FALLBACK_FAMILY in families.split(","):
            faces.append((Path(file), int(index)))
    return faces


def _in_every_face(faces: Iterable[tuple[Path, int]]) -> frozenset[int]:
    """Return the code points every one of `faces` maps, so bold and italic text can draw them too."""
    common: frozenset[int] | None = None
    for path, index in faces:
        points = _code_points(path, index)
        common = points if common is None else common & points
    return common or frozenset()


def _code_points(path: Path, index: int) -> frozenset[int]:
    """Return the code points one font face (`index` within a collection) maps to a glyph."""
    with TTFont(path, fontNumber=index, lazy=True) as font:
        ranges = _format_12_ranges(font.reader["cmap"])
        if ranges is None:
            # A small font without a full-Unicode subtable: fontTools reads it in a millisecond or two.
            return frozenset(font.getBestCmap())
    return frozenset(point for start, end in ranges for point in range(start, end + 1))


def _format_12_ranges(cmap: bytes) -> list[tuple[int, int]] | None:
    """Return the code point ranges of a cmap table's Unicode format-12 subtable, or None if it has none.

    fontTools' getBestCmap names the glyph of every code point, which for a CID-keyed CJK font
    means reading a 65,000-glyph charset: a tenth of a second that `check` need not spend, since
    only which code points are mapped matters. The ranges alone take a few milliseconds.
    """
    (count,) = struct.unpack_from(">H", cmap, 2)
    for platform, encoding, offset in struct.iter_unpack(">HHI", cmap[4 : 4 + 8 * count]):
        unicode_full = (platform, encoding) in ((3, 10), (0, 4), (0, 6))
        if not unicode_full or struct.unpack_from(">H", cmap, offset)[0] != 12:
            continue
        (groups,) = struct.unpack_from(">I", cmap, offset + 12)
        ranges = []
        for start, end, glyph in struct.iter_unpack(">III", cmap[offset + 16 : offset + 16 + 12 * groups]):
            # Glyph 0 is .notdef, the empty box: a code point mapped to it is not covered.
            ranges.append((start + 1 if glyph == 0 else start, end))
        return ranges
    return None


def _undrawn(char: str) -> bool:
    """Tell whether a character is never drawn: a control, format or separator, a variation selector."""
    point = ord(char)
    selector = 0xFE00 <= point <= 0xFE0F or 0xE0100 <= point <= 0xE01EF
    return selector or unicodedata.category(char) in _UNDRAWN_CATEGORIES


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield (path, text) for every string in dumped summary data, skipping unprinted fields."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _UNPRINTED:
                yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*path, i))


def _field(path: tuple[str | int, ...]) -> str:
    """Spell a data path as a field name: ('claims', 3, 'full') -> 'claims[3].full'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text
