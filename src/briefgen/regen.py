"""Rebuild only stale papers, re-anchor quotes against changed sources, and say what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

from briefgen import __version__
from briefgen.errors import BriefgenError, EvidenceError, SummaryError
from briefgen.locking import duplicate_ids, output_lock
from briefgen.manifest import Manifest, bytes_fingerprint, stale_reasons, summary_key, sweep_temporaries
from briefgen.reviewing import changed_sources, review_note, review_sources

if TYPE_CHECKING:
    from briefgen.pool import Renderer


class Outcome(IntEnum):
    """Exit codes a scheduler can act on (README, 'Scheduled regeneration')."""

    NOTHING_TO_DO = 0
    ERROR = 1
    REBUILT = 3
    NEEDS_ANALYST = 4
    REVIEW_NEEDS_ANALYST = 5  # a changed source contradicts a claim or quotes a speaker differently
    BUSY = 75  # EX_TEMPFAIL: another run holds the lock; try again later


REVIEW_NEEDS_ANALYST = Outcome.REVIEW_NEEDS_ANALYST


@dataclass
class RegenReport:
    """What a regen run did, as lines for a person and a code for a scheduler."""

    rebuilt: list[str] = field(default_factory=list)
    needs_analyst: dict[str, list[str]] = field(default_factory=dict)  # paper → claim ids
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    review_needs_analyst: dict[str, list[str]] = field(default_factory=dict)  # summary id → source ids
    review_notes: dict[str, str] = field(default_factory=dict)  # summary id → change-note section

    def review_note(self, summary_id: str) -> str:
        """Return the change-note section naming a review that needs an analyst, or ""."""
        note = self.review_notes.get(summary_id, "")
        return f"\n{note}" if note else ""

    @property
    def outcome(self) -> Outcome:
        """Return the exit code: the worst thing that happened wins."""
        if self.errors:
            return Outcome.ERROR
        if self.needs_analyst:
            return Outcome.NEEDS_ANALYST
        if self.review_needs_analyst:
            return Outcome.REVIEW_NEEDS_ANALYST
        if self.rebuilt:
            return Outcome.REBUILT
        return Outcome.NOTHING_TO_DO


def regen_review(summary: Path, manifest: Manifest, *, out: Path, report: RegenReport) -> None:
    """Review every source that changed since the summary's papers were built; fill in the report.

    Call before the papers are checked for staleness: that moves the recorded fingerprints on.
    """
    changed = changed_sources(summary, manifest)
    if not changed:
        return
    from briefgen.errors import BriefgenError, PathError, SourceError, SummaryError

    try:
        reviews = review_sources(summary, changed, out=out)
    except (SummaryError, SourceError, PathError):
        return  # the rebuild reports a summary that does not load, or a source it cannot read, once
    except BriefgenError as exc:
        report.errors.append(f"{summary}: review: {exc}")
        report.lines.append(f"error: {summary}: review: {exc}")
        return
    notes = []
    for review in reviews:
        counts = review.counts()
        where = out / review.summary_id / f"review-{review.source_id}.md"
        summary_line = (
            f"{summary}: source '{review.source_id}' changed; review: {counts['contradicts']} contradict, "
            f"{counts['requoted']} quoted differently, {counts['confirms']} confirm, "
            f"{counts['adds']} add ({where})"
        )
        if review.needs_analyst:
            report.review_needs_analyst.setdefault(review.summary_id, []).append(review.source_id)
            report.lines.append(f"needs analyst (review): {summary_line}")
            notes.append(review_note(review, where.name))
        else:
            report.lines.append(summary_line)
    if notes:
        report.review_notes[reviews[0].summary_id] = "\n".join(notes)


def find_stale(summary: Path, out: Path, manifest: Manifest, templates: Path) -> dict[str, list[str]] | None:
    """Return stale papers of a summary with reasons, or None if it was never built here."""
    record = manifest.summaries.get(summary_key(summary))
    if record is None:
        return None
    root = summary.resolve().parent.parent
    folder = out / record.id
    stale: dict[str, list[str]] = {}
    for edition in record.editions:
        paper = record.papers.get(edition)
        if paper is None:
            stale[edition] = ["never built"]
            continue
        reasons = stale_reasons(paper, out_dir=folder, root=root, templates=templates, version=__version__)
        if reasons:
            stale[edition] = reasons
    return stale


def regen(
    summaries: list[Path],
    *,
    out: Path,
    templates: Path | None = None,
    wait: float = 0.0,
    allow_warnings: bool = False,
    pool: Renderer | None = None,
) -> RegenReport:
    """Rebuild exactly the papers whose inputs changed or whose outputs are missing."""
    from briefgen.render import templates_dir  # light: no renderer is imported

    templates = templates or templates_dir()
    report = RegenReport()
    with output_lock(out, wait=wait):
        manifest = Manifest.load(out, repair=True)
        report.lines.extend(manifest.notes)
        for root in {s.resolve().parent.parent for s in summaries}:
            manifest.adopt(root)
        # Two summaries with one id would overwrite each other's papers: refuse before writing.
        problems = duplicate_ids(summaries, manifest)
        if problems:
            report.errors.extend(problems)
            report.lines.extend(f"error: {p}" for p in problems)
            return report
        for folder in out.iterdir():
            sweep_temporaries(folder)
        manifest.save()  # keys adopted from an older manifest, if any
        for summary in summaries:
            # Before the staleness check, which moves the recorded source fingerprints on.
            regen_review(summary, manifest, out=out, report=report)
            stale = find_stale(summary, out, manifest, templates)
            if stale == {}:
                if manifest.save():  # only fingerprints moved on
                    report.lines.append(f"{summary}: a source changed, but no quote a paper relies on did")
                report.lines.append(f"{summary}: up to date")
                continue
            _rebuild(
                summary,
                out=out,
                manifest=manifest,
                stale=stale,
                templates=templates,
                report=report,
                allow_warnings=allow_warnings,
                pool=pool,
            )
            manifest.save()
    return report


def _rebuild(
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
    # Only a rebuild pays for loading, anchoring and rendering.
    from briefgen.build import Builder, verify_inputs, write_paper, written_line
    from briefgen.changes import change_note, quote_changes, rebuilt_line
    from briefgen.pool import RenderJob, render_all
    from briefgen.recording import record_paper, summary_record
    from briefgen.redline import add_redline

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
    record = summary_record(manifest, inputs)
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
        add_redline(paper, out / inputs.summary.id / f"{name}.docx")
        written = write_paper(paper, out)
        new.outputs = {n: bytes_fingerprint(d) for n, d in sorted(paper.files.items())}
        record.papers[name] = new
        manifest.save()  # after each paper: a kill mid-run loses at most the paper in hand
        report.rebuilt.append(name)
        reasons = (stale or {}).get(name, ["never built"])
        report.lines.append(rebuilt_line(written_line(paper, written), reasons, quotes))
