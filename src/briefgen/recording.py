"""Record in the manifest what each paper was built from, and reuse a fit it proved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen import __version__
from briefgen.manifest import (
    Manifest,
    PaperRecord,
    SummaryRecord,
    bytes_fingerprint,
    current_inputs,
    file_fingerprint,
    fit_key,
    summary_key,
    template_files,
)
from briefgen.model import Edition, Format, Length
from briefgen.selection import Trims

if TYPE_CHECKING:
    from briefgen.build import Builder, Inputs, Paper


# An output hash no file has: regen sees the output as altered and rebuilds the paper.
STALE = "stale"


def record_paper(paper: Paper, inputs: Inputs, *, templates: Path, options: dict[str, Any]) -> PaperRecord:
    """Describe what a paper was built from, for regen and for the next change note."""
    from briefgen.changes import claim_entry, printed_forms, shown_content

    summary = inputs.summary
    brief = paper.brief
    anchors = {(c.claim_id, c.where): c.anchor for c in inputs.checks}
    where = {c.id: i for i, c in enumerate(summary.claims)}
    sources: set[str] = set()
    claims: dict[str, Any] = {}
    printed = printed_forms(brief, summary)
    for claim_id in brief.included:
        claim = summary.claim(claim_id)
        evidence = []
        for j, ev in enumerate(claim.evidence):
            sources.add(ev.source)
            anchor = anchors.get((claim_id, f"claims[{where[claim_id]}].evidence[{j}]"))
            evidence.append(
                {"source": ev.source, "quote": ev.quote, "anchor": anchor.to_dict() if anchor else None}
            )
        claims[claim_id] = claim_entry(claim, printed.get(claim_id), evidence)
    quotes = [e for c in claims.values() for e in c["evidence"]]
    if any(s.key.startswith("dispute-") for s in brief.sections):
        sources.update(p.source for d in summary.disputes for p in d.positions)
        for i, dispute in enumerate(summary.disputes):
            for j, position in enumerate(dispute.positions):
                anchor = anchors.get((dispute.id, f"disputes[{i}].positions[{j}]"))
                found = anchor.to_dict() if anchor else None
                quotes.append({"source": position.source, "quote": position.quote, "anchor": found})
    audience = brief.audience
    for claim_id in sorted(inputs.evidence.lost):
        lost = summary.claim(claim_id)
        if audience in (a.value for a in lost.audiences):
            for ev in lost.evidence:
                sources.add(ev.source)
                quotes.append({"source": ev.source, "quote": ev.quote, "anchor": None})
    formats = [f.value for f in paper.edition.formats]
    # As read when the build began (Inputs.fingerprints), if known; else as the files are now.
    read = inputs.fingerprints
    fingerprints = {
        f"summary:{summary_key(inputs.path)}": read.get("summary") or file_fingerprint(inputs.path.resolve())
    }
    for source_id in sorted(sources):
        file = summary.source(source_id).file
        now = read.get(f"source:{source_id}") or file_fingerprint(inputs.root / file)
        fingerprints[f"source:{source_id}:{file}"] = now
    for rel in template_files(templates, list(brief.layout_files), formats):
        fingerprints[f"template:{rel}"] = read.get(f"template:{rel}") or file_fingerprint(templates / rel)
    fingerprints["version"] = __version__
    fingerprints["options"] = json.dumps(options, sort_keys=True)
    fit = {}
    if brief.length is Length.ONE_PAGE:
        fit = {"shorten": sorted(paper.trims.shorten), "drop": sorted(paper.trims.drop)}
        if paper.trims.only is not None:
            fit["only"] = sorted(paper.trims.only)
        if Format.PDF in paper.edition.formats:
            fit["key"] = [fit_key(fingerprints)]
    return PaperRecord(
        edition=brief.name,
        length=brief.length.value,
        audience=brief.audience.value,
        formats=formats,
        inputs=fingerprints,
        outputs={name: bytes_fingerprint(data) for name, data in sorted(paper.files.items())},
        claims=claims,
        trims=fit,
        quotes=quotes,
        shown=shown_content(brief, summary, templates),
    )


def known_fit(record: PaperRecord | None, edition: Edition, builder: Builder, inputs: Inputs) -> Trims | None:
    """Reuse an earlier one-page fit when nothing it depended on has changed (a PDF build re-checks it)."""
    if record is None or edition.length is not Length.ONE_PAGE or not record.trims.get("key"):
        return None
    now = current_inputs(record, root=inputs.root, templates=builder.templates, version=__version__)
    if fit_key(now) != record.trims["key"][0]:
        return None
    only = record.trims.get("only")
    return Trims(
        shorten=frozenset(record.trims.get("shorten", [])),
        drop=frozenset(record.trims.get("drop", [])),
        only=frozenset(only) if only is not None else None,  # without it, dropped places refill
    )


def summary_record(manifest: Manifest, inputs: Inputs) -> SummaryRecord:
    """Return the manifest's record of a summary, made new if its id changed, with today's editions."""
    key = summary_key(inputs.path)
    record = manifest.summaries.get(key)
    editions = [e.name for e in inputs.summary.editions]
    if record is None or record.id != inputs.summary.id:
        record = SummaryRecord(path=key, id=inputs.summary.id, editions=editions)
        manifest.summaries[key] = record
    record.editions = editions
    return record


def carry_over(previous: PaperRecord, new: PaperRecord, *, fit_still_holds: bool) -> None:
    """Carry into a paper's new record what its previous record proved and what this build left alone."""
    if fit_still_holds:
        # Keep the fit's proof, and the inputs it was proved on.
        new.trims["key"] = previous.trims["key"]
        new.inputs = {**previous.inputs, **new.inputs}
    if set(previous.formats) - set(new.formats):
        # A partial rebuild (say DOCX only) leaves the other formats as they were: keep tracking
        # them, and if their inputs have changed since, mark them stale for regen.
        new.formats = sorted(set(previous.formats) | set(new.formats))
        shared = previous.inputs.keys() & new.inputs.keys()
        moved_on = any(previous.inputs[k] != new.inputs[k] for k in shared)
        kept = {n: (STALE if moved_on else sha) for n, sha in previous.outputs.items()}
        new.outputs = {**kept, **new.outputs}
        # Inputs only the other formats use (print CSS, HTML templates) stay watched.
        new.inputs = {**previous.inputs, **new.inputs}
