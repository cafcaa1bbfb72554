"""Untagged marked content becomes pagination artifacts (render/artifacts.py), on hand-made pydyf PDFs.

WeasyPrint draws the page-margin boxes last, so in real papers their MCIDs end each page's list;
these cases also cover one that comes first (the MCIDs after it are renumbered) and the shapes
the step refuses rather than guess at.
"""

from __future__ import annotations

import pydyf
import pytest

from briefgen.errors import BuildError
from briefgen.render.artifacts import mark_pagination_artifacts


def _pdf(*, margin_first: bool) -> tuple[pydyf.PDF, pydyf.Stream, pydyf.Dictionary]:
    """Return a one-page tagged PDF drawing a header (untagged) and a paragraph; and its stream and P."""
    pdf = pydyf.PDF()
    stream = pydyf.Stream()
    pdf.add_object(stream)
    pdf.add_page(pydyf.Dictionary({"Type": "/Page", "Contents": stream.reference, "StructParents": 0}))
    parent_tree = pydyf.Dictionary({"Nums": pydyf.Array()})
    pdf.add_object(parent_tree)
    root = pydyf.Dictionary({"Type": "/StructTreeRoot", "ParentTree": parent_tree.reference})
    pdf.add_object(root)
    document = pydyf.Dictionary({"Type": "/StructElem", "S": "/Document", "P": root.reference})
    pdf.add_object(document)
    root["K"] = pydyf.Array([document.reference])
    page = pdf.page_references[0]
    header = pydyf.Dictionary({"Type": "/StructElem", "S": "/Div", "P": document.reference, "Pg": page})
    paragraph = pydyf.Dictionary({"Type": "/StructElem", "S": "/P", "P": document.reference, "Pg": page})
    for element in (header, paragraph):
        pdf.add_object(element)
    document["K"] = pydyf.Array([paragraph.reference])  # the header is left out, as WeasyPrint does
    order = [(header, "Running header"), (paragraph, "Body")]
    if not margin_first:
        order.reverse()
    for mcid, (element, text) in enumerate(order):
        element["K"] = pydyf.Array([mcid])
        stream.begin_marked_content("Span", pydyf.Dictionary({"MCID": mcid}))
        stream.stream.append(f"({text}) Tj".encode())
        stream.end_marked_content()
    parent_tree["Nums"].extend([0, pydyf.Array([element.reference for element, _ in order])])
    pdf.catalog["StructTreeRoot"] = root.reference
    return pdf, stream, paragraph


@pytest.mark.parametrize("margin_first", [True, False])
def test_untagged_content_becomes_a_pagination_artifact(margin_first: bool) -> None:
    pdf, stream, paragraph = _pdf(margin_first=margin_first)
    assert mark_pagination_artifacts(pdf) == 1
    items = stream.stream
    header = items.index(b"(Running header) Tj")
    assert items[header - 3 : header] == ["/Artifact", {"Type": "/Pagination"}, b"BDC"]
    body = items.index(b"(Body) Tj")
    assert items[body - 3 : body] == ["/Span", {"MCID": 0}, b"BDC"]  # renumbered if it was 1
    assert list(paragraph["K"]) == [0]
    root = pdf.objects[int(pdf.catalog["StructTreeRoot"].split()[0])]
    nums = pdf.objects[int(root["ParentTree"].split()[0])]["Nums"]
    assert list(nums[1]) == [paragraph.reference]
    assert not [o for o in pdf.objects if isinstance(o, dict) and o.get("S") == "/Div"]  # emptied


def test_a_pdf_without_tags_is_left_alone() -> None:
    pdf = pydyf.PDF()
    assert mark_pagination_artifacts(pdf) == 0


def test_an_untagged_mcid_missing_from_the_page_stream_fails_the_build() -> None:
    pdf, stream, _ = _pdf(margin_first=False)
    stream.stream[:] = [item for item in stream.stream if item != b"(Running header) Tj"][:4]
    with pytest.raises(BuildError, match=r"^page 1: MCIDs 1 are not in the page's content stream$"):
        mark_pagination_artifacts(pdf)
