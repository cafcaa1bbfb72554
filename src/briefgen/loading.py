"""Load a summary from YAML into the model, reporting every mistake at once with file:line:col.

The YAML is read as an event stream, not with ``yaml.load``: the builder here turns events into
plain dicts, lists and strings itself so that it can

- keep every scalar as text (no YAML 1.1 coercions: ``NO``, ``1.10`` and ``2026-01-31`` stay
  strings; pydantic converts in lax mode where the schema wants a number or a date), with plain
  ``null``, ``~`` and empty values as ``None``;
- report a duplicate key at the second occurrence instead of silently keeping the last;
- refuse aliases, so an alias bomb cannot expand;
- stop at a fixed nesting depth (libyaml's C composer recurses without limit and crashes the
  interpreter on deeply nested input, so ``yaml.compose`` is not used);
- remember where every key and list item starts, for the ``Locations`` map.
"""

from __future__ import annotations

import codecs
import difflib
import re
import types
from collections.abc import Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from briefgen.errors import PathError, Problem, SummaryError
from briefgen.model import Marking, Summary
from briefgen.paths import read_file

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "Locations",
    "load_summary",
    "load_summary_with_locations",
    "parse_summary",
    "parse_summary_with_locations",
    "read_summary_file",
    "read_yaml_with_locations",
]

PathPart = str | int
DataPath = tuple[PathPart, ...]

#: A summary of a hundred claims is about 100 kB; anything this big is a mistake, and parsing it
#: would take seconds.
MAX_BYTES = 2 * 1024 * 1024
#: A summary nests five levels deep; more is a mistake (and unbounded depth is a crash risk).
MAX_DEPTH = 20

_DOCUMENT = "(document)"
_SYNTAX = "(yaml)"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Characters YAML 1.1 allows in a stream; anything else is refused by the reader.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Control characters a double-quoted scalar can still hold through its escapes once the stream is
# read: tab and newline are text; the others (ESC, NUL, C1…) would reach a terminal or a paper raw.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_REFUSED_MARKINGS = frozenset({"SECRET", "TOP SECRET", "TOP-SECRET", "TOP_SECRET"})
_MAX_SHOWN = 40
_MAX_KNOWN = 12
# Suggesting a spelling costs a difflib pass; past this many unknown fields the file is not a
# summary with typos, and suggestions would only make a pathological file slow to report.
_MAX_SUGGESTIONS = 100

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SummaryLoader(_Base):  # type: ignore[valid-type,misc]
    """A safe loader that resolves no implicit types: every plain scalar is tagged as text."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012


class Locations:
    """Where each key and list item of a summary starts, as 1-based (line, col)."""

    def __init__(self, positions: dict[DataPath, tuple[int, int]]) -> None:
        self._positions = positions

    def of(self, path: Sequence[PathPart]) -> tuple[int, int]:
        """Return where ``path`` starts, or its nearest located parent; keys point at the key."""
        parts = tuple("schema" if p == "schema_" else p for p in path)
        for end in range(len(parts), -1, -1):
            found = self._positions.get(parts[:end])
            if found is not None:
                return found
        return (1, 1)

    def __contains__(self, path: object) -> bool:
        return path in self._positions


class _FatalError(Exception):
    """The YAML cannot be read any further; carries the problem that stopped it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _Builder:
    """Turn a YAML event stream into dicts, lists, strings and None, noting positions."""

    def __init__(self, text: str, filename: str) -> None:
        self._events: Iterator[yaml.Event] = yaml.parse(text, Loader=_SummaryLoader)
        self._filename = filename
        self.positions: dict[DataPath, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        # Paths whose value was replaced by None because of a YAML-level problem; schema errors
        # under them would only repeat it.
        self.poisoned: list[DataPath] = []

    def build(self) -> tuple[bool, Any]:
        """Return (whether the stream holds a document, its data)."""
        event = self._next()  # StreamStartEvent
        event = self._next()
        if isinstance(event, yaml.StreamEndEvent):
            return False, None
        root_event = self._next()  # after DocumentStartEvent
        self.positions[()] = _position(root_event)
        data = self._node(root_event, (), 1)
        self._next()  # DocumentEndEvent
        event = self._next()
        if isinstance(event, yaml.DocumentStartEvent):
            # Stop here: the rest of the stream is not part of the summary.
            self._problem(event, _DOCUMENT, "a summary file holds one YAML document; found a second here")
        return True, data

    def _next(self) -> yaml.Event:
        return next(self._events)

    def _problem(self, event: yaml.Event, field: str, message: str) -> None:
        line, col = _position(event)
        self.problems.append(_problem(self._filename, line, col, field, message))

    def _too_deep(self, event: yaml.Event, path: DataPath) -> _FatalError:
        line, col = _position(event)
        # Name the innermost key, not a path of twenty list indexes.
        while path and isinstance(path[-1], int):
            path = path[:-1]
        message = f"nesting is deeper than {MAX_DEPTH} levels"
        return _FatalError(_problem(self._filename, line, col, _field(path), message))

    def _node(self, event: yaml.Event, path: DataPath, depth: int) -> Any:
        if isinstance(event, yaml.ScalarEvent):
            if event.implicit[0] and event.value in _NULLS:
                return None
            if not self._printable(event, path):
                return None
            return event.value
        if isinstance(event, yaml.AliasEvent):
            self._alias(event, path)
            return None
        if depth > MAX_DEPTH:
            raise self._too_deep(event, path)
        if isinstance(event, yaml.SequenceStartEvent):
            return self._sequence(path, depth)
        return self._mapping(path, depth)

    def _printable(self, event: yaml.ScalarEvent, path: DataPath) -> bool:
        """Report a control character a quoted scalar's escapes made (`"\\e[31m"`, `"\\0"`); say if none."""
        bad = _CONTROL_IN_TEXT.search(event.value)
        if bad is None:
            return True
        self.poisoned.append(path)
        message = f"control character U+{ord(bad.group()):04X} is not allowed in text"
        self._problem(event, _field(path), message)
        return False

    def _alias(self, event: yaml.AliasEvent, path: DataPath) -> None:
        self.poisoned.append(path)
        message = f"aliases are not supported; write the value out in full instead of '*{event.anchor}'"
        self._problem(event, _field(path), message)

    def _sequence(self, path: DataPath, depth: int) -> list[Any]:
        items: list[Any] = []
        while not isinstance(event := self._next(), yaml.SequenceEndEvent):
            item_path = (*path, len(items))
            self.positions[item_path] = _position(event)
            items.append(self._node(event, item_path, depth + 1))
        return items

    def _mapping(self, path: DataPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        while not isinstance(key_event := self._next(), yaml.MappingEndEvent):
            if not isinstance(key_event, yaml.ScalarEvent):
                what = "an alias" if isinstance(key_event, yaml.AliasEvent) else _kind_of_event(key_event)
                self._problem(key_event, _field(path), f"a key must be plain text, not {what}")
                self._skip(key_event, path, depth)
                self._skip(self._next(), path, depth)
                continue
            key = key_event.value
            key_path = (*path, key)
            value_event = self._next()
            if not self._printable(key_event, key_path):
                self._skip(value_event, key_path, depth)
                continue
            if key in first_line:
                message = f"duplicate key {_quote(key)}; first at line {first_line[key]}"
                self._problem(key_event, _field(key_path), message)
                self._skip(value_event, key_path, depth)
                continue
            position = _position(key_event)
            first_line[key] = position[0]
            self.positions[key_path] = position
            result[key] = self._node(value_event, key_path, depth + 1)
        return result

    def _skip(self, event: yaml.Event, path: DataPath, depth: int) -> None:
        """Consume the node that starts with ``event`` without building it."""
        level = 0
        while True:
            if isinstance(event, yaml.CollectionStartEvent):
                level += 1
                if depth + level > MAX_DEPTH:
                    raise self._too_deep(event, path)
            elif isinstance(event, yaml.CollectionEndEvent):
                level -= 1
            if level == 0:
                return
            event = self._next()


_ESCAPES = str.maketrans(
    {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x85": "\\x85", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _problem(filename: str, line: int, col: int, field: str, message: str) -> Problem:
    """Make a Problem that prints as exactly one line, whatever text the YAML held."""
    return Problem(filename, line, col, field.translate(_ESCAPES), message.translate(_ESCAPES))


def _position(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (1, 1) if mark is None else (mark.line + 1, mark.column + 1)


def _kind_of_event(event: yaml.Event) -> str:
    return "a list" if isinstance(event, yaml.SequenceStartEvent) else "a mapping"


def _field(path: Sequence[PathPart]) -> str:
    """Return a path as printed: ``claims[3].evidence[0].source``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = "schema" if part == "schema_" else part or "''"
            text += f".{name}" if text else name
    return text or _DOCUMENT


def _quote(value: str) -> str:
    if len(value) > _MAX_SHOWN:
        value = value[: _MAX_SHOWN - 1] + "…"
    return f"'{value}'"


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "an empty value"
    return "a string"


def _shown(value: object) -> str:
    """Show a bad value: text quoted, anything else by its kind."""
    return _quote(value) if isinstance(value, str) else _kind(value)


def _line_col(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


# --- reading ---------------------------------------------------------------------------------


def _decode(data: bytes, filename: str) -> str:
    if len(data) > MAX_BYTES:
        message = f"the file is {len(data):,} bytes; the limit is {MAX_BYTES:,}"
        raise SummaryError([_problem(filename, 1, 1, _DOCUMENT, message)])
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        head = data[: exc.start]
        line_start = head.rfind(b"\n") + 1
        line = head.count(b"\n") + 1
        col = len(head[line_start:].decode("utf-8", "replace")) + 1
        message = f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded"
        raise SummaryError([_problem(filename, line, col, _DOCUMENT, message)]) from None


def _check_characters(text: str, filename: str) -> None:
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        line, col = _line_col(text, bad.start())
        message = f"character U+{ord(bad.group()):04X} is not allowed in YAML; is this a binary file?"
        raise SummaryError([_problem(filename, line, col, _DOCUMENT, message)])


def _syntax_problem(exc: yaml.YAMLError, text: str, filename: str) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        line, col = exc.problem_mark.line + 1, exc.problem_mark.column + 1
        message = exc.problem or "invalid YAML"
        lines = text.split("\n", line)
        source_line = lines[line - 1] if line <= len(lines) else ""
        indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
        if "\t" in indent or "tab" in message or source_line[col - 1 : col] == "\t":
            message = "tabs cannot be used for indentation; use spaces"
        elif exc.context and exc.context_mark is not None:
            message = f"{message} ({exc.context} at line {exc.context_mark.line + 1})"
        return _problem(filename, line, col, _SYNTAX, message)
    if isinstance(exc, yaml.reader.ReaderError):
        # The reader counts bytes of the UTF-8 encoding.
        index = len(text.encode("utf-8", "surrogatepass")[: exc.position].decode("utf-8", "ignore"))
        line, col = _line_col(text, index)
        return _problem(filename, line, col, _SYNTAX, f"character is not allowed in YAML: {exc.reason}")
    return _problem(filename, 1, 1, _SYNTAX, str(exc).split("\n", 1)[0] or "invalid YAML")


# --- schema errors ---------------------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _model_field_names(model: type[BaseModel]) -> dict[str, str]:
    """Map each accepted key (alias or name) of a model to its field name."""
    return {info.alias or name: name for name, info in model.model_fields.items()}


def _type_at(path: DataPath) -> Any:
    """Return the schema type expected at a data path, or None if the path leaves the schema."""
    annotation: Any = Summary
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(part, int):
            if get_origin(annotation) is not list:
                return None
            annotation = get_args(annotation)[0]
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            name = _model_field_names(annotation).get(part)
            if name is None:
                return None
            annotation = annotation.model_fields[name].annotation
        else:
            return None
    return _unwrap(annotation)


def _data_path(loc: tuple[PathPart, ...], data: Any) -> DataPath:
    """Keep the parts of a pydantic loc that name data; drop union tags and validator names."""
    path: list[PathPart] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and isinstance(part, str):
            if part in node:
                node = node[part]
                path.append(part)
            elif index == len(loc) - 1:
                node = None  # a missing field: name it, locate it at its parent
                path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
    return tuple(path)


def _enum_message(enum: type[Enum], value: object) -> str:
    choices = ", ".join(_quote(str(member.value)) for member in enum)
    message = f"expected one of {choices}, not {_shown(value)}"
    if enum is Marking and isinstance(value, str) and value.strip().upper() in _REFUSED_MARKINGS:
        message += "; briefgen refuses SECRET and above"
    return message


def _unknown_field_message(path: DataPath, *, suggest: bool) -> str:
    key = str(path[-1])
    message = f"unknown field {_quote(key)}"
    model = _type_at(path[:-1]) if suggest else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        close = difflib.get_close_matches(key, list(_model_field_names(model)), n=1)
        if close:
            message += f"; did you mean {_quote(close[0])}?"
    return message


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _error_message(error: Any, path: DataPath, *, suggest: bool = True) -> str:
    kind: str = error["type"]
    value = error.get("input")
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return _unknown_field_message(path, suggest=suggest)
    if kind == "enum":
        expected = _type_at(path)
        if isinstance(expected, type) and issubclass(expected, Enum):
            return _enum_message(expected, value)
        return f"expected one of {ctx.get('expected', '?')}, not {_shown(value)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, not {_shown(value)}"
    if kind.startswith("date"):
        return f"expected a date as YYYY-MM-DD, not {_shown(value)}"
    if kind == "list_type":
        return f"expected a list, not {_kind(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping, not {_kind(value)}"
    if kind == "string_type":
        return f"expected text, not {_kind(value)}"
    if kind == "string_too_short":
        minimum = int(ctx.get("min_length", 1))
        if minimum <= 1:
            return "must not be empty"
        return f"must be at least {minimum} characters, not {len(str(value).strip())}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters, not {len(str(value))}"
    if kind == "string_pattern_mismatch":
        return f"expected an id of lower-case letters, digits and hyphens, not {_shown(value)}"
    if kind == "too_short":
        minimum = int(ctx.get("min_length", 1))
        return f"expected at least {_count(minimum, 'item')}, not {ctx.get('actual_length', 0)}"
    if kind == "too_long":
        return f"expected at most {_count(int(ctx.get('max_length', 0)), 'item')}"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "less_than_equal": ("at most", "le"),
        "greater_than": ("more than", "gt"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx.get(key)}, not {value}"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _schema_problems(
    exc: ValidationError, data: Any, locations: Locations, filename: str, poisoned: list[DataPath]
) -> tuple[list[Problem], set[DataPath]]:
    problems: list[Problem] = []
    paths: set[DataPath] = set()
    for error in exc.errors(include_url=False):
        path = _data_path(tuple(error["loc"]), data)
        if any(path[: len(bad)] == bad for bad in poisoned):
            continue
        line, col = locations.of(path)
        message = _error_message(error, path, suggest=len(problems) < _MAX_SUGGESTIONS)
        problems.append(_problem(filename, line, col, _field(path), message))
        paths.add(path)
    return problems, paths


# --- cross references ------------------------------------------------------------------------


def _records(data: dict[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(section)
    if not isinstance(value, list):
        return []
    return [(index, record) for index, record in enumerate(value) if isinstance(record, dict)]


def _unknown_reference(noun: str, value: str, known: list[str]) -> str:
    shown = ", ".join(_quote(k) for k in known[:_MAX_KNOWN])
    if len(known) > _MAX_KNOWN:
        shown += f" and {len(known) - _MAX_KNOWN} more"
    message = f"unknown {noun} {_quote(value)}; known: {shown}"
    close = difflib.get_close_matches(value, known, n=1)
    if close:
        message += f"; did you mean {_quote(close[0])}?"
    return message


def _cross_reference_problems(data: Any, locations: Locations) -> list[tuple[DataPath, str]]:
    """Find duplicate ids and references to sources or claims that do not exist."""
    if not isinstance(data, dict):
        return []
    found: list[tuple[DataPath, str]] = []
    ids: dict[str, list[str]] = {}
    for section, key, noun in (
        ("sources", "id", "source id"),
        ("themes", "id", "theme id"),
        ("claims", "id", "claim id"),
        ("disputes", "id", "dispute id"),
        ("editions", "name", "edition name"),
        ("glossary", "term", "glossary term"),
    ):
        first: dict[str, DataPath] = {}
        for index, record in _records(data, section):
            value = record.get(key)
            if not isinstance(value, str):
                continue
            path: DataPath = (section, index, key)
            if value in first:
                line = locations.of(first[value])[0]
                found.append((path, f"duplicate {noun} {_quote(value)}; first at line {line}"))
            else:
                first[value] = path
        ids[section] = sorted(first)

    references: list[tuple[DataPath, object]] = []
    for index, claim in _records(data, "claims"):
        for item, evidence in _records(claim, "evidence"):
            references.append((("claims", index, "evidence", item, "source"), evidence.get("source")))
    for index, dispute in _records(data, "disputes"):
        for item, position in _records(dispute, "positions"):
            references.append((("disputes", index, "positions", item, "source"), position.get("source")))
    for index, entry in _records(data, "timeline"):
        sources = entry.get("sources")
        if isinstance(sources, list):
            references.extend((("timeline", index, "sources", item), s) for item, s in enumerate(sources))
    if ids["sources"]:
        for path, value in references:
            if isinstance(value, str) and value not in ids["sources"]:
                found.append((path, _unknown_reference("source", value, ids["sources"])))
    for index, claim in _records(data, "claims"):
        theme = claim.get("theme")
        if isinstance(theme, str) and theme not in ids["themes"]:
            path = ("claims", index, "theme")
            if ids["themes"]:
                found.append((path, _unknown_reference("theme", theme, ids["themes"])))
            else:
                found.append((path, f"unknown theme {_quote(theme)}: the summary declares no themes"))
    if ids["claims"]:
        for index, dispute in _records(data, "disputes"):
            claims = dispute.get("claims")
            if not isinstance(claims, list):
                continue
            for item, value in enumerate(claims):
                if isinstance(value, str) and value not in ids["claims"]:
                    path = ("disputes", index, "claims", item)
                    found.append((path, _unknown_reference("claim", value, ids["claims"])))
    return found


# --- public API ------------------------------------------------------------------------------


def _read_yaml(text: str, filename: str) -> tuple[Any, Locations, list[Problem], list[DataPath]]:
    if text.startswith("\ufeff"):
        text = text[1:]
    _check_characters(text, filename)
    builder = _Builder(text, filename)
    try:
        has_document, data = builder.build()
    except _FatalError as exc:
        raise SummaryError([*builder.problems, exc.problem]) from None
    except yaml.YAMLError as exc:
        raise SummaryError([*builder.problems, _syntax_problem(exc, text, filename)]) from None
    if not has_document:
        message = "the file is empty; expected a mapping of summary fields"
        raise SummaryError([*builder.problems, _problem(filename, 1, 1, _DOCUMENT, message)])
    locations = Locations(builder.positions)
    if not isinstance(data, dict):
        line, col = locations.of(())
        message = f"expected a mapping of summary fields at the top, not {_kind(data)}"
        raise SummaryError([*builder.problems, _problem(filename, line, col, _DOCUMENT, message)])
    return data, locations, builder.problems, builder.poisoned


def read_yaml_with_locations(text: str, filename: str) -> tuple[dict[str, Any], Locations]:
    """Read summary YAML as plain data (no schema) with where each part is written."""
    data, locations, problems, _ = _read_yaml(text, filename)
    if problems:
        raise SummaryError(problems)
    return data, locations


def parse_summary_with_locations(text: str | bytes, *, filename: str) -> tuple[Summary, Locations]:
    """Parse summary YAML; return the summary and where each of its parts is written."""
    if isinstance(text, bytes):
        text = _decode(text, filename)
    elif len(text) > MAX_BYTES:
        message = f"the file is {len(text):,} characters; the limit is {MAX_BYTES:,}"
        raise SummaryError([_problem(filename, 1, 1, _DOCUMENT, message)])
    data, locations, problems, poisoned = _read_yaml(text, filename)
    if data.get("schema") == "1":
        # Every claim of a schema 1 file would fail on `topic`: one line that says what to do instead.
        line, col = locations.of(("schema",))
        message = "schema 1 is retired: run `briefgen migrate FILE` to rewrite it as schema 2"
        raise SummaryError([*problems, _problem(filename, line, col, "schema", message)])
    summary: Summary | None = None
    flagged: set[DataPath] = set()
    try:
        summary = Summary.model_validate(data)
    except ValidationError as exc:
        schema_problems, flagged = _schema_problems(exc, data, locations, filename, poisoned)
        problems.extend(schema_problems)
    for path, message in _cross_reference_problems(data, locations):
        if path not in flagged:
            line, col = locations.of(path)
            problems.append(_problem(filename, line, col, _field(path), message))
    if problems or summary is None:
        raise SummaryError(problems)
    return summary, locations


def parse_summary(text: str | bytes, *, filename: str) -> Summary:
    """Parse summary YAML; raise SummaryError carrying every problem found."""
    return parse_summary_with_locations(text, filename=filename)[0]


def load_summary_with_locations(path: Path, *, display_path: str | None = None) -> tuple[Summary, Locations]:
    """Load a summary file; return the summary and where each of its parts is written."""
    filename = display_path if display_path is not None else str(path)
    return parse_summary_with_locations(read_summary_file(path, filename=filename), filename=filename)


def read_summary_file(path: Path, *, filename: str) -> bytes:
    """Return a summary file's bytes; raise SummaryError if it cannot be read, is too big or is no file."""
    try:
        # Not path.open(): a FIFO would block for ever, and a 50 MB file is read no further than its size.
        data = read_file(path, limit=MAX_BYTES, shown=filename)
    except PathError as exc:
        raise SummaryError([_problem(filename, 1, 1, _DOCUMENT, f"the file {exc.reason}")]) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
        message = f"cannot read the file: {reason[:1].lower()}{reason[1:]}"
        raise SummaryError([_problem(filename, 1, 1, _DOCUMENT, message)]) from None
    return data


def load_summary(path: Path, *, display_path: str | None = None) -> Summary:
    """Load a summary file; raise SummaryError carrying every problem found."""
    return load_summary_with_locations(path, display_path=display_path)[0]
