"""Record what each paper was built from, and tell which papers are stale (no heavy imports)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.errors import OutputError, PathError
from briefgen.manifest_shape import ManifestDamageError, read_manifest
from briefgen.paths import inside, open_regular, read_file
from briefgen.writing import describe, write_atomic

MANIFEST_NAME = "manifest.json"
#: A manifest of a hundred summaries of fifteen papers is a few megabytes; this is far beyond it.
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
# 2: summaries keyed by their path relative to the project root (manifest_shape.READABLE_VERSIONS).
MANIFEST_VERSION = 2


#: The fingerprint of a file that is not there, and of one that cannot be read (a folder, a FIFO,
#: a link out of its folder): neither equals any file's, so a paper citing it is stale.
MISSING = "missing"
UNREADABLE = "unreadable"


def file_fingerprint(path: Path, _cache: dict[tuple[str, int, int], str] = {}) -> str:  # noqa: B006 - a deliberate per-process cache
    """Return the sha256 of a regular file's bytes, MISSING or UNREADABLE; cached by mtime and size.

    Never opens anything but a regular file (a FIFO would block), and reads in pieces, so a big
    file costs no more memory than a small one.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        return MISSING
    except (OSError, ValueError):
        return UNREADABLE
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _cache.get(key)
    if found is None:
        try:
            fd, _ = open_regular(path)
        except (OSError, PathError):
            return UNREADABLE
        digest = hashlib.sha256()
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        found = digest.hexdigest()
        _cache[key] = found
    return found


def fingerprint_inside(root: Path, relative: str) -> str:
    """Fingerprint a file the manifest names under `root`; a path leading out of it is UNREADABLE, unread."""
    try:
        return file_fingerprint(inside(root, relative))
    except PathError:
        return UNREADABLE


def bytes_fingerprint(data: bytes) -> str:
    """Return the sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def summary_key(path: Path) -> str:
    """Return a summary's key in the manifest: its path relative to the project root (briefs/x.yaml).

    The project root is the summary's folder's parent (build.project_root), so a copy of the
    project moved elsewhere keeps its keys, and its papers stay current.
    """
    resolved = path.resolve()
    return f"{resolved.parent.name}/{resolved.name}"


def fit_key(inputs: dict[str, str]) -> str:
    """Fingerprint what a one-page fit depends on: everything but the Word template and the options."""
    relevant = {k: v for k, v in inputs.items() if k not in ("template:reference.docx", "options")}
    return hashlib.sha256(json.dumps(sorted(relevant.items())).encode()).hexdigest()[:16]


@dataclass
class PaperRecord:
    """What one paper was built from and what it produced."""

    edition: str
    length: str
    audience: str
    formats: list[str]
    # "summary:<path from the project root>", "source:<id>:<path>", "template:<rel>", "version",
    # "options" → fingerprint
    inputs: dict[str, str]
    outputs: dict[str, str]  # file name → sha256
    # id → {"text" (the full form), "short", "plain", "priority", "printed" (the forms the paper
    # prints), "evidence": [...]}; a key missing from an older manifest means "not known"
    claims: dict[str, Any] = field(default_factory=dict)
    trims: dict[str, list[str]] = field(default_factory=dict)  # the one-page fit: shorten, drop
    # Every quote whose anchoring can change the paper: included claims' evidence, dispute sides
    # shown, and the evidence of claims left out because it was missing (a restored quote counts).
    quotes: list[dict[str, Any]] = field(default_factory=list)  # {"source", "quote", "anchor"}
    # What else the paper shows, for its next change note: "subject" (fields), "disputes",
    # "timeline", "glossary" (each name → fingerprint). Missing means not known (an older build).
    shown: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready data."""
        return {
            "edition": self.edition,
            "length": self.length,
            "audience": self.audience,
            "formats": self.formats,
            "inputs": dict(sorted(self.inputs.items())),
            "outputs": dict(sorted(self.outputs.items())),
            "claims": self.claims,
            "trims": self.trims,
            "quotes": self.quotes,
            "shown": self.shown,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaperRecord:
        """Read a record back."""
        return cls(
            edition=data["edition"],
            length=data["length"],
            audience=data["audience"],
            formats=list(data["formats"]),
            inputs=dict(data["inputs"]),
            outputs=dict(data["outputs"]),
            claims=dict(data.get("claims", {})),
            trims={k: list(v) for k, v in data.get("trims", {}).items()},
            quotes=list(data.get("quotes", [])),
            shown=dict(data.get("shown", {})),
        )

    def rename_input(self, old: str, new: str) -> None:
        """Rename an input key, keeping a one-page fit valid if it was proved on these inputs."""
        if old not in self.inputs:
            return
        proved = self.trims.get("key") == [fit_key(self.inputs)]
        self.inputs = {(new if k == old else k): v for k, v in self.inputs.items()}
        if proved:
            self.trims["key"] = [fit_key(self.inputs)]


@dataclass
class SummaryRecord:
    """The papers built from one summary file."""

    path: str
    id: str
    editions: list[str]
    papers: dict[str, PaperRecord] = field(default_factory=dict)


@dataclass
class Manifest:
    """Every paper under one output folder, by summary path relative to its project root."""

    out: Path
    summaries: dict[str, SummaryRecord] = field(default_factory=dict)
    damage: str | None = None  # what was wrong with the file, if it could not be used
    notes: list[str] = field(default_factory=list)  # warnings for the run to print

    @property
    def path(self) -> Path:
        """Return where the manifest lives."""
        return self.out / MANIFEST_NAME

    @classmethod
    def load(cls, out: Path, *, repair: bool = False) -> Manifest:
        """Read the manifest of an output folder; a missing one is empty, and so is a damaged one.

        `damage` then says what is wrong with it. With `repair` (only when holding the output
        lock), a damaged manifest is set aside as `manifest.json.damaged-<time>`, `notes` gets a
        warning line saying so, and temporary files a failed save left in the folder are removed.
        """
        manifest = cls(out=out)
        try:
            data = read_manifest(manifest.path, limit=MAX_MANIFEST_BYTES)
        except FileNotFoundError:
            data = None
        except ManifestDamageError as exc:
            manifest.damage = str(exc)
            data = None
        if repair:
            sweep_temporaries(out)
            if manifest.damage is not None:
                aside = _set_aside(manifest.path)
                manifest.notes.append(
                    f"warning: {manifest.path} is damaged ({manifest.damage}); "
                    f"set it aside as {aside} and rebuilt every paper"
                )
        if data is None:
            return manifest
        for path, entry in data["summaries"].items():
            manifest.summaries[path] = SummaryRecord(
                path=path,
                id=entry["id"],
                editions=list(entry.get("editions", [])),
                papers={k: PaperRecord.from_dict(v) for k, v in entry.get("papers", {}).items()},
            )
        return manifest

    def save(self) -> bool:
        """Write the manifest atomically if it changed; return whether it was written."""
        data = {
            "version": MANIFEST_VERSION,
            "summaries": {
                path: {
                    "id": rec.id,
                    "editions": rec.editions,
                    "papers": {k: v.to_dict() for k, v in sorted(rec.papers.items())},
                }
                for path, rec in sorted(self.summaries.items())
            },
        }
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        try:
            if read_file(self.path, limit=MAX_MANIFEST_BYTES) == text.encode("utf-8"):
                return False
        except (OSError, PathError):
            pass
        write_atomic(self.path, text.encode("utf-8"))
        return True

    def adopt(self, root: Path) -> bool:
        """Re-key records an older briefgen keyed by absolute path, for summaries of this project.

        Nothing is rebuilt for it: the records keep their fingerprints under the new keys.
        Returns whether anything was re-keyed.
        """
        root = root.resolve()
        changed = False
        for old in [k for k in self.summaries if Path(k).is_absolute()]:
            path = Path(old)
            if path.parent.parent != root:
                continue  # another project's summary, or one not in a folder of this project
            key = f"{path.parent.name}/{path.name}"
            record = self.summaries.pop(old)
            changed = True
            if key in self.summaries:
                continue  # a newer record already has this summary
            record.path = key
            for paper in record.papers.values():
                paper.rename_input(f"summary:{old}", f"summary:{key}")
            self.summaries[key] = record
        return changed


def _set_aside(path: Path) -> Path:
    """Rename a damaged manifest out of the way, keeping it for a person to look at; return its new path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    try:
        path.rename(aside)
    except OSError as exc:
        raise OutputError(f"cannot set the damaged {path} aside: {describe(exc)}") from None
    return aside


def current_inputs(record: PaperRecord, *, root: Path, templates: Path, version: str) -> dict[str, str]:
    """Recompute the fingerprints of the inputs a paper recorded, from the files as they are now."""
    now: dict[str, str] = {}
    for key, old in record.inputs.items():
        kind, _, rest = key.partition(":")
        if kind == "summary":
            now[key] = fingerprint_inside(root, rest)
        elif kind == "source":
            now[key] = fingerprint_inside(root, rest.partition(":")[2])
        elif kind == "template":
            now[key] = fingerprint_inside(templates, rest)
        elif kind == "version":
            now[key] = version
        else:
            now[key] = old
    return now


def quotes_unaffected(record: PaperRecord, source_id: str, text: str) -> bool:
    """Tell whether every quote a paper relies on in a changed source still reads as it did.

    Re-anchors the recorded quotes; when all are found with the same grade (in place or moved),
    the paper's content cannot have changed, and the new anchors are kept in the record.
    """
    from briefgen.anchoring import Anchor, Change, Grade, SourceText, anchor_quote, reanchor

    source = SourceText(text)
    updated = []
    for entry in record.quotes:
        if entry["source"] != source_id:
            updated.append(entry)
            continue
        if entry.get("anchor") is None or entry["anchor"]["grade"] == Grade.MISSING.value:
            if anchor_quote(entry["quote"], source).grade is not Grade.MISSING:
                return False  # lost evidence is back: the claim returns to the paper
            updated.append(entry)
            continue
        previous = Anchor.from_dict(entry["anchor"])
        anchor, change = reanchor(entry["quote"], source, previous)
        if change not in (Change.UNCHANGED, Change.MOVED) or anchor.grade is not previous.grade:
            return False
        updated.append({**entry, "anchor": anchor.to_dict()})
    record.quotes = updated
    return True


def stale_reasons(
    record: PaperRecord, *, out_dir: Path, root: Path, templates: Path, version: str
) -> list[str]:
    """Say why a paper must be rebuilt: changed inputs or missing outputs; empty if it is current.

    A changed source makes a paper stale only if a quote the paper relies on changed; otherwise
    the record takes the source's new fingerprint (the caller saves the manifest).
    """
    reasons = []
    now = current_inputs(record, root=root, templates=templates, version=version)
    for key, old in sorted(record.inputs.items()):
        if now.get(key) == old:
            continue
        kind, _, rest = key.partition(":")
        if kind == "source" and now[key] not in (MISSING, UNREADABLE):
            source_id, _, file = rest.partition(":")
            text = _source_text(root, file)
            # A source that cannot be read now makes the paper stale: its rebuild says why.
            if text is not None and quotes_unaffected(record, source_id, text):
                record.inputs[key] = now[key]
                continue
        reasons.append(f"{kind} changed: {rest or key}")
    for name, sha in sorted(record.outputs.items()):
        if file_fingerprint(out_dir / name) != sha:
            reasons.append(f"output missing or altered: {name}")
    return reasons


def _source_text(root: Path, file: str) -> str | None:
    """Return a source's text as its rebuild would read it, or None if it could not be."""
    from briefgen.anchoring import read_source
    from briefgen.errors import SourceError

    try:
        return read_source(root, file, source_id="")
    except SourceError:
        return None


def template_files(templates: Path, layouts: list[str], formats: list[str]) -> list[str]:
    """List the template files (relative to templates/) a paper depends on, given its layouts and formats."""
    files = list(layouts)
    if "pdf" in formats or "html" in formats:
        for folder in ("html", "assets"):
            base = templates / folder
            if base.is_dir():
                found = (p for p in base.rglob("*") if _file_in(p, templates))
                files.extend(sorted(str(p.relative_to(templates)) for p in found))
    # An .odt is converted from the .docx, so it depends on what the .docx does.
    if ("docx" in formats or "odt" in formats) and (templates / "reference.docx").exists():
        files.append("reference.docx")
    return files


def template_fingerprints(templates: Path) -> dict[str, str]:
    """Fingerprint every file a paper may use from a templates folder, keyed "template:<relative path>"."""
    files = [
        str(p.relative_to(templates)) for p in templates.glob("layouts/*.yaml") if _file_in(p, templates)
    ]
    files += template_files(templates, [], ["pdf", "docx"])
    return {f"template:{rel}": fingerprint_inside(templates, rel) for rel in files}


def _file_in(path: Path, folder: Path) -> bool:
    """Tell whether a path is a regular file that resolves inside `folder` (the renderer reads no other)."""
    try:
        return path.is_file() and path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def sweep_temporaries(folder: Path) -> None:
    """Remove temporary files a killed run left behind; call it holding the output lock."""
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
