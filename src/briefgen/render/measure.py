"""Measure text in the bundled Liberation Sans: widths in points, as both PDF and Word set it.

Liberation Sans has Arial's metrics, so a width measured here holds for the PDF (which embeds
it) and for Word (Arial) and LibreOffice (Liberation Sans for Arial) alike. Characters the font
lacks (CJK text set in the fallback font) count as one em, which is their width there.
"""

from __future__ import annotations

import functools
import re

from fontTools.ttLib import TTFont

from briefgen.render import assets_dir

_FACES = {False: "LiberationSans-Regular.ttf", True: "LiberationSans-Bold.ttf"}
# Characters a line may break after without a space: CJK ideographs, kana, hangul and full-width
# forms. Latin text breaks only at spaces here, though a renderer may also break after a hyphen:
# counting a hyphenated word whole errs on the side of a wide enough column.
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_UNBREAKABLE = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")


@functools.cache
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Return each code point's advance in em, and the width of a missing character, for one face."""
    with TTFont(assets_dir() / "fonts" / _FACES[bold], lazy=True) as font:
        units = float(font["head"].unitsPerEm)
        metrics = font["hmtx"].metrics
        cmap = font.getBestCmap() or {}
        return {code: metrics[glyph][0] / units for code, glyph in cmap.items()}, 1.0


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Return the width in points of `text` set on one line at `size` points."""
    advances, missing = _advances(bold)
    return size * sum(advances.get(ord(char), missing) for char in text)


def longest_unbreakable(text: str, size: float, *, bold: bool = False) -> float:
    """Return the width in points of the widest run of `text` a line cannot break inside."""
    return max((text_width(run, size, bold=bold) for run in _UNBREAKABLE.findall(text)), default=0.0)
