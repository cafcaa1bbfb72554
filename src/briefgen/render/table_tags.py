"""Join the page-by-page fragments of each table in a tagged PDF into one Table, before it is written.

WeasyPrint 70 builds the structure tree one page at a time, so a table that runs over three pages
is tagged as three Tables, each with the header row it repeats at the top of the page. Given the
laid-out document and the pydyf PDF a `finisher` receives, `join_table_fragments` moves the body
rows of each later fragment into the first fragment's TBody, points their cells' `Headers` at the
first header row, and takes the repeated header rows and the emptied fragments out of the tree;
`artifacts.mark_pagination_artifacts`, run next, makes the repeated header rows' text pagination
artifacts. Fragments are matched through the HTML element their table boxes share. Anything
shaped otherwise than expected raises BuildError rather than leave a half-joined table.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pydyf

from briefgen.errors import BuildError
from briefgen.render.artifacts import number_of


def _table_boxes(box: Any, table_type: type) -> Iterator[Any]:
    if isinstance(box, table_type):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _table_boxes(child, table_type)


def _first_mark(box: Any) -> pydyf.Dictionary | None:
    """Return the structure element WeasyPrint left on the first tagged cell of a table box."""
    mark = getattr(box, "mark", None)
    if isinstance(mark, pydyf.Dictionary):
        return mark
    for child in getattr(box, "children", ()):
        found = _first_mark(child)
        if found is not None:
            return found
    return None


def _ancestor(objects: list[Any], element: pydyf.Dictionary, tag: str) -> pydyf.Dictionary:
    while element.get("S") != tag:
        if "P" not in element:
            raise BuildError(f"a table cell's structure element has no {tag} above it")
        element = objects[number_of(element["P"])]
    return element


def _kid(objects: list[Any], element: pydyf.Dictionary, tag: str) -> pydyf.Dictionary | None:
    for kid in element["K"]:
        if not isinstance(kid, int) and objects[number_of(kid)].get("S") == tag:
            return objects[number_of(kid)]
    return None


def _header_ids(objects: list[Any], head: pydyf.Dictionary | None) -> list[str]:
    """Return the IDs of the header cells of a THead's rows, in order."""
    if head is None:
        return []
    cells = [objects[number_of(cell)] for row in head["K"] for cell in objects[number_of(row)]["K"]]
    return [cell["ID"].string for cell in cells if cell.get("S") == "/TH" and "ID" in cell]


def _fragments(document: Any, objects: list[Any]) -> list[list[pydyf.Dictionary]]:
    """Return the Table elements of each HTML table that was tagged more than once, in page order."""
    boxes = importlib.import_module("weasyprint.formatting_structure.boxes")
    by_table: dict[int, list[pydyf.Dictionary]] = {}
    for page in document.pages:  # WeasyPrint keeps the laid-out boxes only as `_page_box`
        for box in _table_boxes(page._page_box, boxes.TableBox):
            mark = _first_mark(box)
            if mark is None or box.element is None:
                continue
            table = _ancestor(objects, mark, "/Table")
            found = by_table.setdefault(id(box.element), [])
            if table not in found:
                found.append(table)
    return [tables for tables in by_table.values() if len(tables) > 1]


def join_table_fragments(document: Any, pdf: pydyf.PDF) -> int:
    """Make each table tagged once per page one Table; return how many fragments were joined."""
    if "StructTreeRoot" not in pdf.catalog:
        return 0
    objects = pdf.objects
    joined = 0
    for first, *rest in _fragments(document, objects):
        body = _kid(objects, first, "/TBody")
        if body is None:
            raise BuildError("a table over several pages has no TBody to join its rows into")
        first_ids = _header_ids(objects, _kid(objects, first, "/THead"))
        for fragment in rest:
            kinds = {objects[number_of(kid)].get("S") for kid in fragment["K"] if not isinstance(kid, int)}
            if not kinds <= {"/THead", "/TBody"} or any(isinstance(kid, int) for kid in fragment["K"]):
                raise BuildError(f"a table fragment holds {sorted(kinds)}, not only THead and TBody")
            head = _kid(objects, fragment, "/THead")
            ids = _header_ids(objects, head)
            if len(ids) != len(first_ids):
                raise BuildError("a table's repeated header row differs from its first")
            renamed = dict(zip(ids, first_ids, strict=True))
            rows = _kid(objects, fragment, "/TBody")
            for row in [] if rows is None else list(rows["K"]):
                objects[number_of(row)]["P"] = body.reference
                body["K"].append(row)
                for cell in objects[number_of(row)]["K"]:
                    attributes = objects[number_of(cell)].get("A")
                    if isinstance(attributes, dict) and "Headers" in attributes:
                        attributes["Headers"] = pydyf.Array(
                            pydyf.String(renamed.get(h.string, h.string)) for h in attributes["Headers"]
                        )
            parent = objects[number_of(fragment["P"])]
            parent["K"] = pydyf.Array(kid for kid in parent["K"] if kid != fragment.reference)
            if rows is not None:
                rows.clear()
            # The repeated header row stays attached to the emptied fragment, outside the tree:
            # mark_pagination_artifacts makes its text artifacts and empties it.
            fragment["K"] = pydyf.Array([] if head is None else [head.reference])
            del fragment["P"]
            joined += 1
    return joined
