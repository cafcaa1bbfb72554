"""A paper's .docx in, its .odt out: converted by LibreOffice, then made valid ODF 1.3 and reproducible."""

# LibreOffice's own .docx import keeps what a paper needs (footnotes as `text:note`, the contents
# as `text:table-of-content`, headings as `text:h` with outline levels, the marking in every page's
# header and footer and as the `Classification` user-defined property), so the .odt is the Word
# file converted, not a third renderer kept in step with the other two by hand.

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from lxml import etree

from briefgen.brief import Brief
from briefgen.errors import ConversionError, printable

#: Set to the LibreOffice program to use when it is not `soffice` on PATH (macOS:
#: /Applications/LibreOffice.app/Contents/MacOS/soffice).
SOFFICE_ENV = "BRIEFGEN_SOFFICE"
#: Seconds one conversion may take, start-up included (a full paper takes about 2 s).
DEADLINE_S = 120.0

XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

# Written into the throwaway profile before LibreOffice starts. ODF 1.3 as the standard defines it
# (10 is ODFVER_013), not LibreOffice's default "1.3 Extended", whose loext: attributes in
# styles.xml fail the OASIS schema that validators check against.
_PROFILE_SETTINGS = b"""<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Save/ODF"><prop oor:name="DefaultVersion" oor:op="fuse">\
<value>10</value></prop></item>
</oor:items>
"""
# LibreOffice's empty toolbar and menu configuration: folders with nothing in them, which the
# package manifest does not list (a validator error), and nothing a reader needs.
_UI_FOLDER = "Configurations2/"
# LibreOffice writes no DTD or entities; a part that declares any is not read for them.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
# Families whose default style a paper's automatic styles may lean on (validators check these).
_DEFAULT_FAMILIES = ("paragraph", "text", "table", "table-cell", "table-row", "graphic")


def find_soffice() -> str:
    """Return the LibreOffice program to run: $BRIEFGEN_SOFFICE, else `soffice` on PATH."""
    chosen = os.environ.get(SOFFICE_ENV, "").strip()
    found = shutil.which(chosen or "soffice")
    if found is None:
        where = f"{SOFFICE_ENV}={chosen!r} is not a program" if chosen else "soffice is not on PATH"
        raise ConversionError(
            f"--format odt needs LibreOffice to convert the Word file, and {where}; install LibreOffice "
            f"Writer or set {SOFFICE_ENV}"
        )
    return found


def write_odt(docx: bytes, brief: Brief, *, deadline: float | None = None) -> bytes:
    """Return a paper's .odt: its .docx converted by LibreOffice, made valid and reproducible."""
    from briefgen.render.docx import fixed_time  # dated as the .docx is, from SOURCE_DATE_EPOCH

    converted = convert_docx(docx, name=brief.name, deadline=deadline)
    return normalise_odt(converted, marking=brief.marking or "UNMARKED", when=fixed_time(brief))


def convert_docx(docx: bytes, *, name: str, deadline: float | None = None) -> bytes:
    """Convert a .docx to .odt with `soffice --headless` within `deadline` seconds (DEADLINE_S)."""
    soffice = find_soffice()
    deadline = DEADLINE_S if deadline is None else deadline  # read now, so a test can shorten it
    # A throwaway profile for each conversion: concurrent builds (a --jobs pool, a web render
    # beside a cron regen) never share LibreOffice's profile lock or its running instance.
    with tempfile.TemporaryDirectory(prefix="briefgen-odt-") as scratch:
        folder = Path(scratch)
        (folder / "profile" / "user").mkdir(parents=True)
        (folder / "profile" / "user" / "registrymodifications.xcu").write_bytes(_PROFILE_SETTINGS)
        source = folder / "paper.docx"
        source.write_bytes(docx)
        command = [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "odt",
            "--outdir",
            str(folder / "out"),
            str(source),
        ]
        # A session of its own: soffice starts soffice.bin as a child, and a deadline must stop both.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _, err = process.communicate(timeout=deadline)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):  # it may have ended in the meantime
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ConversionError(
                f"{name}: LibreOffice did not convert the Word file to .odt within {deadline:g} s"
            ) from None
        result = folder / "out" / "paper.odt"
        if process.returncode != 0 or not result.is_file():
            raise ConversionError(
                f"{name}: LibreOffice could not convert the Word file to .odt "
                f"(exit {process.returncode}{_reason(err)})"
            )
        return result.read_bytes()


def _reason(stderr: bytes) -> str:
    """Return LibreOffice's last meaningful complaint as ': …', or '' (its Java warning is noise)."""
    lines = [
        line.strip()
        for line in stderr.decode("utf-8", "replace").splitlines()
        if line.strip() and "javaldx" not in line
    ]
    return f": {printable(lines[-1])[:200]}" if lines else ""


# What LibreOffice leaves to fix:
# - random list ids (`xml:id="list3877598492"`) and revision ids (settings.xml `Rsid`), new on
#   every run: renumbered in document order, and derived from the content;
# - `text:continue-list` pointing at lists it never wrote (an IDREF error in the OASIS schema);
# - empty `Configurations2/…` folder entries that META-INF/manifest.xml does not list;
# - no default style for text and table cells, which validators warn of;
# - zip timestamps of the moment of conversion: set from SOURCE_DATE_EPOCH, as for the .docx.
def normalise_odt(data: bytes, *, marking: str, when: datetime) -> bytes:
    """Rewrite LibreOffice's .odt so that equal input gives equal bytes and the package validates."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        names = [i.filename for i in source.infolist() if not i.filename.startswith(_UI_FOLDER)]
        members = {n: source.read(n) for n in names}
    for part in ("content.xml", "styles.xml"):
        members[part] = _rewrite(members[part], _renumber_lists)
    families = _unparented_families(members["content.xml"])
    members["styles.xml"] = _rewrite(members["styles.xml"], lambda root: _add_default_styles(root, families))
    members["meta.xml"] = _rewrite(members["meta.xml"], lambda root: _set_marking(root, marking))
    seed = hashlib.sha256(members["content.xml"] + members["styles.xml"]).digest()
    rsid = str(int.from_bytes(seed[:4], "big") % (1 << 21) + 1)  # LibreOffice's own range: 21 bits
    members["settings.xml"] = _rewrite(members["settings.xml"], lambda root: _set_rsids(root, rsid))
    members["META-INF/manifest.xml"] = _rewrite(members["META-INF/manifest.xml"], _drop_ui_folder)
    return _zip(members, when=when)


def _rewrite(xml: bytes, change: Callable[[etree._Element], None]) -> bytes:
    """Parse a package part, let `change` edit its root in place, and serialise it again."""
    root = etree.fromstring(xml, _PARSER)
    change(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _renumber_lists(root: etree._Element) -> None:
    """Give lists ids list1, list2… in document order, and drop continuations of unwritten lists."""
    lists = [e for e in root.iter(f"{{{TEXT}}}list") if e.get(XML_ID)]
    others = {e.get(XML_ID) for e in root.iter() if e.get(XML_ID)} - {e.get(XML_ID) for e in lists}
    renamed: dict[str, str] = {}
    number = 0
    for element in lists:
        number += 1
        while f"list{number}" in others:  # ids are unique in a part: step over any other's
            number += 1
        old = element.get(XML_ID)
        assert old is not None
        renamed[old] = f"list{number}"
        element.set(XML_ID, renamed[old])
    attribute = f"{{{TEXT}}}continue-list"
    for element in root.iter(f"{{{TEXT}}}list"):
        target = element.get(attribute)
        if target is None:
            continue
        if target in renamed:
            element.set(attribute, renamed[target])
        else:
            # LibreOffice points a restarted Word list at a list of its own it never writes out;
            # such a list restarts anyway (its first item has a start value), so nothing is lost.
            del element.attrib[attribute]


def _unparented_families(content: bytes) -> set[str]:
    """Return the style families of content.xml's automatic styles that have no parent style."""
    styles = etree.fromstring(content, _PARSER).find(f"{{{OFFICE}}}automatic-styles")
    if styles is None:
        return set()
    found = (s.get(f"{{{STYLE}}}family") for s in styles if not s.get(f"{{{STYLE}}}parent-style-name"))
    return {family for family in found if family}


def _add_default_styles(root: etree._Element, families: set[str]) -> None:
    """Give each family in `families` that has no default style an empty one."""
    # An automatic style with no parent falls back on its family's default style; LibreOffice
    # writes none for text and table cells. An empty one (the application's defaults) changes
    # nothing on screen.
    styles = root.find(f"{{{OFFICE}}}styles")
    if styles is None:
        return
    defaults = styles.findall(f"{{{STYLE}}}default-style")
    have = {d.get(f"{{{STYLE}}}family") for d in defaults}
    where = styles.index(defaults[-1]) + 1 if defaults else 0
    for family in sorted(families & set(_DEFAULT_FAMILIES) - have):
        added = etree.Element(f"{{{STYLE}}}default-style")
        added.set(f"{{{STYLE}}}family", family)
        styles.insert(where, added)
        where += 1


def _set_marking(root: etree._Element, marking: str) -> None:
    """Make sure meta.xml carries the marking as the `Classification` user-defined property."""
    meta = root.find(f"{{{OFFICE}}}meta")
    if meta is None:
        meta = etree.SubElement(root, f"{{{OFFICE}}}meta")
    found = [e for e in meta.iter(f"{{{META}}}user-defined") if e.get(f"{{{META}}}name") == "Classification"]
    for extra in found[1:]:
        meta.remove(extra)
    prop = found[0] if found else etree.SubElement(meta, f"{{{META}}}user-defined")
    prop.attrib.clear()
    prop.set(f"{{{META}}}name", "Classification")
    prop.set(f"{{{META}}}value-type", "string")
    prop.text = marking


def _set_rsids(root: etree._Element, rsid: str) -> None:
    """Replace the random revision-save ids LibreOffice picks on every load with `rsid`."""
    for item in root.iter(f"{{{CONFIG}}}config-item"):
        if item.get(f"{{{CONFIG}}}name") in ("Rsid", "RsidRoot"):
            item.text = rsid


def _drop_ui_folder(root: etree._Element) -> None:
    """Remove the manifest's entry for the UI configuration folder left out of the package."""
    for entry in list(root.iter(f"{{{MANIFEST}}}file-entry")):
        if (entry.get(f"{{{MANIFEST}}}full-path") or "").startswith(_UI_FOLDER):
            root.remove(entry)


def _zip(members: dict[str, bytes], *, when: datetime) -> bytes:
    """Write an ODF package: `mimetype` first and stored, then the parts in LibreOffice's order."""
    stamp = max(when, datetime(1980, 1, 1))
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in sorted(members, key=lambda n: n != "mimetype"):  # stable: keeps the rest in order
            info = zipfile.ZipInfo(name, date_time=date_time)
            # ODF requires `mimetype` uncompressed, so a reader finds the type at a fixed offset.
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, members[name], compresslevel=None if name == "mimetype" else 6)
    return out.getvalue()
