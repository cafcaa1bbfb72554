"""Edit a YAML file's scalars in place, by path, leaving every other byte as it was.

A scalar is found from the parser's event marks (character offsets into the text), and only its
span is replaced, with the new value written as a one-line double-quoted YAML string. Comments, key
order, indentation, the quoting of other values, line endings (LF or CRLF) and a byte-order mark
are untouched. Every edit is read back before anything is written: the new text must parse, hold
the new value at each edited path and the old value at every other one; only then is the file
replaced, atomically, keeping its mode.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from briefgen.errors import EditError
from briefgen.writing import write_atomic

__all__ = [
    "ScalarSpan",
    "append_item",
    "append_yaml_items",
    "double_quoted",
    "edit_yaml_file",
    "replace_scalars",
    "scalar_spans",
]

PathPart = str | int
DataPath = tuple[PathPart, ...]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Characters YAML 1.1 lets a double-quoted scalar hold as they are; everything else is escaped.
# Line breaks (including U+0085, U+2028, U+2029) would be folded into spaces, so they are escaped
# too, as is U+FEFF, which some readers drop.
_UNSAFE = re.compile(
    '[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|["\\\\]'
)
_NAMED_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x00": "\\0"}
# A block scalar's header: properties (tag, anchor), the indicator, then an optional comment.
_BLOCK_HEADER = re.compile(r"(?:[!&]\S*[ \t]+)*[|>][0-9+-]*(?P<tail>[ \t]+#[^\r\n\x85\u2028\u2029]*)?")
_LINE_BREAKS = "\r\n\x85\u2028\u2029"


@dataclass(frozen=True)
class ScalarSpan:
    """Where a scalar value is written: its character span in the text, its style and its value."""

    path: DataPath
    start: int
    end: int
    style: str  # '' plain, "'" single-quoted, '"' double-quoted, '|' literal, '>' folded
    value: str


def double_quoted(value: str) -> str:
    """Return ``value`` as a one-line double-quoted YAML scalar that reads back as exactly ``value``."""
    return '"' + _UNSAFE.sub(_escape, value) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def scalar_spans(text: str) -> dict[DataPath, list[ScalarSpan]]:
    """Return every scalar value of a one-document YAML text by its path, with where it is written.

    Mapping keys are path parts, list items their index. Keys that are not scalars (and what lies
    under them) cannot be named by a path and are left out. A path written twice (a duplicate key)
    has two spans. Raise EditError if the text is not YAML or holds more than one document.
    """
    spans: dict[DataPath, list[ScalarSpan]] = {}
    stack: list[_Frame] = []
    documents = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise EditError("the YAML holds more than one document; only one can be edited")
            elif isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
            elif isinstance(event, yaml.NodeEvent):
                path = stack[-1].child(event) if stack else ()
                if isinstance(event, yaml.CollectionStartEvent):
                    stack.append(_Frame(path, mapping=isinstance(event, yaml.MappingStartEvent)))
                elif isinstance(event, yaml.ScalarEvent) and path is not None:
                    start, end = event.start_mark, event.end_mark
                    assert start is not None and end is not None  # the parser marks every event
                    span = ScalarSpan(path, start.index, end.index, event.style or "", event.value)
                    spans.setdefault(path, []).append(span)
    except yaml.YAMLError as exc:
        raise EditError(f"the YAML cannot be parsed: {_first_line(exc)}") from None
    return spans


class _Frame:
    """An open mapping or sequence while walking the events: what path its next node has."""

    def __init__(self, path: DataPath | None, *, mapping: bool) -> None:
        self.path = path  # None: under a key that is not a scalar, so nothing here has a path
        self.mapping = mapping
        self.index = 0
        self.key: str | None = None
        self.at_key = True

    def child(self, event: yaml.NodeEvent) -> DataPath | None:
        """Return the path of the node that starts with ``event``; None for keys and unaddressable nodes."""
        if not self.mapping:
            self.index += 1
            return None if self.path is None else (*self.path, self.index - 1)
        if self.at_key:
            self.at_key = False
            self.key = event.value if isinstance(event, yaml.ScalarEvent) else None
            return None
        self.at_key = True
        return None if self.path is None or self.key is None else (*self.path, self.key)


def replace_scalars(text: str, values: Mapping[DataPath, str]) -> str:
    """Return ``text`` with the scalar at each path replaced by a double-quoted ``value``.

    Everything outside the replaced spans is kept byte for byte. Raise EditError if a path names
    no scalar (or names one twice), or if the new text does not read back with exactly the new
    values at those paths and the old values everywhere else.
    """
    if not values:
        return text
    before = scalar_spans(text)
    chosen: list[ScalarSpan] = []
    for path in values:
        found = before.get(path)
        if not found:
            raise EditError(f"{_field(path)}: no text value at this path")
        if len(found) > 1:
            raise EditError(f"{_field(path)}: the key is written {len(found)} times")
        chosen.append(found[0])
    # From the end, so the offsets of the spans still to replace stay valid.
    chosen.sort(key=lambda span: span.start, reverse=True)
    for earlier, later in zip(chosen[1:], chosen, strict=False):
        if earlier.end > later.start:
            raise EditError(f"{_field(earlier.path)}: overlaps {_field(later.path)}")
    result = text
    for span in chosen:
        start, end, new = _replacement(result, span, values[span.path])
        result = result[:start] + new + result[end:]
    _verify(before, scalar_spans(result), values)
    return result


def _replacement(text: str, span: ScalarSpan, value: str) -> tuple[int, int, str]:
    """Return the span to replace and what to put there."""
    start, end = span.start, span.end
    new = double_quoted(value)
    if span.style in ("|", ">"):
        # A block scalar's span runs from its header through its trailing line breaks. Keep the
        # breaks (and the blank lines) so what follows stays on its own line, and keep a comment
        # on the header line after the new value.
        body = text[start:end]
        last = len(body.rstrip(" \t" + _LINE_BREAKS))
        line_end = last
        while line_end < len(body) and body[line_end] in " \t":
            line_end += 1
        end = start + line_end
        header = _BLOCK_HEADER.match(body)
        if header is not None and header.group("tail"):
            new += header.group("tail")
    elif start == end and start > 0 and text[start - 1] not in " \t\r\n[{,":
        new = " " + new  # an empty value right after its colon: `key:` becomes `key: "value"`
    return start, end, new


def _verify(
    before: dict[DataPath, list[ScalarSpan]],
    after: dict[DataPath, list[ScalarSpan]],
    values: Mapping[DataPath, str],
) -> None:
    if before.keys() != after.keys():
        changed = sorted(_field(p) for p in before.keys() ^ after.keys())
        raise EditError(f"the edit would change the YAML's structure at {', '.join(changed[:3])}")
    for path, spans in after.items():
        wanted = [values[path]] if path in values else [span.value for span in before[path]]
        if [span.value for span in spans] != wanted:
            raise EditError(f"{_field(path)}: the edited YAML does not read back as intended")


def edit_yaml_file(
    path: Path,
    values: Mapping[DataPath, str],
    *,
    check: Callable[[str], None] | None = None,
    write: bool = True,
) -> str:
    """Replace scalars of a YAML file by path, in place; return the new text (without a BOM).

    ``check`` may inspect the new text and raise to stop the edit; nothing is written unless every
    check passes. With ``write=False`` the edit is made and checked but the file is left alone.
    The file is replaced atomically (a temporary file in its folder, then a rename), keeping its
    mode; a symbolic link is followed, so the link stays a link.
    """
    return _edit_file(path, lambda text: replace_scalars(text, values), check=check, write=write)


# --- inserting ---------------------------------------------------------------------------------

# A value that can be written plain: an id or a word, never one YAML 1.1 or 1.2 would read as
# something other than text (true, no, null, a number, a date).
_PLAIN = re.compile(r"[a-z][a-z0-9-]*")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


@dataclass(frozen=True)
class _Collection:
    """Where a collection is written: its start, the end of its last value, its style and indent."""

    start: int
    last_end: int  # the end of the last scalar or flow collection inside it; start if empty
    flow: bool
    column: int  # for a block sequence, the column of its '-' indicators
    item_column: int  # for a block sequence of mappings, the column of the items' keys; else -1
    count: int  # items in a sequence, keys in a mapping


def _collections(text: str) -> dict[DataPath, _Collection]:
    """Return every addressable collection of a YAML text by its path, with where it is written."""
    found: dict[DataPath, _Collection] = {}
    stack: list[tuple[_Frame, yaml.CollectionStartEvent, list[int]]] = []
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionEndEvent):
                frame, start_event, state = stack.pop()
                end = event.end_mark
                assert end is not None and start_event.start_mark is not None
                if start_event.flow_style and stack:
                    stack[-1][2][0] = max(stack[-1][2][0], end.index)
                if frame.path is not None:
                    count = frame.index if not frame.mapping else state[1]
                    found[frame.path] = _Collection(
                        start=start_event.start_mark.index,
                        last_end=state[0],
                        flow=bool(start_event.flow_style),
                        column=start_event.start_mark.column,
                        item_column=state[2],
                        count=count,
                    )
                if stack:
                    parent = stack[-1][2]
                    parent[0] = max(parent[0], state[0])
            elif isinstance(event, yaml.NodeEvent):
                path = stack[-1][0].child(event) if stack else ()
                if stack:
                    parent_frame, _, parent_state = stack[-1]
                    if parent_frame.mapping and not parent_frame.at_key:
                        parent_state[1] += 1  # a key was just read
                    if (
                        not parent_frame.mapping
                        and parent_state[2] == -1
                        and isinstance(event, yaml.MappingStartEvent)
                        and event.start_mark is not None
                    ):
                        parent_state[2] = event.start_mark.column
                if isinstance(event, yaml.CollectionStartEvent):
                    mapping = isinstance(event, yaml.MappingStartEvent)
                    assert event.start_mark is not None
                    stack.append((_Frame(path, mapping=mapping), event, [event.start_mark.index, 0, -1]))
                elif isinstance(event, yaml.ScalarEvent) and stack:
                    assert event.end_mark is not None
                    stack[-1][2][0] = max(stack[-1][2][0], event.end_mark.index)
    except yaml.YAMLError as exc:
        raise EditError(f"the YAML cannot be parsed: {_first_line(exc)}") from None
    return found


def _emit_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text not in _RESERVED:
        return text
    return double_quoted(text)


def _emit_mapping(item: Mapping[str, Any], indent: int, first_prefix: str, newline: str) -> list[str]:
    """Return a block mapping's lines; the first starts with ``first_prefix`` instead of spaces."""
    lines: list[str] = []
    pad = " " * indent
    for index, (key, value) in enumerate(item.items()):
        lead = first_prefix if index == 0 else pad
        if not _PLAIN.fullmatch(key) and not re.fullmatch(r"[a-z_]+", key):
            raise EditError(f"cannot write the key {key!r}")
        if isinstance(value, Mapping):
            lines.append(f"{lead}{key}:")
            lines.extend(_emit_mapping(value, indent + 2, " " * (indent + 2), newline))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            lines.append(f"{lead}{key}:")
            for entry in value:
                lines.extend(_emit_mapping(entry, indent + 4, " " * (indent + 2) + "- ", newline))
        elif isinstance(value, list):
            lines.append(f"{lead}{key}: [{', '.join(_emit_scalar(v) for v in value)}]")
        else:
            lines.append(f"{lead}{key}: {_emit_scalar(value)}")
    return lines


def _flatten(value: Any, path: DataPath) -> dict[DataPath, str]:
    """Return the scalar values under ``value`` by path, as `scalar_spans` would read them back."""
    if isinstance(value, Mapping):
        found: dict[DataPath, str] = {}
        for key, child in value.items():
            found.update(_flatten(child, (*path, key)))
        return found
    if isinstance(value, list):
        found = {}
        for index, child in enumerate(value):
            found.update(_flatten(child, (*path, index)))
        return found
    return {path: _emit_value_text(value)}


def _emit_value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def append_item(text: str, path: DataPath, item: Mapping[str, Any]) -> str:
    """Return ``text`` with ``item`` written as a new last entry of the block sequence at ``path``.

    The item goes on the lines after the sequence's last value, indented as its other items (or
    two spaces under the key for an empty ``[]``), with text values double-quoted unless they are
    ids. Every other byte is kept; comments after the last item stay after the new one. Raise
    EditError if ``path`` names no sequence, or a sequence in flow style that is not empty, or if
    the new text does not read back with every old value in place and the new item at the end.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    collections = _collections(text)
    found = collections.get(path)
    parent = collections.get(path[:-1]) if path else None
    before = scalar_spans(text)
    if found is None and parent is not None and not parent.flow and isinstance(path[-1], str):
        if any(p[: len(path)] == path for p in before):
            raise EditError(f"{_field(path)}: not a list")
        # No such key yet: add it, with a block list of one item, after the mapping's last value.
        lines = [" " * parent.column + f"{path[-1]}:"]
        lines += _emit_mapping(item, parent.column + 4, " " * (parent.column + 2) + "- ", newline)
        at = _line_end(text, parent.last_end)
        result = text[:at] + newline.join(lines) + newline + text[at:]
        _verify_insert(before, scalar_spans(result), _flatten(dict(item), (*path, 0)), _field(path))
        return result
    if found is None:
        raise EditError(f"{_field(path)}: no list at this path")
    if found.flow:
        if found.count:
            raise EditError(f"{_field(path)}: the list is written in flow style [...]; add the item by hand")
        # An empty `[]`: replace it with a block list under its key.
        key_indent = _line_indent(text, found.start)
        item_column = key_indent + 4
        lines = _emit_mapping(item, item_column, " " * (key_indent + 2) + "- ", newline)
        end = text.index("]", found.start) + 1
        result = text[: found.start].rstrip(" \t") + newline + newline.join(lines) + text[end:]
    else:
        item_column = found.item_column if found.item_column >= 0 else found.column + 2
        lines = _emit_mapping(item, item_column, " " * found.column + "- ", newline)
        at = _line_end(text, found.last_end)
        if at == len(text) and text and not text.endswith(("\n", "\r")):
            result = text + newline + newline.join(lines) + newline
        else:
            result = text[:at] + newline.join(lines) + newline + text[at:]
    index = found.count
    _verify_insert(before, scalar_spans(result), _flatten(dict(item), (*path, index)), _field(path))
    return result


def _line_indent(text: str, at: int) -> int:
    line_start = text.rfind("\n", 0, at) + 1
    line = text[line_start:at]
    return len(line) - len(line.lstrip(" "))


def _line_end(text: str, at: int) -> int:
    """Return the offset just after the line holding the last non-blank character before ``at``."""
    last = at
    while last > 0 and text[last - 1] in " \t\r\n":
        last -= 1
    newline = text.find("\n", last)
    return len(text) if newline == -1 else newline + 1


def _verify_insert(
    before: dict[DataPath, list[ScalarSpan]],
    after: dict[DataPath, list[ScalarSpan]],
    added: dict[DataPath, str],
    where: str,
) -> None:
    for path, spans in before.items():
        if [s.value for s in after.get(path, [])] != [s.value for s in spans]:
            raise EditError(f"{where}: the insertion would change {_field(path)}")
    for path, value in added.items():
        if [s.value for s in after.get(path, [])] != [value]:
            raise EditError(f"{where}: the inserted item does not read back at {_field(path)}")
    extra = after.keys() - before.keys() - added.keys()
    if extra:
        raise EditError(f"{where}: the insertion would add {_field(sorted(extra, key=str)[0])}")


def append_yaml_items(
    path: Path,
    items: Sequence[tuple[DataPath, Mapping[str, Any]]],
    *,
    check: Callable[[str], None] | None = None,
    write: bool = True,
) -> str:
    """Append items to block sequences of a YAML file, in place; return the new text (without a BOM).

    As `edit_yaml_file`: nothing is written unless every insertion reads back and ``check`` passes,
    and the file is replaced atomically.
    """

    def append_all(text: str) -> str:
        for where, item in items:
            text = append_item(text, where, item)
        return text

    return _edit_file(path, append_all, check=check, write=write)


def _edit_file(
    path: Path, change: Callable[[str], str], *, check: Callable[[str], None] | None, write: bool
) -> str:
    """Read a UTF-8 file (BOM kept aside), change its text, check it, and write it back if asked."""
    target = path.resolve()
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise EditError(f"{path}: cannot read the file: {exc.strerror}") from None
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    try:
        text = data[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EditError(f"{path}: the file is not UTF-8 (bad byte at offset {exc.start})") from None
    try:
        new_text = change(text)
    except EditError as exc:
        raise EditError(f"{path}: {exc}") from None
    if check is not None:
        check(new_text)
    if write and new_text != text:
        _write_atomic(target, data, bom + new_text.encode("utf-8"))
    return new_text


def _write_atomic(path: Path, old: bytes, data: bytes) -> None:
    """Replace a file's content so readers see the old bytes or the new, never a torn file."""

    def unchanged() -> None:
        # Someone saving the file meanwhile would otherwise lose their change without a word.
        if path.read_bytes() != old:
            raise EditError(f"{path}: the file changed while it was being edited; nothing was written")

    write_atomic(path, data, mode=path.stat().st_mode & 0o7777, before_replace=unchanged)


def _field(path: Sequence[PathPart]) -> str:
    """Return a path as printed: ``claims[3].evidence[0].quote``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(document)"


def _first_line(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return str(exc).split("\n", 1)[0]
