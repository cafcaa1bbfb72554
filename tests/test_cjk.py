"""Japanese text: drawn in the PDF, set in Word's East Asian font, and checked against installed fonts."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from briefgen.check import check_summary
from briefgen.glyphs import FALLBACK_FAMILY, uncovered
from briefgen.model import Audience, Format, Length
from briefgen.render import assets_dir
from briefgen.run import build_papers

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
NAME = "高市早苗"  # Sanae Takaichi, Japan's Prime Minister, in kanji
# The short and full text of claims[0] in good_minimal.yaml, the minister's priority-1 claim.
SHORT = "Foreign and defence ministers will meet in a 2+2 format within the year."
FULL = "The leaders agreed to hold a Foreign and Defence Ministers' 2+2 meeting within the year."


def _build(tmp: Path, replacements: dict[str, str]) -> Path:
    """Build the one-page minister's paper, PDF and Word, of good_minimal.yaml with text replaced."""
    shutil.copytree(ROOT / "seeds", tmp / "seeds")
    (tmp / "briefs").mkdir()
    text = (DATA / "good_minimal.yaml").read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    summary = tmp / "briefs" / "summary.yaml"
    summary.write_text(text, encoding="utf-8")
    # The minimal summary has too few key points for a one-page paper's quality gate.
    results = build_papers(
        summary,
        out=tmp / "out",
        length=Length.ONE_PAGE,
        audience=Audience.MINISTER,
        formats=[Format.PDF, Format.DOCX],
        allow_warnings=True,
    )
    # Any warning WeasyPrint logs, such as an empty box drawn for a character no font has, fails it.
    assert not results.failures, results.failures
    return tmp / "out" / "uk-japan-minimal"


@pytest.fixture(scope="module")
def japanese(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder of a paper whose lead claim names the Prime Minister in kanji."""
    return _build(
        tmp_path_factory.mktemp("japanese"),
        {
            SHORT: f"{NAME} and Keir Starmer agreed a 2+2 meeting of ministers this year.",
            FULL: f"Prime Minister Sanae Takaichi ({NAME}) and Keir Starmer agreed to hold a 2+2 meeting.",
        },
    )


def _fonts(reader: PdfReader) -> dict[str, Any]:
    """Return the font descriptor of every font on every page, by base font name."""
    fonts: dict[str, Any] = {}
    for page in reader.pages:
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)
        fonts_of_page = resources["/Font"]
        assert isinstance(fonts_of_page, DictionaryObject)
        for ref in fonts_of_page.values():
            font = ref.get_object()
            if "/DescendantFonts" in font:  # a composite (CID) font describes its one descendant
                font = font["/DescendantFonts"][0].get_object()
            fonts[str(font["/BaseFont"])] = font.get("/FontDescriptor")
    return fonts


def test_pdf_embeds_a_subset_of_noto_sans_cjk_and_the_name_extracts(japanese: Path) -> None:
    reader = PdfReader(japanese / "one-page-minister.pdf")
    assert NAME in reader.pages[0].extract_text()
    fonts = _fonts(reader)
    cjk = [name for name in fonts if "Noto" in name]
    assert len(cjk) == 1, fonts.keys()
    # A subset is named with a six-letter tag; the CFF outlines are embedded as FontFile3.
    assert re.fullmatch(r"/[A-Z]{6}\+Noto-Sans-CJK-JP", cjk[0]), cjk
    assert "/FontFile3" in fonts[cjk[0]]
    # Liberation Sans still sets everything else.
    assert any("Liberation-Sans" in name for name in fonts)


def test_pdf_without_cjk_text_embeds_no_cjk_font(tmp_path: Path) -> None:
    folder = _build(tmp_path, {})
    fonts = _fonts(PdfReader(folder / "one-page-minister.pdf"))
    assert not [name for name in fonts if "Noto" in name], fonts.keys()


def test_print_css_falls_back_to_the_font_check_reads() -> None:
    css = (assets_dir() / "css" / "print.css").read_text(encoding="utf-8")
    assert f'font-family: "Liberation Sans", "{FALLBACK_FAMILY}",' in css


def _east_asian_fonts(document: Any) -> Iterator[str]:
    """Yield the East Asian font named in the document defaults and each style."""
    for rfonts in document.styles.element.iter(qn("w:rFonts")):
        east_asian = rfonts.get(qn("w:eastAsia"))
        if east_asian:
            yield east_asian


def test_docx_holds_the_name_and_sets_the_east_asian_font(japanese: Path) -> None:
    document = docx.Document(str(japanese / "one-page-minister.docx"))
    text = "".join(t.text or "" for t in document.element.body.iter(qn("w:t")))
    assert NAME in text
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rfonts = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == FALLBACK_FAMILY
    assert set(_east_asian_fonts(document)) == {FALLBACK_FAMILY}
    # No run overrides it with a font of its own.
    assert not list(document.element.body.iter(qn("w:rFonts")))


def test_libreoffice_draws_the_name_from_the_docx(japanese: Path, tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(japanese / "one-page-minister.docx"),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    reader = PdfReader(tmp_path / "one-page-minister.pdf")
    assert NAME in "".join(page.extract_text() for page in reader.pages)
    assert any("NotoSansCJKjp" in name.replace("-", "") for name in _fonts(reader)), _fonts(reader).keys()


def test_check_names_a_character_no_installed_font_has() -> None:
    name = "tests/data/character_no_font.yaml"
    report = check_summary(DATA / "character_no_font.yaml", display=name, root=ROOT)
    # The kanji in claims[2].short are fine; the nazar amulet emoji in claims[2].full is not.
    assert [str(p) for p in report.problems if "installed font" in p.message] == [
        f"{name}:67:5: claims[2].full: character '🧿' (U+1F9FF) is in no installed font"
    ]


def test_check_names_several_characters_of_one_field_in_one_line(tmp_path: Path) -> None:
    text = (DATA / "character_no_font.yaml").read_text(encoding="utf-8")
    summary = tmp_path / "summary.yaml"
    # Linear B syllables, which no installed font has either, six of them after the amulet.
    linear_b = "".join(chr(0x10000 + i) for i in range(6))
    summary.write_text(text.replace("🧿", f"🧿 {linear_b}"), encoding="utf-8")
    report = check_summary(summary, display="s.yaml", root=ROOT)
    assert [str(p) for p in report.problems if "installed font" in p.message] == [
        "s.yaml:67:5: claims[2].full: characters '🧿' (U+1F9FF), '\U00010000' (U+10000), '\U00010001' "
        "(U+10001), '\U00010002' (U+10002), '\U00010003' (U+10003) and 2 more are in no installed font"
    ]


def test_uncovered_skips_what_is_never_drawn_and_names_each_character_once() -> None:
    assert uncovered(f"{NAME} (Takaichi), café\u200b\ufe0f\n") == []
    assert uncovered("\U0001f9ff a \U00010000 \U0001f9ff") == ["\U0001f9ff", "\U00010000"]
