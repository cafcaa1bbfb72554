"""Who may write an output folder: one run at a time, and no two summaries with one id."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from briefgen.errors import LockError, OutputError, PathError
from briefgen.manifest import Manifest, summary_key
from briefgen.paths import kind_of, read_file
from briefgen.writing import describe

LOCK_NAME = ".briefgen.lock"
# loading.MAX_BYTES, not imported: loading imports pydantic, which a regen with nothing to do never needs.
_SUMMARY_LIMIT = 2 * 1024 * 1024


@contextlib.contextmanager
def output_lock(out: Path, *, wait: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on an output folder; wait up to `wait` seconds for another run."""
    if out.exists() and not out.is_dir():
        kind = kind_of(out.stat().st_mode)
        raise OutputError(f"cannot use {out} as the output folder: it is {kind}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise OutputError(f"cannot lock the output folder {out}: {describe(exc)}") from None
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                    raise LockError(
                        f"another briefgen run (pid {holder}) is writing {out}; "
                        "try again later or pass --wait SECONDS"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def read_summary_id(path: Path) -> str | None:
    """Return the `id` a summary file declares, reading no further than it; None if it cannot tell.

    Cheap (no validation, no pydantic): loading the summary reports whatever else is wrong.
    """
    import yaml

    try:
        text = read_file(path, limit=_SUMMARY_LIMIT).decode("utf-8")
    except (OSError, ValueError, PathError):  # UnicodeDecodeError is a ValueError
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth, at_key, is_id = 0, True, False
    try:
        # Events, not yaml.load: stop at the id, and never build (or recurse into) the rest.
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent | yaml.CollectionStartEvent):
                if depth == 1:  # a key or a value of the top-level mapping
                    if is_id:
                        return event.value if isinstance(event, yaml.ScalarEvent) else None
                    is_id = at_key and isinstance(event, yaml.ScalarEvent) and event.value == "id"
                    at_key = not at_key
                if isinstance(event, yaml.CollectionStartEvent):
                    if depth == 0 and not isinstance(event, yaml.MappingStartEvent):
                        return None
                    depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                if depth == 0:
                    return None
    except yaml.YAMLError:
        return None
    return None


def duplicate_ids(summaries: list[Path], manifest: Manifest) -> list[str]:
    """Say which summaries declare an id another summary already uses (their papers would collide).

    Checks the summaries named against each other, then against the other summaries of their
    project that the manifest has papers for.
    """
    problems: list[str] = []
    first: dict[str, Path] = {}
    ids: dict[Path, str] = {}
    for path in summaries:
        summary_id = read_summary_id(path)
        if summary_id is None:
            continue
        ids[path] = summary_id
        owner = first.setdefault(summary_id, path)
        if owner.resolve() != path.resolve():
            problems.append(f"{path}: summary id '{summary_id}' is already used by {owner}")
    named = {summary_key(p) for p in summaries}
    for path, summary_id in ids.items():
        if first[summary_id] != path:
            continue
        root = path.resolve().parent.parent
        for key, record in sorted(manifest.summaries.items()):
            if key in named or record.id != summary_id or Path(key).is_absolute():
                continue
            if read_summary_id(root / key) == summary_id:  # still there, still using the id
                problems.append(f"{path}: summary id '{summary_id}' is already used by {key}")
    return problems
