"""Record what each paper was built from, and tell which papers are stale (no heavy imports)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def file_fingerprint(path: Path, _cache: dict[tuple[str, int, int], str] = {}) -> str:  # noqa: B006 - a deliberate per-process cache
    """Return the sha256 of a file's bytes ('missing' if it does not exist); cached by mtime and size."""
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _cache.get(key)
    if found is None:
        found = hashlib.sha256(path.read_bytes()).hexdigest()
        _cache[key] = found
    return found


def bytes_fingerprint(data: bytes) -> str:
    """Return the sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class PaperRecord:
    """What one paper was built from and what it produced."""

    edition: str
    length: str
    audience: str
    formats: list[str]
    inputs: dict[
        str, str
    ]  # "summary:<path>", "source:<id>:<path>", "template:<rel>", "version", "options" → fingerprint
    outputs: dict[str, str]  # file name → sha256
    claims: dict[str, Any] = field(default_factory=dict)  # id → {"text", "priority", "evidence": [...]}
    trims: dict[str, list[str]] = field(default_factory=dict)  # the one-page fit: shorten, drop

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
        )


@dataclass
class SummaryRecord:
    """The papers built from one summary file."""

    path: str
    id: str
    editions: list[str]
    papers: dict[str, PaperRecord] = field(default_factory=dict)


@dataclass
class Manifest:
    """Every paper under one output folder, by summary path."""

    out: Path
    summaries: dict[str, SummaryRecord] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """Return where the manifest lives."""
        return self.out / MANIFEST_NAME

    @classmethod
    def load(cls, out: Path) -> Manifest:
        """Read the manifest of an output folder; a missing or unreadable one is empty."""
        manifest = cls(out=out)
        try:
            data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return manifest
        if data.get("version") != MANIFEST_VERSION:
            return manifest
        for path, entry in data.get("summaries", {}).items():
            manifest.summaries[path] = SummaryRecord(
                path=path,
                id=entry["id"],
                editions=list(entry.get("editions", [])),
                papers={k: PaperRecord.from_dict(v) for k, v in entry.get("papers", {}).items()},
            )
        return manifest

    def save(self) -> None:
        """Write the manifest atomically."""
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
        self.out.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".tmp", dir=self.out)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        Path(tmp).replace(self.path)


def current_inputs(record: PaperRecord, *, root: Path, templates: Path, version: str) -> dict[str, str]:
    """Recompute the fingerprints of the inputs a paper recorded, from the files as they are now."""
    now: dict[str, str] = {}
    for key, old in record.inputs.items():
        kind, _, rest = key.partition(":")
        if kind == "summary":
            now[key] = file_fingerprint(Path(rest))
        elif kind == "source":
            now[key] = file_fingerprint(root / rest.partition(":")[2])
        elif kind == "template":
            now[key] = file_fingerprint(templates / rest)
        elif kind == "version":
            now[key] = version
        else:
            now[key] = old
    return now


def stale_reasons(
    record: PaperRecord, *, out_dir: Path, root: Path, templates: Path, version: str
) -> list[str]:
    """Say why a paper must be rebuilt: changed inputs or missing outputs; empty if it is current."""
    reasons = []
    now = current_inputs(record, root=root, templates=templates, version=version)
    for key, old in sorted(record.inputs.items()):
        if now.get(key) != old:
            reasons.append(f"{key.partition(':')[0]} changed: {key.partition(':')[2] or key}")
    for name, sha in sorted(record.outputs.items()):
        if file_fingerprint(out_dir / name) != sha:
            reasons.append(f"output missing or altered: {name}")
    return reasons


def template_files(templates: Path, layouts: list[str], formats: list[str]) -> list[str]:
    """List the template files (relative to templates/) a paper depends on, given its layouts and formats."""
    files = list(layouts)
    if "pdf" in formats or "html" in formats:
        for folder in ("html", "assets"):
            base = templates / folder
            if base.is_dir():
                files.extend(sorted(str(p.relative_to(templates)) for p in base.rglob("*") if p.is_file()))
    if "docx" in formats and (templates / "reference.docx").exists():
        files.append("reference.docx")
    return files
