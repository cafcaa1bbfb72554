"""Build the chosen editions of one summary: render them, write each atomically, record it in the manifest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from briefgen.build import Paper, editions_to_build, verify_inputs, write_paper, written_line
from briefgen.errors import BriefgenError, BuildError
from briefgen.locking import duplicate_ids, output_lock
from briefgen.manifest import Manifest, sweep_temporaries
from briefgen.model import Audience, Format, Length
from briefgen.recording import carry_over, known_fit, record_paper, summary_record
from briefgen.render import templates_dir

if TYPE_CHECKING:
    from briefgen.pool import Renderer


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
    from briefgen.redline import add_redline
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
        record = summary_record(manifest, inputs)
        plans = [(e, record.papers.get(e.name)) for e in editions]
        jobs = [
            RenderJob(
                summary=summary.resolve(),
                edition=edition,
                theme=theme,
                trims=known_fit(previous, edition, builder, inputs),
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
                add_redline(paper, redline_against)
            written = write_paper(paper, out)
            options = {"allow_warnings": allow_warnings}
            new = record_paper(paper, inputs, templates=templates, options=options)
            if previous is not None:
                carry_over(previous, new, fit_still_holds=known is not None)
            if edition.name in record.editions or length or audience or theme:
                record.papers[edition.name] = new
                if edition.name not in record.editions:
                    record.editions.append(edition.name)
            results.papers.append(paper)
            results.lines.append(written_line(paper, written))
        manifest.save()
    return results


__all__ = ["Results", "build_papers"]
