"""Build papers: load, verify, select, fit, render, then write every file atomically."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen import __version__
from briefgen.anchoring import Grade, QuoteCheck, anchor_texts, read_sources
from briefgen.brief import Brief, block_items, items_of
from briefgen.errors import BuildError, DraftError, EvidenceError, FitError, QualityError, SummaryError
from briefgen.layouts import Layout, apply_override, load_layout
from briefgen.loading import parse_summary_with_locations, read_summary_file
from briefgen.manifest import bytes_fingerprint, template_fingerprints
from briefgen.model import Audience, Claim, Edition, Format, Length, Summary
from briefgen.quality import KEY_POINT_SECTIONS, Quality, assess_quality
from briefgen.selection import Evidence, Trims, select_content, words
from briefgen.verifying import quote_problems
from briefgen.writing import write_atomic

if TYPE_CHECKING:  # the PDF renderer imports WeasyPrint: only a build that lays out pages loads it
    from briefgen.render.pdf import Extent

ONE_PAGE_WORDS = 400
# Room a one-page paper keeps free at the foot of its page: Word and LibreOffice set the same text
# a little looser than WeasyPrint does, and without it the .docx of a paper that just fits as PDF
# runs to a second page.
FOOT_RESERVE_MM = 14.0
# quality.py fails a one-page paper with fewer key points than this; the fitter cuts them last.
MIN_KEY_POINTS = 3


@dataclass
class Paper:
    """One built paper: the brief, its rendered files (in memory) and its report."""

    edition: Edition
    brief: Brief
    trims: Trims = field(default_factory=Trims)  # what the one-page fit cut
    files: dict[str, bytes] = field(default_factory=dict)  # file name → content
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class Inputs:
    """A loaded, verified summary and where it lives."""

    path: Path
    root: Path
    summary: Summary
    checks: list[QuoteCheck]
    evidence: Evidence
    # What was read, fingerprinted as read ("summary", "source:<id>", "template:<rel>"): recorded in
    # the manifest instead of the files as they are once the paper is built, so that a file saved
    # while a build runs leaves the paper stale, not current.
    fingerprints: dict[str, str] = field(default_factory=dict)


def project_root(summary_path: Path) -> Path:
    """Return the folder source files are relative to: the summary's folder's parent (briefs/..)."""
    return summary_path.resolve().parent.parent


def default_templates() -> Path:
    """Return the templates folder: $BRIEFGEN_TEMPLATES, or the one beside src/."""
    from briefgen.render import templates_dir

    return templates_dir()


def verify_inputs(path: Path, *, root: Path | None = None, strict: bool = True) -> Inputs:
    """Load a summary and anchor every quote in its sources.

    `strict` (check and build): a quote its source does not hold word for word is an error at its
    line. Otherwise (regen, after a source changed): a quote that changed slightly is printed in the
    source's new words, and one that is gone loses its claim the evidence.
    """
    data = read_summary_file(path, filename=str(path))
    summary, locations = parse_summary_with_locations(data, filename=str(path))
    if summary.draft:
        raise DraftError(
            f"{path}: the summary is a draft (draft: true); no paper is built from it until an analyst "
            "has edited it and removed `draft: true`"
        )
    root = root or project_root(path)
    texts = read_sources(summary, root)
    checks = anchor_texts(summary, texts)
    if strict:
        problems = quote_problems(checks, locations, str(path))
        if problems:
            raise SummaryError(problems)
    fingerprints = {"summary": bytes_fingerprint(data)}
    fingerprints.update({f"source:{i}": bytes_fingerprint(t.encode("utf-8")) for i, t in texts.items()})
    evidence = evidence_of(summary, checks)
    return Inputs(
        path=path, root=root, summary=summary, checks=checks, evidence=evidence, fingerprints=fingerprints
    )


def evidence_of(summary: Summary, checks: list[QuoteCheck]) -> Evidence:
    """Tell selection what anchoring found: each quote's grade and passage, and claims left bare."""
    grades: dict[tuple[str, int], Grade] = {}
    passages: dict[tuple[str, int], str] = {}
    for check in checks:
        index = int(check.where.rsplit("[", 1)[1].rstrip("]"))
        if check.anchor.grade is not Grade.MISSING:
            # What the source says, in its own words: this, not the summary's copy, is printed.
            # Disputes and claims may share an id: a dispute's quotes are keyed "dispute:<id>".
            owner = check.claim_id if check.where.startswith("claims[") else f"dispute:{check.claim_id}"
            passages[(owner, index)] = " ".join(check.anchor.exact.split())
        if check.where.startswith("claims["):
            grades[(check.claim_id, index)] = check.anchor.grade
    lost = set()
    for claim in summary.claims:
        if claim.evidence and all(
            grades.get((claim.id, i)) is Grade.MISSING for i in range(len(claim.evidence))
        ):
            lost.add(claim.id)
    return Evidence(grades=grades, lost=frozenset(lost), passages=passages)


def editions_to_build(
    summary: Summary,
    *,
    names: Iterable[str] = (),
    length: Length | None = None,
    audience: Audience | None = None,
    formats: Iterable[Format] = (),
) -> list[Edition]:
    """Pick the editions to build: named ones, one on demand, or every edition the summary names."""
    wanted_formats = list(formats)
    chosen: list[Edition] = []
    names = list(names)
    if length or audience:
        lengths = [length] if length else list(Length)
        audiences = [audience] if audience else list(Audience)
        chosen = [
            Edition(name=f"{ln.value}-{au.value}", length=ln, audience=au)
            for ln in lengths
            for au in audiences
        ]
    elif names:
        known = {e.name: e for e in summary.editions}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise BuildError(f"unknown edition {unknown[0]!r}; known: {', '.join(sorted(known))}")
        chosen = [known[n] for n in names]
    else:
        chosen = list(summary.editions)
        if not chosen:
            raise BuildError(f"{summary.id}: the summary names no editions; pass --length and --audience")
    if wanted_formats:
        chosen = [e.model_copy(update={"formats": wanted_formats}) for e in chosen]
    return chosen


def _next_trim(brief: Brief, summary: Summary, trims: Trims) -> Trims | None:
    """Return the next, smallest cut: shorten a long claim, else drop the lowest-priority claim.

    A claim that is the last of its section goes last, so cutting thins every section before it
    empties one, and so does a one-page paper's third key point, so that cutting keeps the 3–5
    key-point rule while anything else can go; priority-1 claims are shortened but never dropped.
    """
    order = {c.id: i for i, c in enumerate(summary.claims)}
    per_section: dict[str, int] = {}
    section_of: dict[str, str] = {}
    for section in brief.sections:
        for block in section.blocks:
            for item in block_items(block):
                if item.claim_id and item.claim_id not in section_of:
                    section_of[item.claim_id] = section.key
                    per_section[section.key] = per_section.get(section.key, 0) + 1
    shown = [summary.claim(i) for i in brief.included if i not in trims.drop]
    one_page = brief.length is Length.ONE_PAGE

    def key_point_floor(claim: Claim) -> bool:
        section = section_of.get(claim.id, "")
        return one_page and section in KEY_POINT_SECTIONS and per_section.get(section, 0) <= MIN_KEY_POINTS

    def last_needed(claim: Claim) -> bool:
        return per_section.get(section_of.get(claim.id, ""), 0) <= 1 or key_point_floor(claim)

    by_cost = sorted(
        shown,
        key=lambda c: (
            # A one-page paper's third key point goes after the last claim of any other section:
            # a section may be left out, but fewer than three key points fails the paper.
            key_point_floor(c),
            last_needed(c),
            -c.priority,
            -per_section.get(section_of.get(c.id, ""), 0),  # thin the fullest section first
            -order[c.id],
        ),
    )
    short = set(brief.short_form) | trims.shorten

    def can_shorten(claim: Claim) -> bool:
        return claim.id not in short and claim.full != claim.short

    for claim in by_cost:
        if claim.priority > 1 and can_shorten(claim):
            return Trims(shorten=trims.shorten | {claim.id}, drop=trims.drop)
    for claim in by_cost:
        if claim.priority > 1:
            return Trims(shorten=trims.shorten, drop=trims.drop | {claim.id})
    for claim in by_cost:
        if can_shorten(claim):
            return Trims(shorten=trims.shorten | {claim.id}, drop=trims.drop)
    return None


def _first(ok: Callable[[int], bool], low: int, high: int, guess: Callable[[int], int]) -> int | None:
    """Return the smallest k in [low, high] with ok(k), or None if not even ok(high).

    ok must stay true once true. `guess(k)` names where the answer probably is, knowing only that
    it is at least k; it is asked again after each miss, so it can learn from the calls so far.
    Steps past a miss at least double, so a poor guess costs a few more calls, never one per k.
    """
    probe = min(max(guess(low), low), high)
    if ok(probe):
        no, yes, step = low - 1, probe, 1  # ok(no) is false, or no is below the range
        while yes - step >= low:
            if not ok(yes - step):
                no = yes - step
                break
            yes, step = yes - step, step * 2
    else:
        no, step = probe, 1
        while True:
            probe = min(max(guess(no + 1), no + step), high)
            if ok(probe):
                yes = probe
                break
            if probe == high:
                return None
            no, step = probe, step * 2
    while yes - no > 1:
        middle = (no + yes) // 2
        if ok(middle):
            yes = middle
        else:
            no = middle
    return yes


def _words_for(pages: float, measured: list[tuple[int, float]]) -> float | None:
    """Estimate the words printed that fill `pages`, from (words, pages filled) of layouts made so far.

    From one layout, pages grow with words; from two or more, along the line through the two
    nearest the target (headings and notes take room however many words are cut).
    """
    if not measured:
        return None
    if len(measured) == 1:
        words, filled = measured[0]
        return words * pages / filled if filled > 0 else None
    (w1, f1), (w2, f2) = sorted(measured, key=lambda m: abs(m[1] - pages))[:2]
    if f1 == f2:
        return None
    return w1 + (pages - f1) * (w2 - w1) / (f2 - f1)


class DocxAside:
    """Write a brief's .docx in a forked child while the parent lays out the PDF.

    `collect()` returns the bytes, or None if the child failed (the caller then writes the file
    itself), so a problem here can cost time but never the paper. It also reaps the child, so
    call it on every path, errors included.
    """

    def __init__(self, brief: Brief) -> None:
        self.pid = 0
        self.result: bytes | None = None
        # Forking a process that runs other threads can leave a lock held forever in the child:
        # only fork when this is the only thread (as in the command line), else do nothing here.
        self.done = not hasattr(os, "fork") or threading.active_count() > 1
        if self.done:
            return
        self.read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: write the file, hand it over, leave without any cleanup
            status = 1
            try:
                os.close(self.read_end)
                from briefgen.render.docx import write_docx

                data = write_docx(brief)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)

    def collect(self) -> bytes | None:
        """Return the child's .docx bytes (None if it failed); reap it. Safe to call twice."""
        if not self.done:
            self.done = True
            with os.fdopen(self.read_end, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(self.pid, 0)
            self.result = data if status == 0 and data else None
        return self.result


def _needs_docx(edition: Edition) -> bool:
    """Tell whether a paper needs its Word file made: asked for, or to convert to .odt."""
    return Format.DOCX in edition.formats or Format.ODT in edition.formats


def body_words(brief: Brief) -> int:
    """Count the words of a paper's body: every item's label and text."""
    return sum(words(i.text) + words(i.label or "") for i in items_of(brief))


def _note_words(brief: Brief) -> int:
    """Count the words of a paper's notes: its footnotes' references and quotes."""
    return sum(words(c.footnote_text) for i in items_of(brief) for c in i.citations)


class Builder:
    """Build papers for one summary; keeps loaded inputs so a long-lived process stays warm."""

    def __init__(
        self, inputs: Inputs, *, templates: Path | None = None, allow_warnings: bool = False
    ) -> None:
        self.inputs = inputs
        self.templates = templates or default_templates()
        self.allow_warnings = allow_warnings

    def layout(self, name: str) -> Layout:
        """Load a layout from this builder's templates, with the summary's own changes to it."""
        layout = load_layout(self.templates, name)
        return apply_override(layout, self.inputs.summary.layouts.get(name), name=name)

    def select(self, edition: Edition, trims: Trims | None = None) -> Brief:
        """Select one edition's content (no page fitting)."""
        name = f"{edition.length.value}-{edition.audience.value}"
        layout = self.layout(name)
        files = [f"layouts/{name}.yaml", *(f"layouts/{s.embed}.yaml" for s in layout.sections if s.embed)]
        return select_content(
            self.inputs.summary,
            layout,
            evidence=self.inputs.evidence,
            trims=trims,
            load=self.layout,
            layout_files=tuple(files),
        )

    def fit(self, edition: Edition, timings: dict[str, float]) -> tuple[Brief, int, Any, Trims]:
        """Select content and cut it until the paper fits its page limit (and a one-page paper 400 words).

        Cuts are made by choosing content, never by shrinking type. The cuts form a sequence
        (shorten, then drop, lowest priority first); a binary search finds the fewest cuts that
        fit, so a paper needs a handful of layouts, not one per cut. A one-page paper also keeps
        FOOT_RESERVE_MM free at the foot of its page for Word. Returns the brief, the layouts made,
        the laid-out PDF document (so the build does not lay it out twice) and the cuts.
        """
        layout = self.layout(f"{edition.length.value}-{edition.audience.value}")
        started = time.perf_counter()
        briefs = [self.select(edition, Trims())]
        cuts = [Trims()]
        timings["select"] = time.perf_counter() - started
        if layout.max_pages is None:
            return briefs[0], 0, None, cuts[0]
        from briefgen.render.html import render_html
        from briefgen.render.pdf import body_extent, render_document

        max_pages = layout.max_pages
        one_page = edition.length is Length.ONE_PAGE
        laid_out: dict[int, tuple[bool, Any, Extent | None]] = {}  # fits, document, extent

        def fits(k: int) -> bool:
            if k not in laid_out:
                if one_page and body_words(briefs[k]) > ONE_PAGE_WORDS:
                    laid_out[k] = (False, None, None)  # too long to read on one page, however laid out
                    return False
                t = time.perf_counter()
                document = render_document(render_html(briefs[k]))
                extent = body_extent(document)  # a page with no body on it does not count
                laid_out[k] = (extent.pages <= max_pages, document, extent)
                timings["fit_render"] = timings.get("fit_render", 0.0) + time.perf_counter() - t
            return laid_out[k][0]

        def roomy(k: int) -> bool:
            extent = laid_out[k][2] if fits(k) else None
            return extent is not None and (not one_page or extent.room_mm >= FOOT_RESERVE_MM)

        if roomy(0):
            return briefs[0], 1, laid_out[0][1], cuts[0]
        t = time.perf_counter()
        first = briefs[0]
        while True:
            nxt = _next_trim(briefs[-1], self.inputs.summary, cuts[-1])
            if nxt is None:
                break
            nxt = replace(nxt, only=frozenset(first.included))
            cuts.append(nxt)
            briefs.append(self.select(edition, nxt))
        timings["select"] += time.perf_counter() - t
        last = len(briefs) - 1
        # Each cut leaves fewer words: start where the words a page may hold run out, and look
        # first where the layouts made so far say the words printed, notes too, fill the pages.
        words = [body_words(b) for b in briefs]
        low = next((k for k in range(1, last + 1) if not one_page or words[k] <= ONE_PAGE_WORDS), last)
        printed = [w + _note_words(b) for w, b in zip(words, briefs, strict=True)]  # a quote takes room too

        def guess_for(reserve_mm: float) -> Callable[[int], int]:
            """Guess the first cut whose words fill the pages but `reserve_mm` at the foot of the last."""

            def guess(at_least: int) -> int:
                made = [(printed[k], e) for k, (_, _, e) in laid_out.items() if e is not None]
                page_mm = made[0][1].page_mm if made else 0.0
                pages = max_pages - (reserve_mm / page_mm if page_mm else 0.0)
                target = _words_for(pages, [(w, e.filled) for w, e in made])
                if target is None:
                    return at_least
                return next((k for k in range(at_least, last + 1) if printed[k] <= target), last)

            return guess

        # Keep the reserve if any cut can; if none can, the paper still fits its page (build warns).
        high = _first(roomy, low, last, guess_for(FOOT_RESERVE_MM if one_page else 0.0))
        if high is None:
            high = _first(fits, low, last, guess_for(0.0))
        if high is None:
            p1 = [
                c.id for c in self.inputs.summary.claims if c.priority == 1 and c.id in briefs[last].included
            ]
            extent = laid_out[last][2]
            length = f"{extent.pages} pages, " if extent else ""
            raise FitError(
                f"{edition.name}: the priority-1 claims do not fit {max_pages} page(s) even in their short "
                f"form ({length}{words[last]} words): {', '.join(p1)}"
            )
        # Claims the uncut paper had already left out keep the reason it gave.
        before = {d.claim_id: d for d in first.dropped}
        dropped = tuple(before.get(d.claim_id, d) for d in briefs[high].dropped)
        layouts = sum(1 for _, document, _ in laid_out.values() if document is not None)
        return replace(briefs[high], dropped=dropped), layouts, laid_out[high][1], cuts[high]

    def check_fit(self, edition: Edition, brief: Brief, timings: dict[str, float]) -> Any:
        """Lay out a brief cut by a known fit; return the document if it still fits, else None."""
        from briefgen.render.html import render_html
        from briefgen.render.pdf import body_extent, render_document

        layout = self.layout(f"{edition.length.value}-{edition.audience.value}")
        t = time.perf_counter()
        document = render_document(render_html(brief))
        timings["fit_render"] = time.perf_counter() - t
        if layout.max_pages is not None and body_extent(document).pages > layout.max_pages:
            return None
        if edition.length is Length.ONE_PAGE and body_words(brief) > ONE_PAGE_WORDS:
            return None
        return document

    def build(self, edition: Edition, *, trims: Trims | None = None) -> Paper:
        """Build one paper in memory: fitted brief, rendered files and report.

        `trims` is a fit found earlier for the same inputs: it spares a DOCX-only build from
        laying out the PDF (and importing WeasyPrint) just to count pages, and lets a PDF + DOCX
        build write the Word file in parallel with the PDF, checking the fit with one layout.
        """
        # Before any template is read: one saved while the paper is built leaves it stale.
        self.inputs.fingerprints.update(template_fingerprints(self.templates))
        lost = [
            c.id
            for c in self.inputs.summary.claims
            if c.priority == 1 and edition.audience in c.audiences and c.id in self.inputs.evidence.lost
        ]
        if lost:
            raise EvidenceError(
                f"{edition.name}: priority-1 claims lost their evidence and need an analyst: "
                + ", ".join(lost),
                lost,
            )
        timings: dict[str, float] = {}
        started = time.perf_counter()
        aside: DocxAside | None = None
        try:
            if trims is not None:
                brief, rounds, document = self.select(edition, trims), 0, None
                if _needs_docx(edition) and Format.PDF in edition.formats:
                    # The fit is known, so the Word file can be written on the other core while the
                    # PDF is laid out (and WeasyPrint imported).
                    aside = DocxAside(brief)
                if Format.PDF in edition.formats:
                    document = self.check_fit(edition, brief, timings)
                    if document is None:  # the known fit no longer fits: fit again
                        if aside is not None:
                            aside.collect()  # reap the child; its file is for the old cut
                        aside = None
                        brief, rounds, document, trims = self.fit(edition, timings)
            else:
                brief, rounds, document, trims = self.fit(edition, timings)
            paper = Paper(edition=edition, brief=brief, trims=trims)
            pages = -1
            quality = assess_quality(brief, self.inputs.summary, body_words=body_words(brief))
            if quality.failures and not self.allow_warnings:
                failures = "; ".join(quality.failures)
                raise QualityError(f"{edition.name}: {failures} (use --allow-warnings to build anyway)")
            stem = brief.name
            html_text: str | None = None
            if Format.HTML in edition.formats or Format.PDF in edition.formats:
                from briefgen.render.html import render_html

                t = time.perf_counter()
                html_text = render_html(brief)
                timings["html"] = time.perf_counter() - t
            if Format.PDF in edition.formats:
                from briefgen.render.pdf import body_extent, render_document, write_pdf

                t = time.perf_counter()
                if document is None:
                    assert html_text is not None
                    document = render_document(html_text)
                pages = len(document.pages)
                room = body_extent(document).room_mm
                if edition.length is Length.ONE_PAGE and room < FOOT_RESERVE_MM:
                    quality.warnings.append(
                        f"{room:.0f} mm free at the foot of the page, under the {FOOT_RESERVE_MM:g} mm "
                        "kept for Word: the .docx may run to a second page"
                    )
                paper.files[f"{stem}.pdf"] = write_pdf(document)
                timings["pdf"] = time.perf_counter() - t
            if _needs_docx(edition):
                t = time.perf_counter()
                data = aside.collect() if aside is not None else None
                if data is None:
                    from briefgen.render.docx import write_docx

                    data = write_docx(brief)
                if Format.DOCX in edition.formats:
                    paper.files[f"{stem}.docx"] = data
                timings["docx"] = time.perf_counter() - t
                if Format.ODT in edition.formats:
                    # Converted from this build's Word file, never one on disk: the two always
                    # carry the same claims. A failed conversion fails the paper, so no file of
                    # it is written and the last good .odt stays.
                    from briefgen.render.odt import write_odt

                    t = time.perf_counter()
                    paper.files[f"{stem}.odt"] = write_odt(data, brief)
                    timings["odt"] = time.perf_counter() - t
            if Format.HTML in edition.formats:
                from briefgen.render.html import render_html

                paper.files[f"{stem}.html"] = render_html(brief, media="screen").encode("utf-8")
            timings["total"] = time.perf_counter() - started
            paper.report = self.report(paper, quality, rounds=rounds, pages=pages, timings=timings)
            paper.files[f"{stem}.report.json"] = (
                json.dumps(paper.report, indent=2, ensure_ascii=False) + "\n"
            ).encode()
            return paper
        finally:
            if aside is not None:
                aside.collect()  # never leave a child behind, whatever happened

    def report(
        self, paper: Paper, quality: Quality, *, rounds: int, pages: int, timings: dict[str, float]
    ) -> dict[str, Any]:
        """Describe a built paper for people and tools."""
        brief = paper.brief
        citations = [c for item in items_of(brief) for c in item.citations]
        # Grades of every quote the paper rests on, cited inline or (for a minister) only in the annex.
        summary = self.inputs.summary
        grades = Counter(
            self.inputs.evidence.grades.get((claim_id, index), Grade.UNCHECKED).value
            for claim_id in brief.included
            for index, _ in enumerate(summary.claim(claim_id).evidence)
        )
        cited = sorted({ev.source for claim_id in brief.included for ev in summary.claim(claim_id).evidence})
        return {
            "summary": brief.summary_id,
            "edition": brief.edition,
            "length": brief.length,
            "audience": brief.audience,
            "formats": [f.value for f in paper.edition.formats],
            "marking": brief.marking,
            "pages": pages if pages >= 0 else None,
            "words": body_words(brief),
            "claims_included": list(brief.included),
            "claims_shortened": list(brief.shortened),
            "claims_dropped": [
                {"claim": d.claim_id, "priority": d.priority, "why": d.reason} for d in brief.dropped
            ],
            "fit_rounds": rounds,
            "readability": quality.to_dict(),
            "citations": len(citations),
            "quotes": sum(grades.values()),
            "anchor_grades": dict(sorted(grades.items())),
            "sources_cited": cited,
            "layouts": list(brief.layout_files),
            "briefgen": __version__,
            "timings_s": {k: round(v, 3) for k, v in sorted(timings.items())},
        }


def write_paper(paper: Paper, out_dir: Path) -> list[Path]:
    """Write a paper's files into OUT/<summary id>/; the report goes last, as the commit mark."""
    folder = out_dir / paper.brief.summary_id
    written = []
    names = sorted(paper.files, key=lambda n: n.endswith(".report.json"))
    for name in names:
        target = folder / name
        write_atomic(target, paper.files[name])
        written.append(target)
    return written


def written_line(paper: Paper, written: list[Path]) -> str:
    """Return the terminal line for a paper just written: its files, size, words and build time."""
    # The paper's own build time (in a pool, the wait for it says nothing about it).
    seconds = paper.report.get("timings_s", {}).get("total", 0.0)
    pages = paper.report.get("pages")
    shown = ", ".join(p.name for p in written if not p.name.endswith(".json"))
    size = f"{pages} page{'s' if pages != 1 else ''}, " if pages else ""
    words = paper.report["words"]
    return f"{paper.brief.summary_id}/{paper.brief.name}: {shown} ({size}{words} words, {seconds:.2f} s)"
