"""Narrow a summary to one of its themes: a paper on one provision, with what bears on it.

A theme paper ("a one-pager on the minerals part only") is built from a narrowed summary:

- the claims of that theme, whatever their role;
- claims with no theme whose role frames any part of the agreement (`NARROWED_ROLES`: overview,
  legal form and status, context, drivers, risks, next steps, handling, engagement), each but
  those of priority 1 a priority lower than in the summary, so that the theme's own claims are
  cut last; unthemed `agreed`, `implications` and `reaction` claims speak of the agreement as a
  whole or of other provisions, and are left out;
- the disputes that concern a kept claim (their `claims` cut to the kept ones), so a theme paper
  still says where sources differ on what it prints; disputes naming no claim are left out;
- every source, glossary entry, timeline event and layout change, as they were.

The paper's title gains the theme's heading, and its files are named
`<length>-<audience>-<theme>.<ext>`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from briefgen.brief import Brief
from briefgen.build import Builder, Inputs
from briefgen.errors import BuildError
from briefgen.model import LOWEST_PRIORITY, Audience, Edition, Role, Summary
from briefgen.selection import Trims

#: Roles of unthemed claims kept in a theme paper: they frame every provision.
NARROWED_ROLES = frozenset(
    {
        Role.OVERVIEW,
        Role.LEGAL,
        Role.CONTEXT,
        Role.DRIVERS,
        Role.RISKS,
        Role.NEXT_STEPS,
        Role.HANDLING,
        Role.ENGAGEMENT,
    }
)


class UnknownThemeError(BuildError):
    """A theme id the summary does not declare."""


def check_theme(summary: Summary, theme_id: str) -> None:
    """Raise UnknownThemeError unless the summary declares this theme."""
    known = [t.id for t in summary.themes]
    if theme_id not in known:
        raise UnknownThemeError(
            f"{summary.id}: unknown theme {theme_id!r}; known: {', '.join(known) or 'none declared'}"
        )


def narrow_to_theme(summary: Summary, theme_id: str) -> Summary:
    """Return the summary cut to one theme's claims, the unthemed claims that frame it, and their disputes."""
    check_theme(summary, theme_id)
    claims = [
        c for c in summary.claims if c.theme == theme_id or (c.theme is None and c.role in NARROWED_ROLES)
    ]
    if not any(c.theme == theme_id for c in claims):
        raise BuildError(f"{summary.id}: no claim has the theme {theme_id!r}")
    # The paper is about the theme: where room is short, a framing claim goes before a theme claim
    # of the same priority. Priority 1 stays 1: the paper still must carry it.
    claims = [
        c
        if c.theme == theme_id or c.priority == 1
        else c.model_copy(update={"priority": min(c.priority + 1, LOWEST_PRIORITY)})
        for c in claims
    ]
    kept = {c.id for c in claims}
    disputes = [
        d.model_copy(update={"claims": [c for c in d.claims if c in kept]})
        for d in summary.disputes
        if kept.intersection(d.claims)
    ]
    # model_copy does not validate: the narrowed summary is a view of one that already passed.
    return summary.model_copy(update={"claims": claims, "disputes": disputes})


def narrow_inputs(inputs: Inputs, theme_id: str) -> Inputs:
    """Return verified inputs narrowed to a theme; quote checks keep pointing at the kept claims."""
    from briefgen.build import evidence_of

    summary = narrow_to_theme(inputs.summary, theme_id)
    old_claims = {c.id: i for i, c in enumerate(inputs.summary.claims)}
    new_claims = {c.id: i for i, c in enumerate(summary.claims)}
    old_disputes = {d.id: i for i, d in enumerate(inputs.summary.disputes)}
    new_disputes = {d.id: i for i, d in enumerate(summary.disputes)}
    checks = []
    for check in inputs.checks:
        # `where` indexes the summary's lists ("claims[12].evidence[0]"): re-index for the narrowed one.
        head, _, rest = check.where.partition("].")
        if head.startswith("claims[") and check.claim_id in new_claims:
            assert int(head[len("claims[") :]) == old_claims[check.claim_id]
            checks.append(replace(check, where=f"claims[{new_claims[check.claim_id]}].{rest}"))
        elif head.startswith("disputes[") and check.claim_id in new_disputes:
            assert int(head[len("disputes[") :]) == old_disputes[check.claim_id]
            checks.append(replace(check, where=f"disputes[{new_disputes[check.claim_id]}].{rest}"))
    return Inputs(
        path=inputs.path,
        root=inputs.root,
        summary=summary,
        checks=checks,
        evidence=evidence_of(summary, checks),
    )


def theme_edition(edition: Edition, theme_id: str) -> Edition:
    """Return an edition renamed for a theme: `one-page-minister` → `one-page-minister-minerals`."""
    base = f"{edition.length.value}-{edition.audience.value}"
    return edition.model_copy(update={"name": f"{base}-{theme_id}"})


@dataclass(frozen=True)
class ThemeBrief(Brief):
    """A paper on one theme: named and titled for it."""

    theme: str = ""

    @property
    def name(self) -> str:
        """Return the file stem: `<length>-<audience>-<theme>`."""
        return f"{self.length}-{self.audience}-{self.theme}"


class ThemeBuilder(Builder):
    """Build papers on one theme of a summary: its claims, what frames them, their disputes."""

    def __init__(
        self, inputs: Inputs, theme_id: str, *, templates: Path | None = None, allow_warnings: bool = False
    ) -> None:
        narrowed = narrow_inputs(inputs, theme_id)
        super().__init__(narrowed, templates=templates, allow_warnings=allow_warnings)
        self.theme = narrowed.summary.theme(theme_id)

    def select(self, edition: Edition, trims: Trims | None = None) -> Brief:
        """Select one edition's content from the narrowed summary, titled for the theme."""
        brief = super().select(edition, trims)
        public = brief.audience is Audience.PUBLIC
        heading = (self.theme.plain or self.theme.heading) if public else self.theme.heading
        values = {f.name: getattr(brief, f.name) for f in fields(brief)}
        values.update(
            title=f"{brief.title}: {heading}",
            subject=f"{heading}: {brief.subject}",
            edition=f"{brief.edition}-{self.theme.id}",
            keywords=(*brief.keywords, heading),
        )
        return ThemeBrief(**values, theme=self.theme.id)


def builder_for(
    inputs: Inputs, theme_id: str | None, *, templates: Path | None = None, allow_warnings: bool = False
) -> Builder:
    """Return a Builder for the whole summary, or for one theme of it."""
    if theme_id:
        return ThemeBuilder(inputs, theme_id, templates=templates, allow_warnings=allow_warnings)
    return Builder(inputs, templates=templates, allow_warnings=allow_warnings)
