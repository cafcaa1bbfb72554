"""Read the style name of a Word paragraph reopened with python-docx, for the tests to compare."""

from __future__ import annotations

from docx.text.paragraph import Paragraph


def style_name(paragraph: Paragraph) -> str:
    """Return the name of a paragraph's style (python-docx types the style as optional)."""
    style = paragraph.style
    # python-docx falls back to the document's default paragraph style, so this holds in practice.
    assert style is not None, f"paragraph without a style: {paragraph.text!r}"
    # `name` is untyped in python-docx; it is None only for a style without a w:name.
    name: str = style.name
    return name
