"""Make tagged content that a PDF's structure tree does not reach into pagination artifacts, before writing.

WeasyPrint 70 marks the text of page-margin boxes (`@top-center`, `@bottom-right`…) as tagged
content with MCIDs and builds structure elements for it, but leaves those elements out of the
structure tree: "It could be included in tree as Artifact, but that's only allowed in PDF 2.0"
(weasyprint/pdf/tags.py). PDF/UA-1 wants every piece of content either in the tree or marked as
an artifact (page-validation 0.11 does not check this): as written, the marking and "Page N of M"
are content on every page, just not content the tree can reach. The repeated header rows of a
table joined by `table_tags` are left the same way. `mark_pagination_artifacts` takes the pydyf
PDF that WeasyPrint hands a `finisher`, finds every MCID whose structure element the tree does
not reach, rewrites that marked-content sequence in the page's content stream as
`/Artifact <</Type /Pagination>> BDC`, drops it from the parent tree (renumbering the MCIDs that
follow, if any), and empties the detached structure elements. It refuses (BuildError) anything
it does not recognise, so a WeasyPrint that tags differently fails the build instead of writing
a PDF that claims what it is not.
"""

from __future__ import annotations

from typing import Any

import pydyf

from briefgen.errors import BuildError


def number_of(reference: Any) -> int:
    """Return the object number of a pydyf reference (b"12 0 R")."""
    if isinstance(reference, pydyf.Object):
        return int(reference.number)
    text = reference.decode() if isinstance(reference, bytes) else str(reference)
    return int(text.split()[0])


def _kids(element: pydyf.Dictionary) -> list[Any]:
    kids = element.get("K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, list) else [kids]


def _reachable(objects: list[Any], root: pydyf.Dictionary) -> set[int]:
    """Return the object numbers of the structure elements the structure tree reaches."""
    seen: set[int] = set()
    pending = [number_of(reference) for reference in _kids(root)]
    while pending:
        number = pending.pop()
        if number in seen:
            continue
        element = objects[number]
        if not isinstance(element, dict) or element.get("Type") != "/StructElem":
            continue  # an OBJR (link annotation) or an MCID dictionary
        seen.add(number)
        pending.extend(number_of(kid) for kid in _kids(element) if not isinstance(kid, int))
    return seen


def _page_streams(pdf: pydyf.PDF) -> list[pydyf.Stream]:
    kids = pdf.pages["Kids"]
    streams = []
    for page_number in kids[::3]:  # pydyf lists a page as number, 0, "R"
        contents = pdf.objects[page_number]["Contents"]
        stream = pdf.objects[number_of(contents)]
        if not isinstance(stream, pydyf.Stream):
            raise BuildError(f"page object {page_number} has no single content stream")
        streams.append(stream)
    return streams


def _rewrite_stream(stream: pydyf.Stream, untagged: set[int], renumber: dict[int, int]) -> set[int]:
    """Turn the untagged MCIDs' sequences into pagination artifacts; renumber the others.

    pydyf keeps a stream as a list of operations; WeasyPrint's marked content is three of them:
    the tag ("/Span"), the property list (a Dictionary with MCID) and b"BDC".
    """
    found: set[int] = set()
    items = stream.stream
    for index in range(1, len(items) - 1):
        properties = items[index]
        if not (isinstance(properties, pydyf.Dictionary) and "MCID" in properties):
            continue
        if items[index + 1] != b"BDC" or not str(items[index - 1]).startswith("/"):
            raise BuildError(f"MCID {properties['MCID']} is not in a `/Tag <<…>> BDC` sequence")
        mcid = int(properties["MCID"])
        if mcid in untagged:
            items[index - 1] = "/Artifact"
            items[index] = pydyf.Dictionary({"Type": "/Pagination"})
            found.add(mcid)
        elif mcid in renumber:
            properties["MCID"] = renumber[mcid]
    return found


def mark_pagination_artifacts(pdf: pydyf.PDF) -> int:
    """Make content that the structure tree does not reach into pagination artifacts; return how many.

    Does nothing to a PDF without a structure tree.
    """
    if "StructTreeRoot" not in pdf.catalog:
        return 0
    objects = pdf.objects
    root = objects[number_of(pdf.catalog["StructTreeRoot"])]
    reachable = _reachable(objects, root)
    nums = objects[number_of(root["ParentTree"])]["Nums"]
    streams = _page_streams(pdf)
    pages = {number_of(reference): index for index, reference in enumerate(pdf.page_references)}
    detached: set[int] = set()
    changed = 0
    for key, value in zip(nums[::2], nums[1::2], strict=True):
        if key >= len(streams):  # an annotation's StructParent: its element must be in the tree
            if number_of(value) not in reachable:
                raise BuildError(f"annotation {key} belongs to a structure element outside the tree")
            continue
        untagged = {mcid for mcid, ref in enumerate(value) if number_of(ref) not in reachable}
        if not untagged:
            continue
        kept = [mcid for mcid in range(len(value)) if mcid not in untagged]
        renumber = {old: new for new, old in enumerate(kept) if old != new}
        found = _rewrite_stream(streams[key], untagged, renumber)
        if found != untagged:
            missing = ", ".join(str(m) for m in sorted(untagged - found))
            raise BuildError(f"page {key + 1}: MCIDs {missing} are not in the page's content stream")
        if renumber:
            _renumber_kids(objects, reachable, pages, key, renumber)
        detached.update(number_of(value[mcid]) for mcid in untagged)
        value[:] = [value[mcid] for mcid in kept]
        changed += len(untagged)
    _empty_detached(objects, detached, reachable)
    return changed


def _renumber_kids(
    objects: list[Any], reachable: set[int], pages: dict[int, int], page: int, renumber: dict[int, int]
) -> None:
    """Renumber the MCIDs that structure elements on `page` hold, after some became artifacts."""
    for number in reachable:
        element = objects[number]
        kids = element.get("K")
        if "Pg" not in element:
            if isinstance(kids, int) or any(isinstance(kid, int) for kid in kids or ()):
                raise BuildError(f"structure element {number} holds MCIDs but names no page")
            continue
        if pages.get(number_of(element["Pg"])) != page:
            continue
        if isinstance(kids, list):
            kids[:] = [renumber.get(kid, kid) if isinstance(kid, int) else kid for kid in kids]
        elif isinstance(kids, int):
            element["K"] = renumber.get(kids, kids)


def _empty_detached(objects: list[Any], detached: set[int], reachable: set[int]) -> None:
    """Empty the structure elements of the artifacts, and their detached parents, so no text is left.

    pydyf cannot remove an object once numbered; an empty dictionary nothing refers to is inert.
    """
    pending = list(detached)
    while pending:
        number = pending.pop()
        element = objects[number]
        if number in reachable or not isinstance(element, dict) or not element:
            continue
        parent = element.get("P")
        element.clear()
        if parent is not None:
            pending.append(number_of(parent))
