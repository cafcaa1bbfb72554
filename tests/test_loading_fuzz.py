"""Property tests: no mutation of a good summary makes loading fail with anything but SummaryError."""

from __future__ import annotations

import re
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.errors import SummaryError
from briefgen.loading import MAX_BYTES, parse_summary
from briefgen.model import Summary

GOOD_TEXT = (Path(__file__).parent / "data" / "good_minimal.yaml").read_text(encoding="utf-8")
PROBLEM_LINE = re.compile(r"^.+:\d+:\d+: .+: .+$")

# Characters that matter to YAML, plus some that its reader refuses.
SPECIAL = st.sampled_from([*"\t\n :-[]{},&*!?|>#%@`'\"~\\", "\x00", "\x07", "é", "\ufeff", "\u2028", "\r"])
VALUES = st.sampled_from(
    [
        "[]",
        "{}",
        "~",
        "",
        "123",
        "-1",
        "1.10",
        "NO",
        "yes",
        "2026-13-45",
        "[a, b]",
        "{a: b}",
        "&x v",
        "*x",
        "!!int 3",
        "!!python/object:os.system x",
        "'unterminated",
        '"bad \\q"',
        "- item",
        "|\n  block",
        "a: b: c",
        "x" * 500,
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """Apply a few random edits to the good summary."""
    lines = GOOD_TEXT.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(
            st.sampled_from(["delete", "insert", "drop", "duplicate", "value", "tab", "truncate", "swap"])
        )
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        if operation == "delete" and line:
            at = draw(st.integers(0, len(line) - 1))
            lines[index] = line[:at] + line[at + 1 :]
        elif operation == "insert":
            at = draw(st.integers(0, len(line)))
            lines[index] = line[:at] + draw(st.one_of(SPECIAL, st.text(max_size=3))) + line[at:]
        elif operation == "drop" and len(lines) > 1:
            del lines[index]
        elif operation == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), line)
        elif operation == "value" and ": " in line:
            lines[index] = line.split(": ", 1)[0] + ": " + draw(VALUES)
        elif operation == "tab":
            lines[index] = "\t" + line.lstrip(" ")
        elif operation == "truncate":
            text = "\n".join(lines)
            lines = text[: draw(st.integers(0, len(text)))].split("\n")
        elif operation == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], line
    return "\n".join(lines)


def _check(text: str | bytes) -> None:
    try:
        summary = parse_summary(text, filename="briefs/fuzz.yaml")
    except SummaryError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert PROBLEM_LINE.match(str(problem)), str(problem)
            assert problem.line >= 1
            assert problem.col >= 1
    else:
        assert isinstance(summary, Summary)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_summary_loads_or_gives_problems(text: str) -> None:
    _check(text)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_load_or_give_problems(data: bytes) -> None:
    _check(data)


def test_ten_megabytes_of_text() -> None:
    started = time.perf_counter()
    _check("summary: " + "x" * 10_000_000)
    _check(("word " * 2_000_000).encode())
    assert time.perf_counter() - started < 5


def test_largest_allowed_file_of_unknown_keys() -> None:
    lines: list[str] = []
    size = 0
    while size < MAX_BYTES - 100:
        line = f"key{len(lines)}: some value\n"
        lines.append(line)
        size += len(line)
    started = time.perf_counter()
    _check("".join(lines))
    assert time.perf_counter() - started < 10


def test_deeply_nested_lists() -> None:
    started = time.perf_counter()
    for text in (
        "[" * 100_000 + "]" * 100_000,
        "a: " + "[" * 100_000,
        "".join("  " * depth + "- \n" for depth in range(2_000)),
        "".join(" " * depth + f"k{depth}:\n" for depth in range(2_000)),
        "? " * 5_000 + "x",
    ):
        _check(text)
    assert time.perf_counter() - started < 5
