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

import yaml

from briefgen.errors import EditError
from briefgen.writing import write_atomic

__all__ = ["ScalarSpan", "double_quoted", "edit_yaml_file", "replace_scalars", "scalar_spans"]

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
        new_text = replace_scalars(text, values)
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
