"""Validate a summary and verify its quotes: the report behind `briefgen check`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.anchoring import Grade, QuoteCheck, anchor_summary
from briefgen.errors import Problem
from briefgen.glyphs import glyph_problems, printed_strings
from briefgen.loading import Locations, load_summary_with_locations
from briefgen.model import Kind, Summary
from briefgen.verifying import quote_problems


@dataclass
class CheckReport:
    """What `briefgen check` found in one summary."""

    file: str
    summary: Summary
    checks: list[QuoteCheck]
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Return the problems that fail the check."""
        return [p for p in self.problems if p.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        s = self.summary
        cited = Counter(c.source_id for c in self.checks)
        return {
            "file": self.file,
            "summary": s.id,
            "ok": not self.errors,
            "claims": len(s.claims),
            "claims_by_kind": {k.value: sum(1 for c in s.claims if c.kind is k) for k in Kind},
            "claims_by_priority": {str(p): sum(1 for c in s.claims if c.priority == p) for p in (1, 2, 3)},
            "quotes": len(self.checks),
            "quotes_by_grade": {
                g.value: sum(1 for c in self.checks if c.anchor.grade is g)
                for g in Grade
                if g is not Grade.UNCHECKED
            },
            "disputes": [d.id for d in s.disputes],
            "sources_cited": {src.id: cited.get(src.id, 0) for src in s.sources},
            "glossary_terms": len(s.glossary),
            "timeline_events": len(s.timeline),
            "editions": [e.name for e in s.editions],
            "problems": [
                {
                    "file": p.file,
                    "line": p.line,
                    "col": p.col,
                    "field": p.field,
                    "message": p.message,
                    "severity": p.severity,
                }
                for p in self.problems
            ],
        }

    def lines(self) -> list[str]:
        """Return the report as short lines for a terminal."""
        d = self.to_dict()
        kinds = ", ".join(f"{v} {k}" for k, v in d["claims_by_kind"].items() if v)
        grades = ", ".join(f"{v} {k}" for k, v in d["quotes_by_grade"].items() if v)
        sources = ", ".join(f"{k} ({v} quotes)" for k, v in d["sources_cited"].items())
        return [
            f"{self.file}: {d['summary']}",
            f"  claims:   {d['claims']} ({kinds})",
            f"  quotes:   {d['quotes']} ({grades})",
            f"  disputes: {len(d['disputes'])} ({', '.join(d['disputes']) or 'none'})",
            f"  sources:  {sources}",
            f"  editions: {len(d['editions'])}; glossary: {d['glossary_terms']} terms; "
            f"timeline: {d['timeline_events']} events",
            f"  result:   {'ok' if d['ok'] else f'{len(self.errors)} errors'}"
            + (
                f", {len(self.problems) - len(self.errors)} warnings"
                if len(self.problems) > len(self.errors)
                else ""
            ),
        ]


#: A word longer than this does not fit a narrow table column: the PDF breaks it wherever the line
#: runs out (print.css), and `check` warns so the writer can break it where it reads well.
MAX_WORD_CHARS = 40


def long_word_problems(summary: Summary, locations: Locations, name: str) -> list[Problem]:
    """Return a warning for each printed field with a word over MAX_WORD_CHARS (web addresses aside)."""
    problems = []
    for field_name, path, text in printed_strings(summary):
        if path[-1] == "url":
            continue
        long = [w for w in text.split() if len(w) > MAX_WORD_CHARS and "://" not in w and "www." not in w]
        if long:
            shown = long[0][:20] + "\u2026"
            message = (
                f"a word of {len(long[0]):,} characters ('{shown}') is longer than {MAX_WORD_CHARS}: "
                "the paper will break it wherever the line runs out; break it where it reads well"
            )
            line, col = locations.of(path)
            problems.append(Problem(name, line, col, field_name, message, severity="warning"))
    return problems


def check_summary(
    path: Path, *, display: str | None = None, root: Path | None = None, templates: Path | None = None
) -> CheckReport:
    """Load a summary, verify every quote and run every rule a build enforces on every edition.

    Raises SummaryError if the summary does not load; everything else is in the report.
    """
    from briefgen.build import Inputs, default_templates, evidence_of
    from briefgen.rules import rule_problems

    name = display or str(path)
    summary, locations = load_summary_with_locations(path, display_path=name)
    root = root or path.resolve().parent.parent
    checks = anchor_summary(summary, root)
    report = CheckReport(file=name, summary=summary, checks=checks)
    report.problems.extend(quote_problems(checks, locations, name))
    inputs = Inputs(
        path=path, root=root, summary=summary, checks=checks, evidence=evidence_of(summary, checks)
    )
    report.problems.extend(rule_problems(inputs, locations, name, templates=templates or default_templates()))
    report.problems.extend(glyph_problems(summary, locations, name))
    if summary.draft:
        line, col = locations.of(("draft",))
        message = "a draft: `build` refuses it until an analyst has edited it and removed `draft: true`"
        report.problems.append(Problem(name, line, col, "draft", message, "warning"))
    report.problems.extend(long_word_problems(summary, locations, name))
    report.problems.sort()
    return report
