"""Tests for anchoring: finding quotes in sources, grading them and re-anchoring after edits."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefgen import anchoring
from briefgen.anchoring import (
    FULL_SEARCH_CHARS,
    Anchor,
    Change,
    Grade,
    SourceText,
    _normalise,
    anchor_quote,
    anchor_summary,
    anchor_texts,
    read_sources,
    reanchor,
)
from briefgen.errors import SourceError
from briefgen.model import Summary

SEEDS = Path(__file__).parent.parent / "seeds"

TEXT = (
    "On Saturday the two leaders met in Tokyo. "
    "The Prime Minister’s office said the UK–Japan pact was SIGNED after  forty\nminutes of talks. "
    "Officials welcomed the agreement and promised a 2+2 meeting within the year."
)


def test_exact_hit_has_offsets_and_context() -> None:
    quote = "the two leaders met in Tokyo"
    anchor = anchor_quote(quote, TEXT)
    start = TEXT.index(quote)
    assert anchor.grade is Grade.EXACT
    assert anchor.score == 100.0
    assert (anchor.start, anchor.end) == (start, start + len(quote))
    assert anchor.exact == quote
    assert anchor.prefix == "On Saturday "
    assert anchor.suffix == TEXT[anchor.end : anchor.end + 32]
    assert len(anchor.suffix) == 32
    assert anchor.suffix.startswith(". The Prime Minister’s")


@pytest.mark.parametrize(
    ("quote", "passage"),
    [
        ("Prime Minister's office", "Prime Minister’s office"),
        ("the UK-Japan pact", "the UK–Japan pact"),
        ("pact was signed", "pact was SIGNED"),
        ("SIGNED after forty minutes of talks", "SIGNED after  forty\nminutes of talks"),
        (
            "  the uk-japan pact was signed after forty minutes ",
            "the UK–Japan pact was SIGNED after  forty\nminutes",
        ),
    ],
)
def test_normalised_match_maps_back_to_original_offsets(quote: str, passage: str) -> None:
    anchor = anchor_quote(quote, TEXT)
    assert anchor.grade is Grade.NORMALISED
    assert anchor.score == 100.0
    assert TEXT[anchor.start : anchor.end] == passage == anchor.exact
    assert anchor.start == TEXT.index(passage)


def test_normalised_offsets_survive_characters_that_grow_when_lower_cased() -> None:
    # 'İ' lower-cases to two characters, which shifts every later normalised offset.
    text = "İİİ  İstanbul said the pact was SIGNED today."
    anchor = anchor_quote("the pact was signed", text)
    assert anchor.grade is Grade.NORMALISED
    assert text[anchor.start : anchor.end] == "the pact was SIGNED"


def test_typos_give_fuzzy_with_score_and_passage() -> None:
    anchor = anchor_quote("Officials welcommed the agrement and promised", TEXT)
    assert anchor.grade is Grade.FUZZY
    assert 85 <= anchor.score < 100
    assert anchor.exact == "Officials welcomed the agreement and promised"
    assert TEXT[anchor.start : anchor.end] == anchor.exact


def test_fuzzy_passage_includes_word_inserted_in_source() -> None:
    text = "Intro text here. The ministers will now meet again within the year. Then more text."
    anchor = anchor_quote("The ministers will meet again within the year", text)
    assert anchor.grade is Grade.FUZZY
    assert anchor.exact == "The ministers will now meet again within the year"


def test_unrelated_quote_is_missing_and_names_closest_passage() -> None:
    anchor = anchor_quote("bananas grow on tall tropical plants in Ecuador", TEXT)
    assert anchor.grade is Grade.MISSING
    assert anchor.score < 85
    assert anchor.exact
    assert TEXT[anchor.start : anchor.end] == anchor.exact


def test_close_but_below_threshold_is_missing_with_the_near_passage() -> None:
    anchor = anchor_quote("Officials rejected the agreement and refused any 2+2 meeting this year", TEXT)
    assert anchor.grade is Grade.MISSING
    assert 50 < anchor.score < 85
    assert "Officials" in anchor.exact
    assert "2+2 meeting" in anchor.exact


def test_threshold_is_an_option() -> None:
    quote = "Officials welcommed the agrement and promised"
    assert anchor_quote(quote, TEXT, threshold=99.5).grade is Grade.MISSING


REPEATED = "Alpha says: the pact is binding. Beta says: the pact is binding. Gamma says: the pact is binding."


def test_repeated_quote_without_previous_takes_first() -> None:
    anchor = anchor_quote("the pact is binding", REPEATED)
    assert anchor.start == REPEATED.index("the pact is binding")


def test_repeated_quote_prefers_previous_context_after_insertion() -> None:
    quote = "the pact is binding"
    beta = REPEATED.index("Beta says: ") + len("Beta says: ")
    hint = Anchor(Grade.EXACT, 100.0, beta, beta + len(quote), quote, "", "")
    previous = anchor_quote(quote, REPEATED, previous=hint)
    assert previous.start == beta
    assert previous.prefix.endswith("Beta says: ")
    # The insertion leaves Alpha's occurrence nearer Beta's old offset; only the context tells them apart.
    inserted = "An inserted sentence. "
    edited = inserted + REPEATED
    alpha = edited.index(quote)
    assert abs(alpha - beta) < len(inserted)
    anchor = anchor_quote(quote, edited, previous=previous)
    assert anchor.start == beta + len(inserted)
    assert anchor.prefix.endswith("Beta says: ")


def test_repeated_quote_with_same_context_prefers_nearest_start() -> None:
    text = "x the pact is binding y " * 5
    quote = "the pact is binding"
    third = [i for i in range(len(text)) if text.startswith(quote, i)][2]
    previous = Anchor(Grade.EXACT, 100.0, third + 3, third + 3 + len(quote), quote, "", "")
    assert anchor_quote(quote, text, previous=previous).start == third


def test_normalised_repeats_are_disambiguated_too() -> None:
    text = "Alpha: the UK–Japan pact. Beta: the UK–Japan pact."
    first = anchor_quote("the uk-japan pact", text)
    beta = text.index("Beta: ") + len("Beta: ")
    previous = Anchor(Grade.NORMALISED, 100.0, beta, beta + 17, text[beta : beta + 17], "Beta: ", ".")
    second = anchor_quote("the uk-japan pact", text, previous=previous)
    assert (first.start, second.start) == (text.index("the"), beta)


def test_anchor_round_trips_through_json() -> None:
    anchor = anchor_quote("the two leaders met in Tokyo", TEXT)
    data = json.loads(json.dumps(anchor.to_dict()))
    assert data["grade"] == "exact"
    assert Anchor.from_dict(data) == anchor


def test_source_text_is_accepted_in_place_of_str() -> None:
    source = SourceText(TEXT)
    assert anchor_quote("pact was signed", source) == anchor_quote("pact was signed", TEXT)
    assert source.original_span(0, 3) == (0, 3)


QUOTE = "the UK–Japan pact was SIGNED after  forty\nminutes of talks"


def test_reanchor_unchanged() -> None:
    previous = anchor_quote(QUOTE, TEXT)
    anchor, change = reanchor(QUOTE, TEXT, previous)
    assert change is Change.UNCHANGED
    assert anchor == previous


def test_reanchor_moved_when_text_inserted_before() -> None:
    previous = anchor_quote(QUOTE, TEXT)
    edited = "A new opening sentence. " + TEXT
    anchor, change = reanchor(QUOTE, edited, previous)
    assert change is Change.MOVED
    assert anchor.grade is Grade.EXACT
    assert anchor.start == previous.start + len("A new opening sentence. ")


def test_reanchor_changed_when_word_edited_inside_quote() -> None:
    previous = anchor_quote(QUOTE, TEXT)
    edited = TEXT.replace("forty", "fifty")
    anchor, change = reanchor(QUOTE, edited, previous)
    assert change is Change.CHANGED
    assert anchor.grade is Grade.FUZZY
    assert 85 <= anchor.score < 100
    assert "fifty" in anchor.exact


def test_reanchor_gone_when_sentence_deleted() -> None:
    previous = anchor_quote(QUOTE, TEXT)
    sentence = "The Prime Minister’s office said " + QUOTE + ". "
    assert sentence in TEXT
    anchor, change = reanchor(QUOTE, TEXT.replace(sentence, ""), previous)
    assert change is Change.GONE
    assert anchor.grade is Grade.MISSING


def test_real_seed_quotes() -> None:
    text = (SEEDS / "000_b445cf68cb3455ec.txt").read_text(encoding="utf-8")
    quote = "held a meeting lasting approximately 20 minutes"
    anchor = anchor_quote(quote, text)
    assert anchor.grade is Grade.EXACT
    assert text[anchor.start : anchor.end] == quote
    assert anchor.prefix.endswith("Chizuru Takeshita ")

    analysis = (SEEDS / "002_3d02146b808ff639.txt").read_text(encoding="utf-8")
    anchor = anchor_quote("reflecting both nations' strategic recalibrations", analysis)
    assert anchor.grade is Grade.NORMALISED
    assert anchor.exact == "reflecting both nations’ strategic recalibrations"


def test_long_quote_in_large_source_is_fast() -> None:
    text = (SEEDS / "000_b445cf68cb3455ec.txt").read_text(encoding="utf-8")
    source = SourceText(text + text[:1500])
    quote = text[4000:4300]
    typo = quote[:100] + "#" + quote[101:200] + "@" + quote[201:]
    began = time.perf_counter()
    for _ in range(20):
        anchor = anchor_quote(typo, source)
    per_call = (time.perf_counter() - began) / 20
    assert anchor.grade is Grade.FUZZY
    assert anchor.start == 4000
    assert per_call < 0.02


def _summary(**overrides: Any) -> Summary:
    data: dict[str, Any] = {
        "schema": 2,
        "id": "test",
        "subject": {
            "title": "A pact",
            "short_title": "Pact",
            "parties": ["UK", "Japan"],
            "date": "2026-01-31",
            "place": "Tokyo",
            "legal_form": "joint-statement",
            "status": "agreed",
            "as_of": "2026-02-01",
        },
        "sources": [
            {
                "id": "summit",
                "file": "seeds/000_b445cf68cb3455ec.txt",
                "title": "S",
                "kind": "news",
                "reliability": "ok",
            },
            {
                "id": "analysis",
                "file": "seeds/002_3d02146b808ff639.txt",
                "title": "A",
                "kind": "academic",
                "reliability": "ok",
            },
        ],
        "claims": [
            {
                "id": "meeting",
                "role": "overview",
                "kind": "fact",
                "audiences": ["minister"],
                "short": "Met.",
                "full": "They met.",
                "evidence": [
                    {"source": "summit", "quote": "held a meeting lasting approximately 20 minutes"},
                    {"source": "analysis", "quote": "reflecting both nations' strategic recalibrations"},
                ],
            },
            {
                "id": "made-up",
                "role": "overview",
                "kind": "fact",
                "audiences": ["minister"],
                "short": "X.",
                "full": "X.",
                "evidence": [{"source": "summit", "quote": "a treaty on lunar mining rights"}],
            },
        ],
        "disputes": [
            {
                "id": "pm-name",
                "question": "Who?",
                "resolution": "Takaichi",
                "rationale": "Official.",
                "positions": [
                    {"source": "summit", "says": "Takeshita", "quote": "Prime Minister Chizuru Takeshita"},
                    {"source": "analysis", "says": "Takaichi", "quote": "Prime Minister Sanae Takaichi"},
                ],
            },
        ],
    }
    data.update(overrides)
    return Summary.model_validate(data)


def test_anchor_summary_checks_every_quote_with_its_path() -> None:
    checks = anchor_summary(_summary(), SEEDS.parent)
    found = [(c.claim_id, c.where, c.source_id, c.anchor.grade) for c in checks]
    assert found == [
        ("meeting", "claims[0].evidence[0]", "summit", Grade.EXACT),
        ("meeting", "claims[0].evidence[1]", "analysis", Grade.NORMALISED),
        ("made-up", "claims[1].evidence[0]", "summit", Grade.MISSING),
        ("pm-name", "disputes[0].positions[0]", "summit", Grade.EXACT),
        ("pm-name", "disputes[0].positions[1]", "analysis", Grade.EXACT),
    ]
    assert checks[0].quote == "held a meeting lasting approximately 20 minutes"


def test_anchor_texts_takes_text_directly() -> None:
    texts = {"summit": "They held a meeting lasting approximately 20 minutes.", "analysis": TEXT}
    checks = anchor_texts(_summary(), texts)
    assert checks[0].anchor.start == len("They ")
    assert checks[3].anchor.grade is Grade.MISSING


def test_anchor_texts_names_a_source_without_text() -> None:
    with pytest.raises(
        SourceError, match=r"^claims\[0\]\.evidence\[1\]\.source: no text for source 'analysis'$"
    ):
        anchor_texts(_summary(), {"summit": TEXT})


def test_missing_source_file_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read_sources(_summary(), tmp_path)
    path = tmp_path / "seeds/000_b445cf68cb3455ec.txt"
    assert str(caught.value) == f"source 'summit': cannot read {path}: No such file or directory"


def test_source_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds/000_b445cf68cb3455ec.txt").write_bytes(b"caf\xe9 au lait")
    with pytest.raises(SourceError) as caught:
        read_sources(_summary(), tmp_path)
    path = tmp_path / "seeds/000_b445cf68cb3455ec.txt"
    assert str(caught.value) == f"source 'summit': {path} is not UTF-8 (bad byte at offset 3)"


# --- long sources: bounded time and memory -----------------------------------------------------

LONG_QUOTE = "the parties resolve to deepen their cooperation on unmanned systems and on cyber defence"


def _long_text(chars: int) -> str:
    """Return prose as long as `chars`, from the seeds repeated."""
    seed = (SEEDS / "000_b445cf68cb3455ec.txt").read_text(encoding="utf-8")
    return (seed * (chars // len(seed) + 1))[:chars]


@given(st.text(alphabet=st.sampled_from("ab İ\u2019\u2014\n\t\r"), max_size=60))
def test_every_normalised_offset_maps_back_to_its_character(text: str) -> None:
    source = SourceText(text)
    normalised = source.normalised
    for i, char in enumerate(normalised):
        start, end = source.original_span(i, i + 1)
        original = text[start:end]
        if char == " ":
            assert original.isspace()
        else:
            assert _normalise(original)[0] == char


def test_a_word_changed_deep_in_a_long_source_is_still_found_fuzzily() -> None:
    passage = "The parties resolve to deepen their co-operation on unmanned systems and on cyber defence"
    text = _long_text(600_000) + " " + passage + ". " + _long_text(400_000)
    assert len(text) > FULL_SEARCH_CHARS
    anchor = anchor_quote(LONG_QUOTE, text)
    assert anchor.grade is Grade.FUZZY
    assert anchor.exact == passage


def test_the_search_of_a_long_source_finds_what_the_whole_search_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passage = "the parties resolve to deepen their cooperation on unmanned systems and on cyber defense"
    text = _long_text(300_000) + passage + _long_text(300_000)
    narrowed = anchor_quote(LONG_QUOTE, text)
    monkeypatch.setattr(anchoring, "FULL_SEARCH_CHARS", len(text))
    anchoring._source_of.cache_clear()
    assert anchor_quote(LONG_QUOTE, text) == narrowed


# One child process per case, so the peak memory measured is the search's alone.
_MEASURE = """
import resource, sys, time
sys.path.insert(0, {tests!r})
from test_anchoring import LONG_QUOTE, _long_text
from briefgen.anchoring import MAX_SOURCE_BYTES, anchor_quote
text = _long_text(MAX_SOURCE_BYTES) if {kind!r} == "prose" else "a  \\n" * (MAX_SOURCE_BYTES // 4)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
grade = anchor_quote(LONG_QUOTE + " in the year ahead", text).grade
seconds = time.perf_counter() - started
print(grade, seconds, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


@pytest.mark.parametrize("kind", ["prose", "white-space"])
def test_a_quote_missing_from_a_source_at_the_size_limit_costs_seconds_and_megabytes(kind: str) -> None:
    # Before: a 200 MB source took 119 s and 13 GB; an 8 MB one 3.7 s and 516 MB.
    code = _MEASURE.format(tests=str(Path(__file__).parent), kind=kind)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    grade, seconds, megabytes = result.stdout.split()
    assert grade == "missing"
    assert float(seconds) < 10  # about 1 s (prose) and 2.5 s (white space) here, on a busy machine
    assert float(megabytes) < 150  # about 25 MB and 80 MB above the text itself
