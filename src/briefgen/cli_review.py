"""The review commands: `sources add`, `evidence add`, `review`, `draft` and `check --disputes`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from briefgen.errors import BriefgenError, PathError, SummaryError
from briefgen.paths import project_summaries

__all__ = ["check_disputes", "register", "review_changed"]


def _error(exc: BriefgenError) -> typer.Exit:
    if isinstance(exc, SummaryError):
        for problem in exc.problems:
            typer.echo(f"{problem.severity}: {problem}", err=True)
    else:
        for line in str(exc).splitlines() or ["unknown error"]:
            typer.echo(f"error: {line}", err=True)
    return typer.Exit(1)


def _summary(path: Path | None) -> Path:
    if path is not None:
        return path
    try:
        found = project_summaries(Path())
    except PathError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if len(found) == 1:
        return found[0]
    what = "no summary in briefs/" if not found else f"{len(found)} summaries in briefs/"
    typer.echo(f"error: {what}; pass --summary FILE", err=True)
    raise typer.Exit(1)


def _ask(question: str, default: str | None) -> str:
    answer: str = typer.prompt(question, default=default or "", show_default=bool(default))
    return answer


def review_changed(summary_path: Path, source_ids: list[str], *, out: Path, emit: bool = True) -> list[str]:
    """Review sources of a summary, write the reviews beside the papers and print them.

    Return the ids of the sources whose review needs an analyst.
    """
    from briefgen.reviewing import review_sources

    flagged = []
    for review in review_sources(summary_path, source_ids, out=out):
        if emit:
            for line in review.lines():
                typer.echo(line)
        if review.needs_analyst:
            flagged.append(review.source_id)
    return flagged


def check_disputes(paths: list[Path], *, as_json: bool) -> bool:
    """Print the disagreements among each summary's sources that it does not record; True if any."""
    from briefgen.anchoring import read_sources
    from briefgen.loading import load_summary
    from briefgen.review import FindingKind, find_disputes

    found_any = False
    reports = []
    for path in paths:
        summary = load_summary(path)
        texts = read_sources(summary, path.resolve().parent.parent)
        reviews = find_disputes(summary, texts, summary_path=str(path))
        findings = [f for r in reviews for f in r.findings]
        found_any = found_any or bool(findings)
        if as_json:
            reports.append({"file": str(path), "unrecorded_disputes": [f.to_dict() for f in findings]})
            continue
        for f in findings:
            if f.kind is FindingKind.REQUOTED:
                typer.echo(
                    f"{path}: dispute not recorded: {f.claim_id or '-'} (quotation): "
                    f"'{f.source_id}' and '{f.ours_source or 'the claim'}' quote the same words differently"
                )
                typer.echo(f"    {f.ours_source or 'claim'}: \u201c{_clip(f.ours)}\u201d")
                typer.echo(f"    {f.source_id}: \u201c{_clip(f.theirs)}\u201d")
                continue
            what = f"{f.what}, spelling variant" if f.variant else f.what
            typer.echo(
                f"{path}: dispute not recorded: {f.claim_id} ({what}): "
                f"'{f.source_id}' says \u201c{f.theirs}\u201d; the summary says \u201c{f.ours}\u201d"
            )
            typer.echo(f"    {f.source_id}: \u201c{_clip(f.passage)}\u201d")
            typer.echo(
                f"    {f.ours_source or 'claim ' + (f.claim_id or '')}: \u201c{_clip(f.ours_passage)}\u201d"
            )
        count = len(findings)
        typer.echo(
            f"{path}: {count} disagreement{'s' if count != 1 else ''} among sources not recorded as disputes"
        )
    if as_json:
        typer.echo(json.dumps(reports if len(reports) != 1 else reports[0], indent=2, ensure_ascii=False))
    return found_any


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " \u2026"


def register(app: typer.Typer, sources_app: typer.Typer) -> None:
    """Add the review commands to the command line."""
    sources_app.command("add")(sources_add)
    evidence_app = typer.Typer(no_args_is_help=True, help="Add evidence to claims, quote verified.")
    evidence_app.command("add")(evidence_add)
    app.add_typer(evidence_app, name="evidence")
    app.command("review")(review)
    app.command("draft")(draft)


def sources_add(
    location: Annotated[str, typer.Argument(help="A file, or an http(s) URL.", metavar="FILE|URL")],
    summary: Annotated[Path | None, typer.Option(help="The summary (default: the one in briefs/).")] = None,
    source_id: Annotated[str | None, typer.Option("--id", help="The new source's id.")] = None,
    title: Annotated[str | None, typer.Option(help="Title, when the source does not show one.")] = None,
    publisher: Annotated[str | None, typer.Option(help="Publisher.")] = None,
    author: Annotated[str | None, typer.Option(help="Author.")] = None,
    date: Annotated[str | None, typer.Option(help="Date as printed (read day first).")] = None,
    kind: Annotated[str | None, typer.Option(help="official, news, analysis or academic.")] = None,
    reliability: Annotated[str | None, typer.Option(help="How far to trust it.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Where the review is written.")] = Path("out"),
    no_input: Annotated[bool, typer.Option("--no-input", help="Never ask; guess or fail.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the entry; write nothing.")] = False,
) -> None:
    """Add a source: snapshot under seeds/, entry in the summary (in place), then review it."""
    from briefgen.intake import add_source

    path = _summary(summary)
    interactive = not no_input and sys.stdin.isatty()
    given = {
        "id": source_id,
        "title": title,
        "publisher": publisher,
        "author": author,
        "date": date,
        "kind": kind,
        "reliability": reliability,
    }
    try:
        added = add_source(path, location, given=given, ask=_ask if interactive else None, dry_run=dry_run)
    except BriefgenError as exc:
        raise _error(exc) from None
    for note in added.notes:
        typer.echo(f"  {note}")
    if dry_run:
        typer.echo(f"{path}: would add source '{added.source_id}' ({added.file}); nothing written")
        return
    typer.echo(f"{path}: added source '{added.source_id}' ({added.file})")
    try:
        review_changed(path, [added.source_id], out=out)
    except BriefgenError as exc:
        raise _error(exc) from None
    typer.echo(
        f"review written to {out / (added.summary.id if added.summary else '')}/review-{added.source_id}.md"
    )


def evidence_add(
    claim: Annotated[str, typer.Argument(help="The claim's id.")],
    source: Annotated[str, typer.Argument(help="The source's id.")],
    passage: Annotated[str, typer.Argument(help="The passage, word for word.")],
    summary: Annotated[Path | None, typer.Option(help="The summary (default: the one in briefs/).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check; write nothing.")] = False,
) -> None:
    """Add a verbatim passage from a source as evidence for a claim, in place, quote verified."""
    from briefgen.anchoring import Grade
    from briefgen.intake import add_evidence

    path = _summary(summary)
    try:
        added = add_evidence(path, claim, source, passage, dry_run=dry_run)
    except BriefgenError as exc:
        raise _error(exc) from None
    copied = " (the source's own wording copied)" if added.grade is not Grade.EXACT else ""
    verb = "would add" if dry_run else "added"
    typer.echo(f"{path}:{added.line}: {verb} evidence from '{source}' to claim '{claim}'{copied}")


def review(
    source: Annotated[str, typer.Argument(help="The id of a source of the summary.")],
    summary: Annotated[Path | None, typer.Option(help="The summary (default: the one in briefs/).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Where the review is written.")] = Path("out"),
) -> None:
    """Review one source against every claim; exit 5 if it contradicts or requotes one."""
    from briefgen.regen import REVIEW_NEEDS_ANALYST

    path = _summary(summary)
    try:
        flagged = review_changed(path, [source], out=out)
    except BriefgenError as exc:
        raise _error(exc) from None
    raise typer.Exit(REVIEW_NEEDS_ANALYST if flagged else 0)


def draft(
    sources: Annotated[list[str], typer.Argument(help="Source files or URLs.", metavar="SOURCE...")],
    draft_id: Annotated[str, typer.Option("--id", help="The new summary's id: briefs/ID.yaml.")],
    briefs: Annotated[Path, typer.Option(help="Where to write the summary.")] = Path("briefs"),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing draft.")] = False,
) -> None:
    """Write a first, extractive draft summary from sources; it must be edited and cleared to build."""
    from briefgen.drafting import write_draft

    try:
        result = write_draft(sources, draft_id=draft_id, briefs=briefs, force=force)
    except BriefgenError as exc:
        raise _error(exc) from None
    for line in result.lines:
        typer.echo(line)
