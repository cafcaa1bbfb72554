"""Resolve the paths a summary, a manifest or a template names, and read files without surprises.

Every file briefgen reads or writes because some content named it goes through `inside`: the
path is resolved (symbolic links followed, `..` applied) and refused if it leaves its folder,
whether the project (seeds, snapshots) or the templates folder. Every such file is read with
`read_file`, which looks before it opens: a FIFO, a device or a folder is refused without
being opened (a FIFO would block forever), and so is a file over the caller's size limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from briefgen.errors import PathError

_CHUNK = 1024 * 1024


def inside(root: Path, relative: str | Path, *, shown: str | None = None) -> Path:
    """Return `root / relative` with every link resolved; raise PathError if it leads out of `root`.

    `shown` is how the path is named in the error (default: `relative` as given). The path need
    not exist: what does exist of it is resolved, so a link anywhere on the way is followed.
    """
    name = shown if shown is not None else str(relative)
    base = root.resolve()
    try:
        target = (base / relative).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a link loop; a NUL byte in the name
        raise PathError(name, f"cannot be resolved: {exc}") from None
    if not target.is_relative_to(base):
        raise PathError(name, f"leads outside {base} (to {target}); briefgen reads and writes only inside it")
    return target


def project_summaries(root: Path) -> list[Path]:
    """Return the summaries in `root`/briefs (*.yaml); raise PathError for one that links out of `root`.

    A summary's sources are read relative to the project it lives in: one linked in from elsewhere
    would make briefgen read (and print) another folder's files.
    """
    found = sorted((root / "briefs").glob("*.yaml"))
    for path in found:
        inside(root, path.relative_to(root), shown=str(path))
    return found


def kind_of(mode: int) -> str:
    """Name the kind of file a stat mode describes: 'a folder', 'a FIFO (named pipe)'…"""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file" if stat.S_ISREG(mode) else "not a file"


def open_regular(path: Path, *, shown: str | None = None, limit: int | None = None) -> tuple[int, int]:
    """Open a regular file for reading; return (descriptor, size). The caller closes it.

    Raises PathError for anything but a regular file, or one over `limit` bytes, and OSError if it
    cannot be opened. The kind is checked before opening (opening a FIFO blocks until a writer
    comes, and opening a device can act on it) and again on the open descriptor, which is opened
    non-blocking in case the path was swapped for a FIFO in between.
    """
    name = shown if shown is not None else str(path)
    before = path.stat()
    _check(before.st_mode, before.st_size, name, limit)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        _check(info.st_mode, info.st_size, name, limit)
        os.set_blocking(fd, True)  # a regular file never blocks; plain reads from here on
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def _check(mode: int, size: int, name: str, limit: int | None) -> None:
    if not stat.S_ISREG(mode):
        raise PathError(name, f"is {kind_of(mode)}, not a regular file")
    if limit is not None and size > limit:
        raise PathError(name, f"is {size:,} bytes; the limit is {limit:,}")


def read_file(path: Path, *, limit: int, shown: str | None = None) -> bytes:
    """Return the bytes of a regular file of at most `limit` bytes; see `open_regular` for what is refused.

    A file that grows past the limit while it is read is refused too: no more than `limit + 1`
    bytes are ever held.
    """
    name = shown if shown is not None else str(path)
    fd, _ = open_regular(path, shown=name, limit=limit)
    chunks: list[bytes] = []
    total = 0
    try:
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:
        raise PathError(name, f"is over {limit:,} bytes (it grew while it was read); the limit is {limit:,}")
    return b"".join(chunks)
