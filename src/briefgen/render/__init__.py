"""Renderers: a Brief in, HTML, PDF or Word out; where the templates and assets live.

The PDF and Word writers pull in heavy libraries, so they are imported from their own modules
(`briefgen.render.pdf`, `briefgen.render.docx`) when needed, never from here.
"""

from __future__ import annotations

import os
from pathlib import Path

TEMPLATES_ENV = "BRIEFGEN_TEMPLATES"

# WeasyPrint messages known to be harmless; every other WARNING or ERROR from the "weasyprint"
# logger fails the build (render/pdf.py), and fails a test (tests/conftest.py).
# - "Using fontTools instead of HarfBuzz-Subset": logged when the system lacks libharfbuzz-subset;
#   fontTools then subsets the fonts, which still embeds every glyph used (checked in the tests).
HARMLESS_WEASYPRINT_MESSAGES: tuple[str, ...] = ("Using fontTools instead of HarfBuzz-Subset",)


def templates_dir() -> Path:
    """Return the templates folder: $BRIEFGEN_TEMPLATES if set, else the package's `templates/`.

    In a checkout, `src/briefgen/templates` is a link to the repository's `templates/` (the folder
    to edit); an installed wheel carries a copy of it there. A checkout made without links (the
    link is then a small file) falls back to the repository's folder.
    """
    override = os.environ.get(TEMPLATES_ENV)
    if override:
        return Path(override).resolve()
    package = Path(__file__).resolve().parents[1]
    packaged = (package / "templates").resolve()
    return packaged if packaged.is_dir() else package.parents[1] / "templates"


def assets_dir() -> Path:
    """Return the folder of fonts and stylesheets that the PDF renderer may read, symlinks resolved."""
    return (templates_dir() / "assets").resolve()
