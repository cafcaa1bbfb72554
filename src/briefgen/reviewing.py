"""Run the review when a source changes: which sources changed since the papers were built, and the note.

Kept apart from `review` so that `regen` with nothing changed imports nothing heavy: finding the
changed sources needs only the manifest and file fingerprints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from briefgen.manifest import Manifest, file_fingerprint

if TYPE_CHECKING:
    from briefgen.review import Review

__all__ = ["changed_sources", "review_note", "review_sources"]


def changed_sources(summary: Path, manifest: Manifest) -> list[str]:
    """Return the ids of the sources whose text differs from what the summary's papers were built on.

    A summary never built in this output folder has nothing to compare with: its first build is
    not a change.
    """
    from briefgen.manifest import summary_key

    record = manifest.summaries.get(summary_key(summary))
    if record is None:
        return []
    root = summary.resolve().parent.parent
    changed: dict[str, None] = {}
    for paper in record.papers.values():
        for key, sha in paper.inputs.items():
            kind, _, rest = key.partition(":")
            if kind != "source":
                continue
            source_id, _, file = rest.partition(":")
            if source_id not in changed and file_fingerprint(root / file) not in (sha, "missing"):
                changed[source_id] = None
    return list(changed)


def _previous_sentences(out: Path, root: Path, summary_id: str, source_id: str, text: str) -> list[str]:
    """Return the sentence hashes of the source's last reviewed (or last stored) version."""
    from briefgen.review import read_review, sentence_hash
    from briefgen.sentences import split_sentences

    last = read_review(out, summary_id, source_id)
    if last is not None:
        return [str(h) for h in last.get("seen", [])]
    # A URL source keeps dated snapshots: the newest one that differs is the version before.
    snapshots = sorted((root / "seeds" / "snapshots" / source_id).glob("*.txt"), reverse=True)
    for snapshot in snapshots:
        old = snapshot.read_text(encoding="utf-8", errors="replace")
        if old != text:
            return [sentence_hash(s.text) for s in split_sentences(old)]
    return []


def review_sources(summary_path: Path, source_ids: list[str], *, out: Path) -> list[Review]:
    """Review sources of a summary against its claims and write each review beside the papers."""
    from briefgen.anchoring import read_sources
    from briefgen.errors import SourceError
    from briefgen.loading import load_summary
    from briefgen.review import review_source, write_review

    summary = load_summary(summary_path)
    root = summary_path.resolve().parent.parent
    texts = read_sources(summary, root)
    reviews = []
    for source_id in source_ids:
        if source_id not in texts:
            raise SourceError(f"{summary_path}: no source '{source_id}'")
        previous = _previous_sentences(out, root, summary.id, source_id, texts[source_id])
        review = review_source(summary, texts, source_id, previous=previous, summary_path=str(summary_path))
        write_review(review, out)
        reviews.append(review)
    return reviews


def review_note(review: Review, file: str) -> str:
    """Write the change-note section that names a review needing an analyst."""
    from briefgen.review import FindingKind

    lines = [f"## Needs an analyst: review of changed source '{review.source_id}'", ""]
    for f in review.findings:
        if f.kind is FindingKind.CONTRADICTS:
            what = "spelling variant of a name" if f.variant else f.what
            lines.append(
                f"- `{f.claim_id}` contradicted ({what}): the source says \u201c{f.theirs}\u201d, "
                f"the summary \u201c{f.ours}\u201d"
            )
        elif f.kind is FindingKind.REQUOTED:
            lines.append(
                f"- `{f.claim_id or '-'}`: the source quotes \u201c{f.theirs[:120]}\u201d differently"
            )
    lines += ["", f"See {file} beside this paper.", ""]
    return "\n".join(lines)
