"""Appending list items to YAML in place: every other byte kept, the new item read back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from briefgen.editing import append_item, append_yaml_items
from briefgen.errors import EditError

DOCUMENT = """\
# A summary-like file.
sources:
  - id: a   # the first source
    title: >-
      folded
      title
    notes: [one, two]

  # -------------------------------------------------- claims
claims:
  - id: c1
    kind: fact   # no evidence yet
  - id: c2
    evidence: []
  - id: c3
    evidence:
      - source: a
        quote: "a quote here"
"""


def test_new_source_goes_after_the_last_item_before_the_comment() -> None:
    item = {"id": "b", "title": "A title: with a colon", "kind": "news", "quality_notes": ["guessed title"]}
    result = append_item(DOCUMENT, ("sources",), item)
    added = (
        "  - id: b\n"
        '    title: "A title: with a colon"\n'
        "    kind: news\n"
        '    quality_notes: ["guessed title"]\n'
    )
    assert result == DOCUMENT.replace("    notes: [one, two]\n", "    notes: [one, two]\n" + added)
    assert yaml.safe_load(result)["sources"][1] == item


def test_evidence_appended_to_a_block_list() -> None:
    result = append_item(DOCUMENT, ("claims", 2, "evidence"), {"source": "a", "quote": 'He said "no".'})
    assert result.endswith(
        '        quote: "a quote here"\n      - source: a\n        quote: "He said \\"no\\"."\n'
    )
    assert result.startswith(DOCUMENT)


def test_empty_flow_list_becomes_a_block_list() -> None:
    result = append_item(DOCUMENT, ("claims", 1, "evidence"), {"source": "a", "quote": "quoted words"})
    assert '    evidence:\n      - source: a\n        quote: "quoted words"\n  - id: c3\n' in result
    assert yaml.safe_load(result)["claims"][1]["evidence"] == [{"source": "a", "quote": "quoted words"}]


def test_missing_key_is_added_to_the_mapping() -> None:
    result = append_item(DOCUMENT, ("claims", 0, "evidence"), {"source": "a", "quote": "quoted words"})
    assert "    kind: fact   # no evidence yet\n    evidence:\n      - source: a\n" in result
    assert yaml.safe_load(result)["claims"][0]["evidence"] == [{"source": "a", "quote": "quoted words"}]


def test_crlf_line_endings_are_kept() -> None:
    crlf = DOCUMENT.replace("\n", "\r\n")
    result = append_item(crlf, ("sources",), {"id": "b", "kind": "news"})
    assert "\n" not in result.replace("\r\n", "")
    assert yaml.safe_load(result)["sources"][1] == {"id": "b", "kind": "news"}


def test_values_that_yaml_would_coerce_are_quoted() -> None:
    item = {"id": "b", "date": "2025-10-12", "flag": "no", "number": "1.10", "n": 3}
    result = append_item(DOCUMENT, ("sources",), item)
    loaded = yaml.safe_load(result)["sources"][1]
    assert loaded == {"id": "b", "date": "2025-10-12", "flag": "no", "number": "1.10", "n": 3}


def test_nested_lists_of_mappings() -> None:
    item = {"id": "d1", "positions": [{"source": "a", "says": "X."}, {"source": "b", "says": "Y."}]}
    result = append_item("disputes:\n  - id: d0\n", ("disputes",), item)
    assert yaml.safe_load(result)["disputes"][1] == item


def test_refusals() -> None:
    with pytest.raises(EditError, match="no list at this path"):
        append_item(DOCUMENT, ("claims", 7, "evidence"), {"id": "x"})
    with pytest.raises(EditError, match="flow style"):
        append_item(DOCUMENT, ("sources", 0, "notes"), {"id": "x"})
    with pytest.raises(EditError, match="not a list"):
        append_item(DOCUMENT, ("claims", 0, "kind"), {"id": "x"})


def test_file_is_written_atomically_only_when_checks_pass(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + DOCUMENT.encode())

    def refuse(text: str) -> None:
        raise EditError("refused")

    with pytest.raises(EditError, match="refused"):
        append_yaml_items(path, [(("sources",), {"id": "b"})], check=refuse)
    assert path.read_bytes() == b"\xef\xbb\xbf" + DOCUMENT.encode()
    append_yaml_items(path, [(("sources",), {"id": "b"}), (("claims", 2, "evidence"), {"source": "b"})])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    loaded = yaml.safe_load(data.decode("utf-8-sig"))
    assert loaded["sources"][1] == {"id": "b"}
    assert loaded["claims"][2]["evidence"][1] == {"source": "b"}


def test_real_summary_keeps_every_byte(tmp_path: Path) -> None:
    text = Path("briefs/meridian-treaty-2025.yaml").read_text(encoding="utf-8")
    result = append_item(text, ("sources",), {"id": "new-report", "file": "seeds/new.txt", "title": "T"})
    start = result.index("  - id: new-report")
    inserted = result[start : result.index("\n\n", start)]
    assert result.replace(inserted + "\n", "", 1) == text
