"""Tests for loading: every bad summary in tests/data gives exactly its one expected message."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from briefgen.errors import SummaryError
from briefgen.loading import (
    MAX_BYTES,
    load_summary,
    load_summary_with_locations,
    parse_summary,
    parse_summary_with_locations,
)
from briefgen.model import Kind, Summary

DATA = Path(__file__).parent / "data"
GOOD = DATA / "good_minimal.yaml"

# Each file holds one mistake in an otherwise valid copy of good_minimal.yaml.
BAD_CASES: dict[str, str] = {
    "alias_used.yaml": (
        "tests/data/alias_used.yaml:57:16: claims[2].audiences: aliases are not supported; write "
        "the value out in full instead of '*officials'"
    ),
    "audiences_not_list.yaml": (
        "tests/data/audiences_not_list.yaml:54:5: claims[1].audiences: expected a list, not a string"
    ),
    "bad_date.yaml": (
        "tests/data/bad_date.yaml:11:3: subject.date: expected a date as YYYY-MM-DD, not '31/01/2026'"
    ),
    "bad_id_pattern.yaml": (
        "tests/data/bad_id_pattern.yaml:2:1: id: expected an id of lower-case letters, digits and "
        "hyphens, not 'UK Japan'"
    ),
    "bad_kind.yaml": (
        "tests/data/bad_kind.yaml:52:5: claims[1].kind: expected one of 'fact', 'assessment', "
        "'recommendation', 'line-to-take', 'question', not 'opinion'"
    ),
    "binary_garbage.yaml": (
        "tests/data/binary_garbage.yaml:2:5: (document): the file is not UTF-8 text: byte 0xff "
        "cannot be decoded"
    ),
    "claim_without_evidence.yaml": (
        "tests/data/claim_without_evidence.yaml:38:5: claims[0]: a fact needs at least one piece of evidence"
    ),
    "classification_secret.yaml": (
        "tests/data/classification_secret.yaml:16:3: subject.classification: expected one of "
        "'OFFICIAL', 'OFFICIAL-SENSITIVE', not 'SECRET'; briefgen refuses SECRET and above"
    ),
    "control_character.yaml": (
        "tests/data/control_character.yaml:12:13: (document): character U+0007 is not allowed in "
        "YAML; is this a binary file?"
    ),
    "dispute_unknown_claim.yaml": (
        "tests/data/dispute_unknown_claim.yaml:71:14: disputes[0].claims[0]: unknown claim "
        "'pm-names'; known: 'cyber-gap', 'pm-name', 'two-plus-two'; did you mean 'pm-name'?"
    ),
    "duplicate_audience.yaml": (
        "tests/data/duplicate_audience.yaml:43:5: claims[0].audiences: an audience is listed twice"
    ),
    "duplicate_claim_id.yaml": (
        "tests/data/duplicate_claim_id.yaml:49:5: claims[1].id: duplicate claim id 'two-plus-two'; "
        "first at line 38"
    ),
    "duplicate_edition_name.yaml": (
        "tests/data/duplicate_edition_name.yaml:92:5: editions[1].name: duplicate edition name "
        "'minister-one-page'; first at line 89"
    ),
    "duplicate_glossary_term.yaml": (
        "tests/data/duplicate_glossary_term.yaml:84:5: glossary[1].term: duplicate glossary term "
        "'GCHQ'; first at line 82"
    ),
    "duplicate_key.yaml": (
        "tests/data/duplicate_key.yaml:46:5: claims[1].priority: duplicate key 'priority'; first at line 45"
    ),
    "duplicate_source_id.yaml": (
        "tests/data/duplicate_source_id.yaml:26:5: sources[1].id: duplicate source id "
        "'tokyo-summit'; first at line 18"
    ),
    "edition_unknown_audience.yaml": (
        "tests/data/edition_unknown_audience.yaml:91:5: editions[0].audience: expected one of "
        "'minister', 'officials', 'parliament', 'public', 'industry', not 'ministers'"
    ),
    "edition_unknown_length.yaml": (
        "tests/data/edition_unknown_length.yaml:90:5: editions[0].length: expected one of "
        "'one-page', 'short', 'full', not 'two-page'"
    ),
    "empty_file.yaml": (
        "tests/data/empty_file.yaml:1:1: (document): the file is empty; expected a mapping of summary fields"
    ),
    "empty_required_text.yaml": (
        "tests/data/empty_required_text.yaml:67:5: claims[2].full: expected text, not an empty value"
    ),
    "escape_sequence.yaml": (
        "tests/data/escape_sequence.yaml:46:11: claims[0].full: control character U+001B is not allowed "
        "in text"
    ),
    "likelihood_on_fact.yaml": (
        "tests/data/likelihood_on_fact.yaml:38:5: claims[0]: only an assessment may carry a likelihood"
    ),
    "missing_evidence_quote.yaml": (
        "tests/data/missing_evidence_quote.yaml:59:9: claims[1].evidence[0].quote: field required"
    ),
    "missing_subject_title.yaml": "tests/data/missing_subject_title.yaml:3:1: subject.title: field required",
    "norway_no_kept_as_text.yaml": (
        "tests/data/norway_no_kept_as_text.yaml:89:5: editions[0].name: expected an id of "
        "lower-case letters, digits and hyphens, not 'NO'"
    ),
    "nul_in_file_name.yaml": (
        "tests/data/nul_in_file_name.yaml:20:11: sources[0].file: control character U+0000 is not allowed "
        "in text"
    ),
    "parties_only_one.yaml": (
        "tests/data/parties_only_one.yaml:6:3: subject.parties: expected at least 2 items, not 1"
    ),
    "position_unknown_source.yaml": (
        "tests/data/position_unknown_source.yaml:76:9: disputes[0].positions[1].source: unknown "
        "source 'nikkei'; known: 'partnership-new-level', 'tokyo-summit'"
    ),
    "priority_not_int.yaml": (
        "tests/data/priority_not_int.yaml:53:5: claims[1].priority: expected a whole number, not 'high'"
    ),
    "priority_out_of_range.yaml": (
        "tests/data/priority_out_of_range.yaml:53:5: claims[1].priority: must be at most 3, not 5"
    ),
    "quote_too_long.yaml": (
        "tests/data/quote_too_long.yaml:48:9: claims[0].evidence[0].quote: quote is 479 characters;"
        " the limit is 400"
    ),
    "quote_too_short.yaml": (
        "tests/data/quote_too_short.yaml:60:9: claims[1].evidence[0].quote: must be at least 8 "
        "characters, not 6"
    ),
    "schema_version_3.yaml": (
        "tests/data/schema_version_3.yaml:1:1: schema: unsupported schema 3; this briefgen reads schema 2"
    ),
    "schema_1_retired.yaml": (
        "tests/data/schema_1_retired.yaml:2:1: schema: schema 1 is retired: run `briefgen migrate FILE` "
        "to rewrite it as schema 2"
    ),
    "second_document.yaml": (
        "tests/data/second_document.yaml:84:1: (document): a summary file holds one YAML document; "
        "found a second here"
    ),
    "short_too_long.yaml": (
        "tests/data/short_too_long.yaml:66:5: claims[2].short: short form has 31 words; the limit is 30"
    ),
    "signatory_not_mapping.yaml": (
        "tests/data/signatory_not_mapping.yaml:8:7: subject.signatories[0]: expected a mapping, not a string"
    ),
    "source_absolute_path.yaml": (
        "tests/data/source_absolute_path.yaml:27:5: sources[1].file: must be a relative path inside"
        " the project, not '/etc/passwd'"
    ),
    "source_bad_url.yaml": (
        "tests/data/source_bad_url.yaml:28:5: sources[1].url: must be an http or https URL, not "
        "'ftp://example.com/news'"
    ),
    "tabs_indentation.yaml": (
        "tests/data/tabs_indentation.yaml:4:1: (yaml): tabs cannot be used for indentation; use spaces"
    ),
    "timeline_unknown_source.yaml": (
        "tests/data/timeline_unknown_source.yaml:87:29: timeline[0].sources[1]: unknown source "
        "'partnership-new-levels'; known: 'partnership-new-level', 'tokyo-summit'; did you mean "
        "'partnership-new-level'?"
    ),
    "too_deep.yaml": "tests/data/too_deep.yaml:59:29: claims[2].plain: nesting is deeper than 20 levels",
    "top_level_list.yaml": (
        "tests/data/top_level_list.yaml:1:1: (document): expected a mapping of summary fields at "
        "the top, not a list"
    ),
    "unclosed_quote.yaml": (
        "tests/data/unclosed_quote.yaml:84:1: (yaml): found unexpected end of stream (while "
        "scanning a quoted scalar at line 20)"
    ),
    "unknown_field_typo.yaml": (
        "tests/data/unknown_field_typo.yaml:21:5: sources[0].publsher: unknown field 'publsher'; "
        "did you mean 'publisher'?"
    ),
    "unknown_source.yaml": (
        "tests/data/unknown_source.yaml:59:9: claims[1].evidence[0].source: unknown source "
        "'reuters'; known: 'partnership-new-level', 'tokyo-summit'"
    ),
    "unknown_source_close.yaml": (
        "tests/data/unknown_source_close.yaml:59:9: claims[1].evidence[0].source: unknown source "
        "'tokyo-sumit'; known: 'partnership-new-level', 'tokyo-summit'; did you mean "
        "'tokyo-summit'?"
    ),
    "yaml_syntax_error.yaml": (
        "tests/data/yaml_syntax_error.yaml:12:15: (yaml): mapping values are not allowed in this context"
    ),
}


def _problems(name: str) -> list[str]:
    with pytest.raises(SummaryError) as caught:
        load_summary(DATA / name, display_path=f"tests/data/{name}")
    return [str(problem) for problem in caught.value.problems]


def _good_text() -> str:
    return GOOD.read_text(encoding="utf-8")


def test_good_minimal_loads() -> None:
    summary = load_summary(GOOD)
    assert isinstance(summary, Summary)
    assert summary.schema_ == 2
    assert summary.subject.date == dt.date(2026, 1, 31)
    assert [c.kind for c in summary.claims] == [Kind.FACT, Kind.ASSESSMENT, Kind.QUESTION]
    assert summary.sources[0].date_printed == "01/02/2026"
    assert summary.claims[0].plain is None


def test_every_bad_file_has_a_case() -> None:
    # character_no_font.yaml loads; its mistake is found by `check` (tests/test_cjk.py).
    others = {"good_minimal.yaml", "several_mistakes.yaml", "character_no_font.yaml"}
    files = {p.name for p in DATA.glob("*.yaml")} - others
    assert files == set(BAD_CASES)
    assert len(BAD_CASES) >= 28


@pytest.mark.parametrize(("name", "expected"), sorted(BAD_CASES.items()))
def test_bad_file_gives_its_one_message(name: str, expected: str) -> None:
    assert _problems(name) == [expected]


def test_several_mistakes_are_all_reported_in_line_order() -> None:
    prefix = "tests/data/several_mistakes.yaml"
    assert _problems("several_mistakes.yaml") == [
        f"{prefix}:3:1: subject.title: field required",
        f"{prefix}:4:3: subject.titel: unknown field 'titel'; did you mean 'title'?",
        f"{prefix}:7:3: subject.date: expected a date as YYYY-MM-DD, not '31/01/2026'",
        f"{prefix}:18:5: sources[0].kind: duplicate key 'kind'; first at line 16",
        f"{prefix}:22:5: claims[0].kind: expected one of 'fact', 'assessment', 'recommendation', "
        "'line-to-take', 'question', not 'opinion'",
        f"{prefix}:23:5: claims[0].priority: expected a whole number, not 'high'",
        f"{prefix}:28:9: claims[0].evidence[0].source: unknown source 'reuters'; known: 'tokyo-summit'",
        f"{prefix}:30:5: claims[1].id: duplicate claim id 'two-plus-two'; first at line 20",
        f"{prefix}:39:5: editions[0].audience: expected one of 'minister', 'officials', 'parliament', "
        "'public', 'industry', not 'ministers'",
    ]


def test_yaml_1_1_lookalikes_stay_text() -> None:
    text = (
        _good_text()
        .replace("  parties: [United Kingdom, Japan]\n", "  parties: [NO, yes]\n")
        .replace("  status: agreed\n", "  status: 1.10\n  version: 1.10\n")
        .replace(
            "    event: Prime Ministers meet in Tokyo.\n",
            "    date_text: 2026-01-31\n    event: off\n",
        )
        .replace(
            "    expansion: Government Communications Headquarters\n",
            "    expansion: Government Communications Headquarters\n  - term: NO\n    expansion: Norway\n",
        )
    )
    summary = parse_summary(text, filename="briefs/x.yaml")
    assert summary.subject.parties == ["NO", "yes"]
    assert summary.subject.status == "1.10"
    assert summary.subject.version == "1.10"
    assert summary.timeline[0].date_text == "2026-01-31"
    assert summary.timeline[0].event == "off"
    assert summary.glossary[1].term == "NO"


def test_null_forms_are_none_and_quoted_forms_are_text() -> None:
    text = _good_text().replace(
        "    full: The sources name",
        "    plain: ~\n    lead: null\n    impact: '~'\n    full: The sources name",
    )
    claim = parse_summary(text, filename="x.yaml").claims[2]
    assert (claim.plain, claim.lead, claim.impact) == (None, None, "~")


def test_bytes_str_and_bom_give_the_same_summary() -> None:
    raw = GOOD.read_bytes()
    expected = load_summary(GOOD)
    assert parse_summary(raw, filename="x.yaml") == expected
    assert parse_summary(raw.decode("utf-8"), filename="x.yaml") == expected
    assert parse_summary(b"\xef\xbb\xbf" + raw, filename="x.yaml") == expected


def test_filename_is_shown_as_given() -> None:
    with pytest.raises(SummaryError) as caught:
        parse_summary("schema: 3\n", filename="briefs/x.yaml")
    assert "briefs/x.yaml:1:1: schema: unsupported schema 3; this briefgen reads schema 2" in [
        str(problem) for problem in caught.value.problems
    ]


def test_locations_point_at_keys_and_items_and_fall_back_to_parents() -> None:
    _, locations = load_summary_with_locations(GOOD)
    assert locations.of(("claims", 1, "evidence", 0, "quote")) == (61, 9)
    assert locations.of(("claims", 1, "evidence", 0)) == (60, 9)
    assert locations.of(("claims", 1, "evidence", 0, "missing", 4)) == (60, 9)
    assert locations.of(("claims", 1, "audiences", 0)) == (55, 17)
    assert locations.of(("schema_",)) == (2, 1)
    assert locations.of(()) == (2, 1)


def test_parse_with_locations_matches_load() -> None:
    summary, locations = parse_summary_with_locations(_good_text(), filename="x.yaml")
    assert summary == load_summary(GOOD)
    assert locations.of(("editions", 0, "audience")) == (92, 5)


def test_missing_file_is_a_summary_error() -> None:
    with pytest.raises(SummaryError) as caught:
        load_summary(DATA / "no_such_file.yaml", display_path="briefs/none.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "briefs/none.yaml:1:1: (document): cannot read the file: no such file or directory"
    ]


def test_directory_is_a_summary_error() -> None:
    with pytest.raises(SummaryError):
        load_summary(DATA)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "just text\n",
            "x.yaml:1:1: (document): expected a mapping of summary fields at the top, not a string",
        ),
        (
            "~\n",
            "x.yaml:1:1: (document): expected a mapping of summary fields at the top, not an empty value",
        ),
        (
            "# only a comment\n",
            "x.yaml:1:1: (document): the file is empty; expected a mapping of summary fields",
        ),
        ("\n\n   \n", "x.yaml:1:1: (document): the file is empty; expected a mapping of summary fields"),
        ("? [a, b]\n: c\n", "x.yaml:1:3: (document): a key must be plain text, not a list"),
        (
            "a: \ud800\n",
            "x.yaml:1:4: (document): character U+D800 is not allowed in YAML; is this a binary file?",
        ),
    ],
)
def test_odd_documents(text: str, expected: str) -> None:
    with pytest.raises(SummaryError) as caught:
        parse_summary(text, filename="x.yaml")
    assert expected in [str(problem) for problem in caught.value.problems]


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    started = time.perf_counter()
    with pytest.raises(SummaryError) as caught:
        parse_summary("\n".join(lines) + "\n", filename="bomb.yaml")
    assert time.perf_counter() - started < 2
    problems = [str(problem) for problem in caught.value.problems]
    assert (
        "bomb.yaml:2:8: b[0]: aliases are not supported; write the value out in full instead of '*a'"
        in problems
    )
    # Each of the 81 aliases is reported once; nothing is expanded.
    assert sum("aliases are not supported" in problem for problem in problems) == 81


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(SummaryError) as caught:
        parse_summary("a: &x [*x]\n", filename="x.yaml")
    assert "aliases are not supported" in str(caught.value)


def test_too_large_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a" * (MAX_BYTES + 1))
    with pytest.raises(SummaryError) as caught:
        load_summary(big, display_path="big.yaml")
    assert (
        str(caught.value)
        == f"big.yaml:1:1: (document): the file is {MAX_BYTES + 1:,} bytes; the limit is {MAX_BYTES:,}"
    )


def _summary_with_claims(count: int) -> str:
    text = _good_text()
    head, tail = text.split("disputes:\n", 1)
    claims = "".join(
        f"""  - id: extra-{n}
    role: agreed
    kind: fact
    priority: {1 + n % 3}
    audiences: [minister, officials, public]
    short: Foreign and defence ministers will meet in a 2+2 format within the year.
    full: The leaders agreed to hold a Foreign and Defence Ministers' 2+2 meeting within the year.
    evidence:
      - source: tokyo-summit
        quote: with plans to hold a Foreign and Defense Ministers' 2+2 meeting within the year
"""
        for n in range(count)
    )
    return head + claims + "disputes:\n" + tail


def test_a_hundred_claims_load_quickly() -> None:
    text = _summary_with_claims(97)
    parse_summary(text, filename="x.yaml")  # warm up pydantic and the loader
    started = time.perf_counter()
    summary = parse_summary(text, filename="x.yaml")
    elapsed = time.perf_counter() - started
    assert len(summary.claims) == 100
    # Well under 100 ms on a laptop; the margin keeps a busy CI machine from failing it.
    assert elapsed < 0.25, elapsed
