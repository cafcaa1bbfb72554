"""Run builds over many editions: gather each paper, write it atomically, record it in the manifest."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen import __version__
from briefgen.build import (
    Builder,
    Inputs,
    Paper,
    editions_to_build,
    verify_inputs,
    write_atomic,
    write_paper,
)
from briefgen.errors import BriefgenError, BuildError, EvidenceError, SummaryError
from briefgen.manifest import (
    Manifest,
    PaperRecord,
    SummaryRecord,
    bytes_fingerprint,
    current_inputs,
    file_fingerprint,
    fit_key,
    summary_key,
    sweep_temporaries,
    template_files,
)
from briefgen.model import Audience, Edition, Format, Length
from briefgen.render import templates_dir
from briefgen.selection import Trims

if TYPE_CHECKING:
    from briefgen.pool import Renderer
    from briefgen.regen import RegenReport


@dataclass
class Results:
    """What a build did: the papers written, the editions that failed, lines for the terminal."""

    papers: list[Paper] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Tell whether any edition failed."""
        return bool(self.failures)


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
    if brief.length == Length.ONE_PAGE.value:
        fit = {"shorten": sorted(paper.trims.shorten), "drop": sorted(paper.trims.drop)}
        if paper.trims.only is not None:
            fit["only"] = sorted(paper.trims.only)
        if Format.PDF in paper.edition.formats:
            fit["key"] = [fit_key(fingerprints)]
    return PaperRecord(
        edition=brief.name,
        length=brief.length,
        audience=brief.audience,
        formats=formats,
        inputs=fingerprints,
        outputs={name: bytes_fingerprint(data) for name, data in sorted(paper.files.items())},
        claims=claims,
        trims=fit,
        quotes=quotes,
        shown=shown_content(brief, summary, templates),
    )


def _known_fit(
    record: PaperRecord | None, edition: Edition, builder: Builder, inputs: Inputs
) -> Trims | None:
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


def _summary_record(manifest: Manifest, inputs: Inputs) -> SummaryRecord:
    key = summary_key(inputs.path)
    record = manifest.summaries.get(key)
    editions = [e.name for e in inputs.summary.editions]
    if record is None or record.id != inputs.summary.id:
        record = SummaryRecord(path=key, id=inputs.summary.id, editions=editions)
        manifest.summaries[key] = record
    record.editions = editions
    return record


def build_papers(
    summary: Path,
    *,
    out: Path,
    names: Iterable[str] = (),
    length: Length | None = None,
    audience: Audience | None = None,
    formats: Iterable[Format] = (),
    allow_warnings: bool = False,
    templates: Path | None = None,
    wait: float = 600.0,
    theme: str | None = None,
    pool: Renderer | None = None,
    redline_against: Path | None = None,
) -> Results:
    """Build the chosen editions of a summary into OUT/<id>/; a failed edition keeps its old files.

    With a `pool`, papers render in parallel in its workers; this process alone writes them and
    the manifest, in the same order as without one, so the files are the same.
    """
    from briefgen.pool import RenderJob, render_all
    from briefgen.regen import duplicate_ids, output_lock
    from briefgen.themes import builder_for, theme_edition

    formats = list(formats)
    templates = templates or templates_dir()
    builder = builder_for(verify_inputs(summary), theme, templates=templates, allow_warnings=allow_warnings)
    inputs = builder.inputs  # narrowed to the theme, if one was asked for
    editions = editions_to_build(
        inputs.summary, names=names, length=length, audience=audience, formats=formats
    )
    if theme:
        editions = [theme_edition(e, theme) for e in editions]
    if any(Format.ODT in e.formats for e in editions):
        from briefgen.render.odt import find_soffice

        find_soffice()  # without LibreOffice: one error now, not one per paper after the rest is built
    if redline_against is not None and len(editions) != 1:
        raise BuildError(
            f"--redline-against {redline_against}: compares one paper, and {len(editions)} were chosen;"
            " choose one with --length and --audience or --edition"
        )
    if redline_against is not None and not redline_against.is_file():
        raise BuildError(f"--redline-against {redline_against}: no such file")
    results = Results()
    with output_lock(out, wait=wait):
        manifest = Manifest.load(out, repair=True)
        results.lines.extend(manifest.notes)
        manifest.adopt(inputs.root)
        problems = duplicate_ids([summary], manifest)
        if problems:  # its papers would overwrite another summary's
            raise BuildError("\n".join(problems))
        sweep_temporaries(out / inputs.summary.id)
        record = _summary_record(manifest, inputs)
        plans = [(e, record.papers.get(e.name)) for e in editions]
        jobs = [
            RenderJob(
                summary=summary.resolve(),
                edition=edition,
                theme=theme,
                trims=_known_fit(previous, edition, builder, inputs),
                allow_warnings=allow_warnings,
                templates=templates,
            )
            for edition, previous in plans
        ]
        for (edition, previous), job, outcome in zip(
            plans, jobs, render_all(builder, jobs, pool=pool), strict=True
        ):
            known = job.trims
            if isinstance(outcome, BriefgenError):
                results.failures[edition.name] = str(outcome)
                results.lines.append(f"error: {outcome}")
                continue
            paper = outcome
            if redline_against is not None:
                _add_redline(paper, redline_against)
            written = write_paper(paper, out)
            options = {"allow_warnings": allow_warnings}
            new = record_paper(paper, inputs, templates=templates, options=options)
            if known is not None and previous is not None:
                # The fit still holds: keep its proof, and the inputs it was proved on.
                new.trims["key"] = previous.trims["key"]
                new.inputs = {**previous.inputs, **new.inputs}
            if previous is not None and set(previous.formats) - set(new.formats):
                # A partial rebuild (say DOCX only) leaves the other formats as they were: keep
                # tracking them, and if their inputs have changed since, mark them stale for regen.
                new.formats = sorted(set(previous.formats) | set(new.formats))
                shared = previous.inputs.keys() & new.inputs.keys()
                moved_on = any(previous.inputs[k] != new.inputs[k] for k in shared)
                kept = {n: (STALE if moved_on else sha) for n, sha in previous.outputs.items()}
                new.outputs = {**kept, **new.outputs}
                # Inputs only the other formats use (print CSS, HTML templates) stay watched.
                new.inputs = {**previous.inputs, **new.inputs}
            if edition.name in record.editions or length or audience or theme:
                record.papers[edition.name] = new
                if edition.name not in record.editions:
                    record.editions.append(edition.name)
            results.papers.append(paper)
            results.lines.append(_line(paper, written))
        manifest.save()
    return results


def _add_redline(paper: Paper, previous: Path) -> None:
    """Add `<name>.redline.docx` to a paper's files: its Word file marked against `previous`."""
    name = f"{paper.edition.name}.docx"
    if name not in paper.files or not previous.is_file():
        return
    from briefgen.redline import redline_docx

    redline = redline_docx(previous.read_bytes(), paper.files[name])
    paper.files[f"{paper.edition.name}.redline.docx"] = redline


def _line(paper: Paper, written: list[Path]) -> str:
    # The paper's own build time (in a pool, the wait for it says nothing about it).
    seconds = paper.report.get("timings_s", {}).get("total", 0.0)
    pages = paper.report.get("pages")
    shown = ", ".join(p.name for p in written if not p.name.endswith(".json"))
    size = f"{pages} page{'s' if pages != 1 else ''}, " if pages else ""
    words = paper.report["words"]
    return f"{paper.brief.summary_id}/{paper.brief.name}: {shown} ({size}{words} words, {seconds:.2f} s)"


def rebuild(
    summary: Path,
    *,
    out: Path,
    manifest: Manifest,
    stale: dict[str, list[str]] | None,
    templates: Path,
    report: RegenReport,
    allow_warnings: bool = False,
    pool: Renderer | None = None,
) -> None:
    """Rebuild a summary's stale papers (all if `stale` is None), writing change notes; used by regen.

    With a `pool`, the papers render in parallel in its workers; they are written here, in order.
    """
    from briefgen.changes import change_note, quote_changes, rebuilt_line
    from briefgen.pool import RenderJob, render_all

    try:
        # Not strict: a quote the source now words slightly differently is printed in its new
        # wording and flagged in the change note for an analyst to confirm.
        inputs = verify_inputs(summary, strict=False)
    except BriefgenError as exc:
        # A summary's own errors already start with its file name; others get it in front.
        lines = str(exc).splitlines() if isinstance(exc, SummaryError) else [f"{summary}: {exc}"]
        report.errors.extend(lines)
        report.lines.extend(f"error: {line}" for line in lines)
        return
    builder = Builder(inputs, templates=templates, allow_warnings=allow_warnings)
    record = _summary_record(manifest, inputs)
    wanted = {e.name: e for e in inputs.summary.editions}
    names = list(wanted) if stale is None else [n for n in wanted if n in stale or n not in record.papers]
    jobs = [
        RenderJob(
            summary=summary.resolve(),
            edition=wanted[n],
            strict=False,
            templates=templates,
            allow_warnings=allow_warnings,
        )
        for n in names
    ]
    for name, paper_or_error in zip(names, render_all(builder, jobs, pool=pool), strict=True):
        previous = record.papers.get(name)
        if isinstance(paper_or_error, EvidenceError):
            needs = paper_or_error
            report.needs_analyst[name] = needs.claims
            report.lines.append(
                f"needs analyst: {inputs.summary.id}/{name}: kept the last good paper; {needs}"
            )
            continue
        if isinstance(paper_or_error, BriefgenError):
            report.errors.append(str(paper_or_error))
            report.lines.append(f"error: {paper_or_error}")
            continue
        paper = paper_or_error
        options = {"allow_warnings": allow_warnings}
        new = record_paper(paper, inputs, templates=templates, options=options)
        quotes = quote_changes(inputs, previous, paper.brief)
        note = change_note(f"{inputs.summary.id}/{name}", previous, new, paper.brief, inputs.summary, quotes)
        note += report.review_note(inputs.summary.id)
        paper.files[f"{name}.changes.md"] = note.encode()
        # The previous edition is read before the new one replaces it.
        _add_redline(paper, out / inputs.summary.id / f"{name}.docx")
        written = write_paper(paper, out)
        new.outputs = {n: bytes_fingerprint(d) for n, d in sorted(paper.files.items())}
        record.papers[name] = new
        manifest.save()  # after each paper: a kill mid-run loses at most the paper in hand
        report.rebuilt.append(name)
        reasons = (stale or {}).get(name, ["never built"])
        report.lines.append(rebuilt_line(_line(paper, written), reasons, quotes))


__all__ = ["Results", "build_papers", "rebuild", "record_paper", "write_atomic"]
