"""Write a file atomically: a temporary file beside it, flushed to disk, then renamed over it.

Every file briefgen writes (papers, reports, change notes, the manifest, seeds and snapshots,
edited summaries) goes through `write_atomic`, so a reader sees the old content or the new, never
a torn file, and a killed run leaves only a `.<name>.<random>.tmp` file that the next run holding
the output lock sweeps away (manifest.sweep_temporaries).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from briefgen.errors import OutputError

#: What a new file's mode is before the umask: the same as `open(path, "w")` gives.
NEW_FILE_MODE = 0o666


def write_atomic(
    path: Path,
    data: bytes,
    *,
    mode: int | None = None,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Write `data` to `path` so readers see the old content or the new, never a torn file.

    The file gets `mode` if given, else 0666 less the umask, as any new file would.
    `before_replace` runs after the data is on disk and before the rename; whatever it raises
    stops the write (an edit that finds its file changed meanwhile). A file that cannot be written
    (read-only or full disk, a file where the folder should be) raises OutputError, and no
    temporary file is left behind.
    """
    temp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = _create_temporary(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        if before_replace is not None:
            before_replace()
        temp.replace(path)
        temp = None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {describe(exc)}") from None
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def _create_temporary(path: Path) -> tuple[int, Path]:
    """Create a new, empty temporary file beside `path`; return its descriptor and path.

    Made with os.open and mode 0666 (not tempfile.mkstemp, which makes 0600) so the kernel applies
    the umask; O_EXCL and O_NOFOLLOW so a planted file or link is never written through.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    while True:
        temp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(temp, flags, NEW_FILE_MODE), temp
        except FileExistsError:
            continue  # another writer's temporary file (eight random hex digits: rare)


def describe(exc: OSError) -> str:
    """Return an OSError as a short lower-case clause: 'read-only file system'."""
    reason = exc.strerror or type(exc).__name__
    return reason[:1].lower() + reason[1:]
