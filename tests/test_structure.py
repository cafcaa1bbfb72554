"""The build side's shape: no import cycle, and a paper's length, audience and marking typed."""

from __future__ import annotations

import ast
from pathlib import Path

from briefgen.model import Audience, Length, Marking
from briefgen.run import Results

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "briefgen"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Return which briefgen modules each module imports, deferred and type-only imports included."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[name].update(t for t in targets if t in paths and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = [stack.pop()]
            while group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_briefgen_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph()
    assert "briefgen.run" in graph and "briefgen.regen" in graph["briefgen.cli"] | graph["briefgen.watch"]
    assert cycles(graph) == []


def test_a_built_paper_carries_its_length_audience_and_marking_as_enums(built: tuple[Path, Results]) -> None:
    briefs = [paper.brief for paper in built[1].papers]
    assert len(briefs) == 15
    for brief in briefs:
        assert type(brief.length) is Length and type(brief.audience) is Audience
        assert brief.marking is None or type(brief.marking) is Marking
        assert (
            brief.as_of_date is not None and f"{brief.as_of_date.day} {brief.as_of_date:%B %Y}" in brief.as_of
        )
