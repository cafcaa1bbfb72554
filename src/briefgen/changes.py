"""Say what changed in a rebuilt paper: claims, the forms it prints, what else it shows, its quotes.

`record_paper` (recording.py) stores what a paper printed in its manifest record; at the next rebuild
`change_note` compares that record with the new one and writes `<paper>.changes.md`, and
`rebuilt_line` names, in the run's output, each claim whose evidence changed. A record written by
an older briefgen lacks some of this: what it lacks is treated as not known, never as a change.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen.anchoring import Anchor, Grade
from briefgen.brief import Brief, items_of
from briefgen.manifest import PaperRecord

if TYPE_CHECKING:
    from briefgen.build import Inputs
    from briefgen.model import Claim, Summary

# The forms of a claim's text, by their key in the manifest record, with their name in a note.
FORMS = {"text": "full text", "short": "short form", "plain": "plain English"}
# A line of the run's output names this many reasons or claims at most, then says how many more.
MAX_LISTED = 6
_WORD = re.compile(r"\w+")


class QuoteEvent(StrEnum):
    """What happened to a quote since the paper was last built."""

    REWORDED = "reworded"  # the source words it slightly differently; printed in the new wording
    GONE = "gone"  # no longer in the source: evidence lost
    MOVED = "moved"  # same words, elsewhere in the source
    EDITED = "edited"  # the summary changed or removed the quote itself


@dataclass(frozen=True)
class QuoteChange:
    """One quote of a paper whose place or wording in its source changed."""

    owner: str  # the claim (or dispute) the quote supports
    source: str
    event: QuoteEvent
    quote: str  # as the summary gives it
    before: str = ""  # the source's wording at the last build (the summary's quote if not known)
    after: str = ""  # the source's wording now; empty when gone
    score: float = 100.0
    new: bool = True  # false for a quote flagged at the last build already and unchanged since
    in_paper: bool = True  # whether its claim is still in the paper
    reason: str = ""  # why a claim that lost this quote left the paper


# -- what a paper prints, for its manifest record ------------------------------------------------


def claim_entry(claim: Claim, printed: list[str] | None, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    """Return what the manifest keeps of a claim in a paper: each form, which it prints, the evidence."""
    entry: dict[str, Any] = {
        "text": claim.full,
        "short": claim.short,
        "plain": claim.plain,
        "priority": claim.priority,
        "evidence": evidence,
    }
    if printed is not None:
        entry["printed"] = printed
    return entry


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _within(needle: list[str], haystack: list[str]) -> bool:
    """Tell whether the words of `needle` occur in `haystack` in order (other words may come between)."""
    rest = iter(haystack)
    return all(word in rest for word in needle)


def printed_forms(brief: Brief, summary: Summary) -> dict[str, list[str]]:
    """Tell which forms of each claim a paper prints, by their manifest keys ("text", "short", "plain").

    An item prints a form if the form's words appear in it in order: selection may spell out an
    acronym at its first use ("Global Combat Air Programme (GCAP)"), and never changes a word.
    Of several forms that match (a short form may be the full one less a word), the longest wins.
    """
    found: dict[str, set[str]] = {}
    for item in items_of(brief):
        if item.claim_id is None:
            continue
        claim = summary.claim(item.claim_id)
        forms = {key: _words(getattr(claim, "full" if key == "text" else key) or "") for key in FORMS}
        for shown in (item.text, item.label or ""):
            words = _words(shown)
            matching = [key for key, form in forms.items() if form and _within(form, words)]
            if matching:
                longest = max(len(forms[key]) for key in matching)
                found.setdefault(claim.id, set()).update(k for k in matching if len(forms[k]) == longest)
    return {claim_id: sorted(keys) for claim_id, keys in found.items()}


def _fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _mentions(text: str, term: str) -> bool:
    return re.search(r"(?<![\w+])" + re.escape(term) + r"(?![\w+])", text) is not None


def shown_content(brief: Brief, summary: Summary, templates: Path) -> dict[str, Any]:
    """Record what a paper shows besides claims: subject, and disputes, timeline and glossary entries.

    The subject is kept field by field; the disputes, timeline entries and glossary terms the
    paper prints (a glossary term counts where the text uses it) by fingerprint.
    """
    from briefgen.layouts import Content, load_layout

    contents = {s.content for f in brief.layout_files for s in load_layout(templates, Path(f).stem).sections}
    text = " ".join(t for item in items_of(brief) for t in (item.text, item.label or ""))
    included = set(brief.included)
    disputes = [
        d for d in summary.disputes if Content.DISPUTES in contents or included.intersection(d.claims)
    ]
    shown: dict[str, Any] = {
        "subject": summary.subject.model_dump(mode="json"),
        "disputes": {d.id: _fingerprint(d.model_dump(mode="json")) for d in disputes},
        "glossary": {
            g.term: _fingerprint(g.model_dump(mode="json"))
            for g in summary.glossary
            if _mentions(text, g.term)
        },
    }
    if Content.TIMELINE in contents:
        timeline: dict[str, str] = {}
        for entry in summary.timeline:
            day = entry.date.isoformat()
            same_day = sum(1 for key in timeline if key.startswith(day))
            timeline[f"{day}#{same_day + 1}"] = _fingerprint(entry.model_dump(mode="json"))
        shown["timeline"] = timeline
    return shown


# -- quotes ---------------------------------------------------------------------------------------


def _compare(
    owner: str,
    source: str,
    quote: str,
    anchor: Anchor,
    recorded: dict[str, Any] | None,
    *,
    in_paper: bool,
    reason: str,
) -> list[QuoteChange]:
    """Compare one quote's anchor now with the one recorded at the paper's last build."""
    then = Anchor.from_dict(recorded) if recorded else None
    before = then.exact if then is not None and then.grade is not Grade.MISSING else quote
    if anchor.grade is Grade.MISSING:
        already = then is not None and then.grade is Grade.MISSING
        return [
            QuoteChange(
                owner,
                source,
                QuoteEvent.GONE,
                quote,
                before,
                new=not already,
                in_paper=in_paper,
                reason=reason,
            )
        ]
    if not in_paper:
        return []  # cut to fit, say: its quotes are not printed
    if anchor.grade is Grade.FUZZY:
        same = then is not None and then.grade is Grade.FUZZY and then.exact == anchor.exact
        return [
            QuoteChange(
                owner, source, QuoteEvent.REWORDED, quote, before, anchor.exact, anchor.score, new=not same
            )
        ]
    if then is not None and then.grade is not Grade.MISSING and then.start != anchor.start:
        return [QuoteChange(owner, source, QuoteEvent.MOVED, quote, before, anchor.exact)]
    return []


def quote_changes(inputs: Inputs, previous: PaperRecord | None, brief: Brief) -> list[QuoteChange]:
    """List the quotes of a rebuilt paper that moved, were reworded or lost in their sources, or edited.

    Covers the claims the paper prints now or printed last time, and the dispute sides it shows.
    """
    summary = inputs.summary
    anchors = {(check.claim_id, check.where): check.anchor for check in inputs.checks}
    before = previous.claims if previous is not None else {}
    included = set(brief.included)
    dropped = {d.claim_id: d.reason for d in brief.dropped}
    position = {claim.id: i for i, claim in enumerate(summary.claims)}
    changes: list[QuoteChange] = []
    for claim_id in dict.fromkeys([*brief.included, *before]):
        if claim_id not in position:
            continue  # deleted from the summary: the note's list of claims says so
        i = position[claim_id]
        claim = summary.claims[i]
        recorded = {
            (e["source"], e["quote"]): e.get("anchor") for e in before.get(claim_id, {}).get("evidence", [])
        }
        reason = dropped.get(claim_id, "")
        for j, evidence in enumerate(claim.evidence):
            anchor = anchors.get((claim_id, f"claims[{i}].evidence[{j}]"))
            if anchor is not None:
                found = recorded.get((evidence.source, evidence.quote))
                changes += _compare(
                    claim_id,
                    evidence.source,
                    evidence.quote,
                    anchor,
                    found,
                    in_paper=claim_id in included,
                    reason=reason,
                )
        now = {(e.source, e.quote) for e in claim.evidence}
        for source, quote in recorded:
            if (source, quote) not in now:
                changes.append(QuoteChange(claim_id, source, QuoteEvent.EDITED, quote))
    if any(section.key.startswith("dispute-") for section in brief.sections):
        shown = {(q["source"], q["quote"]): q.get("anchor") for q in (previous.quotes if previous else [])}
        for i, dispute in enumerate(summary.disputes):
            for j, side in enumerate(dispute.positions):
                anchor = anchors.get((dispute.id, f"disputes[{i}].positions[{j}]"))
                if anchor is not None:
                    found = shown.get((side.source, side.quote))
                    changes += _compare(
                        dispute.id, side.source, side.quote, anchor, found, in_paper=True, reason=""
                    )
    return changes


# -- the change note ------------------------------------------------------------------------------


def _quoted(text: str | None) -> str:
    return "(none)" if text is None else f"\u201c{text}\u201d"


def _value(value: Any) -> str:
    """Show a recorded value: text in quotation marks, anything else (a list, say) as JSON."""
    return _quoted(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _printed_text(entry: dict[str, Any]) -> str:
    """Return the form of a recorded claim that its paper prints (the full text if not known)."""
    forms = entry.get("printed") or ["text"]
    return str(entry.get(forms[0]) or entry.get("text", ""))


def _claim_lines(
    before: dict[str, Any], after: dict[str, Any], brief: Brief, summary: Summary
) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Return the claims' sections of a note (added, removed two ways, reworded per form), and remarks."""
    known = {claim.id: claim for claim in summary.claims}
    dropped = {d.claim_id: d.reason for d in brief.dropped}
    added = [f"- `{c}`: {_printed_text(after[c])}" for c in after if c not in before]
    deleted = [f"- `{c}`: {_printed_text(before[c])}" for c in before if c not in after and c not in known]
    left: list[str] = []
    for claim_id in before:
        if claim_id in after or claim_id not in known:
            continue
        reason = dropped.get(claim_id) or f"no longer written for {brief.audience} readers"
        left.append(f"- `{claim_id}`: {reason}")
    reworded: dict[str, list[str]] = {key: [] for key in FORMS}
    elsewhere: list[str] = []
    unrecorded = False
    for claim_id, now in after.items():
        then = before.get(claim_id)
        if then is None:
            continue
        printed = set(now.get("printed") or FORMS) | set(then.get("printed") or [])
        for key, name in FORMS.items():
            if key not in then:
                unrecorded = True  # an older manifest kept only the full text
            elif then[key] != now.get(key):
                if key in printed:
                    reworded[key].append(
                        f"- `{claim_id}`: {_quoted(then[key])} \u2192 {_quoted(now.get(key))}"
                    )
                else:
                    elsewhere.append(f"`{claim_id}` ({name})")
    sections = [
        ("Claims added", added),
        ("Claims removed: deleted from the summary", deleted),
        ("Claims removed: no longer in this paper", left),
        *((f"Claims reworded: {FORMS[key]}", lines) for key, lines in reworded.items()),
    ]
    remarks = []
    if elsewhere:
        remarks.append(
            "Reworded in the summary, in a form this paper does not print: " + ", ".join(elsewhere) + "."
        )
    if unrecorded:
        remarks.append(
            "The last build did not record short and plain-English forms: their rewording is not shown."
        )
    return sections, remarks


def _keyed_changes(then: dict[str, str], now: dict[str, str], label: str, gone: str) -> list[str]:
    lines = []
    for key in sorted(then.keys() | now.keys()):
        if key not in then:
            lines.append(f"- {label.format(key)}: added")
        elif key not in now:
            lines.append(f"- {label.format(key)}: {gone}")
        elif then[key] != now[key]:
            lines.append(f"- {label.format(key)}: changed")
    return lines


def _days(timeline: dict[str, str]) -> dict[str, str]:
    """Name timeline entries by their day ("2026-01-31"), adding "(2)" for a second entry that day."""
    named = {}
    for key, value in timeline.items():
        day, _, number = key.partition("#")
        named[day if number in ("", "1") else f"{day} ({number})"] = value
    return named


def _shown_lines(then: dict[str, Any], now: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Return the note's sections on the subject, disputes, timeline and glossary the paper shows."""
    sections: list[tuple[str, list[str]]] = []
    if "subject" in then:
        old, new = then["subject"], now.get("subject", {})
        lines = [
            f"- {name.replace('_', ' ')}: {_value(old.get(name))} \u2192 {_value(new.get(name))}"
            for name in sorted(old.keys() | new.keys())
            if old.get(name) != new.get(name)
        ]
        sections.append(("Subject", lines))
    if "disputes" in then:
        lines = _keyed_changes(then["disputes"], now.get("disputes", {}), "`{}`", "no longer shown")
        sections.append(("Where sources differ", lines))
    if "timeline" in then or "timeline" in now:
        if "timeline" not in now:
            lines = ["- no longer shown"]
        elif "timeline" not in then:
            lines = ["- now shown"] if then else []
        else:
            lines = _keyed_changes(_days(then["timeline"]), _days(now["timeline"]), "entry of {}", "removed")
        sections.append(("Timeline", lines))
    if "glossary" in then:
        lines = _keyed_changes(then["glossary"], now.get("glossary", {}), "`{}`", "no longer used")
        sections.append(("Glossary", lines))
    return sections


def _quote_lines(quotes: list[QuoteChange]) -> list[tuple[str, list[str]]]:
    confirm = [
        f"- `{q.owner}` ('{q.source}'): {_quoted(q.before)} \u2192 {_quoted(q.after)} (match {q.score:.0f}%)"
        for q in quotes
        if q.event is QuoteEvent.REWORDED
    ]
    if confirm:
        confirm.insert(
            0,
            "The sources now word these quotes slightly differently. The paper prints each in its "
            "source's current wording: confirm it, then update the quote in the summary.\n",
        )
    lost = []
    for q in quotes:
        if q.event is QuoteEvent.GONE:
            fate = "the claim stands on its other evidence" if q.in_paper else "the claim was dropped"
            if not q.in_paper and q.reason:
                fate += f" ({q.reason})"
            lost.append(
                f"- `{q.owner}` ('{q.source}'): {_quoted(q.quote)} is no longer in the source; {fate}"
            )
    other = [
        f"- `{q.owner}`: its quote from '{q.source}' was edited or removed in the summary"
        for q in quotes
        if q.event is QuoteEvent.EDITED
    ]
    # Any edit to a source moves every quote after it: worth a count, not a line each.
    moved = sum(1 for q in quotes if q.event is QuoteEvent.MOVED)
    if moved:
        other.append(f"- {moved} quote{'s' if moved != 1 else ''} moved in their sources, in the same words")
    return [("Quotes to confirm", confirm), ("Evidence lost", lost), ("Other evidence changes", other)]


def change_note(
    edition: str,
    previous: PaperRecord | None,
    new: PaperRecord,
    brief: Brief,
    summary: Summary,
    quotes: list[QuoteChange],
) -> str:
    """Write the Markdown change note of a rebuilt paper, from its last record and its new one."""
    before = previous.claims if previous is not None else {}
    claims, remarks = _claim_lines(before, new.claims, brief, summary)
    then = previous.shown if previous is not None else {}
    if previous is not None and not then:
        remarks.append(
            "The last build did not record the subject, disputes, timeline or glossary: "
            "changes to them are not shown."
        )
    sections = [*claims, *_shown_lines(then, new.shown), *_quote_lines(quotes)]
    lines = [f"# Changes to {edition}", ""]
    if previous is None:
        lines += [
            "This paper had not been built here before: every claim it prints is listed as added.",
            "",
        ]
    if not any(entries for _, entries in sections):
        lines += ["Nothing the paper shows changed; it was rebuilt because an input changed.", ""]
    for title, entries in sections:
        if entries:
            lines += [f"## {title}", "", *entries, ""]
    for remark in remarks:
        lines += [remark, ""]
    return "\n".join(lines).rstrip() + "\n"


# -- the run's output -----------------------------------------------------------------------------


def _listed(items: list[str], separator: str, more: str) -> str:
    """Join whole items, naming at most MAX_LISTED of them; never cut one short."""
    if len(items) > MAX_LISTED:
        items = [*items[:MAX_LISTED], more.format(len(items) - MAX_LISTED)]
    return separator.join(items)


def rebuilt_line(line: str, reasons: list[str], quotes: list[QuoteChange]) -> str:
    """Return the run's line for a rebuilt paper: why, and each claim whose evidence changed or was lost."""
    text = f"rebuilt {line} because {_listed(reasons, '; ', 'and {} more')}"
    named = []
    for q in quotes:
        if q.new and q.event is QuoteEvent.REWORDED:
            named.append(f"{q.owner} (quote changed in '{q.source}')")
        elif q.new and q.event is QuoteEvent.GONE:
            fate = "kept on its other evidence" if q.in_paper else "dropped"
            named.append(f"{q.owner} (quote gone from '{q.source}': {fate})")
    if named:
        text += "; evidence changed: " + _listed(named, ", ", "and {} more in the change note")
    return text
