"""Validate a summary and verify its quotes: the report behind `briefgen check`."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.anchoring import Grade, QuoteCheck, anchor_summary
from briefgen.errors import Problem
from briefgen.glyphs import glyph_problems
from briefgen.loading import load_summary_with_locations
from briefgen.model import Kind, Summary

_STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def parse_where(where: str) -> tuple[str | int, ...]:
    """Turn 'claims[3].evidence[0]' into ('claims', 3, 'evidence', 0)."""
    path: list[str | int] = []
    for part in where.split("."):
        match = _STEP.fullmatch(part)
        if match is None:
            path.append(part)
            continue
        path.append(match.group(1))
        if match.group(2) is not None:
            path.append(int(match.group(2)))
    return tuple(path)


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
            "quotes_by_grade": {g.value: sum(1 for c in self.checks if c.anchor.grade is g) for g in Grade},
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


def check_summary(path: Path, *, display: str | None = None, root: Path | None = None) -> CheckReport:
    """Load a summary, anchor every quote and grade it; raise SummaryError if it does not load."""
    name = display or str(path)
    summary, locations = load_summary_with_locations(path, display_path=name)
    root = root or path.resolve().parent.parent
    checks = anchor_summary(summary, root)
    report = CheckReport(file=name, summary=summary, checks=checks)
    for check in checks:
        anchor = check.anchor
        line, col = locations.of((*parse_where(check.where), "quote"))
        closest = " ".join(anchor.exact.split())
        if len(closest) > 200:  # keep both ends: that is where a quote and its passage differ most
            closest = closest[:120] + " … " + closest[-70:]
        if anchor.grade is Grade.MISSING:
            report.problems.append(
                Problem(
                    name,
                    line,
                    col,
                    f"{check.where}.quote",
                    f"quote not found in source '{check.source_id}'; "
                    f"closest passage (score {anchor.score:.0f}): \u201c{closest}\u201d",
                )
            )
        elif anchor.grade is Grade.FUZZY:
            report.problems.append(
                Problem(
                    name,
                    line,
                    col,
                    f"{check.where}.quote",
                    f"quote matches source '{check.source_id}' only approximately "
                    f"(score {anchor.score:.0f}); "
                    f"the source reads: \u201c{closest}\u201d",
                    severity="warning",
                )
            )
    report.problems.extend(glyph_problems(summary, locations, name))
    report.problems.sort()
    return report
