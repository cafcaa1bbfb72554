"""Rewrite a schema 1 summary as schema 2 in place: topics become roles and declared themes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from briefgen.errors import SummaryError
from briefgen.loading import read_yaml_with_locations
from briefgen.model import LEGACY_TOPIC_ROLES, SCHEMA_VERSION, Role

_TOPIC = re.compile(r"topic:[ \t]*(['\"]?)([a-z0-9-]+)\1")
_SCHEMA = re.compile(r"schema:[ \t]*(['\"]?)1\1")


@dataclass(frozen=True)
class Migration:
    """What a migration changed: the new text, the themes it declared, one line per claim."""

    text: str
    themes: tuple[str, ...]
    lines: tuple[str, ...]


def _theme_heading(theme_id: str) -> str:
    # A placeholder the analyst is told to edit: the id in words ("gold-reserves" → "Gold reserves").
    words = theme_id.replace("-", " ")
    return words[:1].upper() + words[1:]


def _offset(lines: list[str], line: int, col: int) -> int:
    return sum(len(text) for text in lines[: line - 1]) + col - 1


def migrate_text(text: str, *, filename: str) -> Migration:
    """Return a schema 1 summary's text rewritten as schema 2, every other byte kept."""
    data, locations = read_yaml_with_locations(text, filename)
    if data.get("schema") != "1":
        raise SummaryError.single(filename, *locations.of(("schema",)), "schema", "not a schema 1 summary")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), applied from the end
    start = _offset(lines, *locations.of(("schema",)))
    match = _SCHEMA.match(text, start)
    if match is None:
        raise SummaryError.single(filename, *locations.of(("schema",)), "schema", "cannot read `schema: 1`")
    edits.append((match.start(), match.end(), f"schema: {SCHEMA_VERSION}"))

    themes: list[str] = []
    report: list[str] = []
    found_claims = data.get("claims")
    claims: list[object] = found_claims if isinstance(found_claims, list) else []
    for index, claim in enumerate(claims):
        if not isinstance(claim, dict) or not isinstance(claim.get("topic"), str):
            continue
        topic = claim["topic"]
        line, col = locations.of(("claims", index, "topic"))
        at = _offset(lines, line, col)
        found = _TOPIC.match(text, at)
        if found is None:
            raise SummaryError.single(
                filename, line, col, f"claims[{index}].topic", "cannot rewrite this topic"
            )
        role = LEGACY_TOPIC_ROLES.get(topic, Role.AGREED)
        theme = None if topic in LEGACY_TOPIC_ROLES else topic
        if theme and theme not in themes:
            themes.append(theme)
        before = lines[line - 1][: col - 1]
        block = not before.strip() or before.strip() == "-"
        replacement = f"role: {role.value}"
        if theme:
            replacement += f"{newline}{' ' * (col - 1)}theme: {theme}" if block else f", theme: {theme}"
        edits.append((found.start(), found.end(), replacement))
        report.append(
            f"claims[{index}] ({claim.get('id')}): topic {topic} → role {role.value}"
            + (f", theme {theme}" if theme else "")
        )

    if themes and "claims" in data and "themes" not in data:
        # Declared just before `claims:`, with headings to edit: the code no longer knows any theme.
        at = _offset(lines, locations.of(("claims",))[0], 1)
        declared = [f"themes:{newline}"] + [
            f'  - id: {t}{newline}    heading: "{_theme_heading(t)}"{newline}' for t in themes
        ]
        edits.append((at, at, "".join(declared) + newline))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return Migration(text=text, themes=tuple(themes), lines=tuple(report))


def migrate_file(path: Path, *, display: str | None = None, dry_run: bool = False) -> Migration:
    """Migrate a summary file in place (unless `dry_run`); return what changed."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"the file is not UTF-8 text (bad byte at offset {exc.start})"
        raise SummaryError.single(display or str(path), 1, 1, "(document)", message) from None
    migration = migrate_text(text, filename=display or str(path))
    if not dry_run:
        bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
        from briefgen.writing import write_atomic

        write_atomic(path, (bom + migration.text).encode("utf-8"))
    return migration
