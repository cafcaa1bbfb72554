"""Run briefgen's command line in a fork of this warm process, as a fresh `python -m briefgen` would.

A new interpreter pays about a second to import WeasyPrint and lay out its first page; a fork of a
process that has done both pays a tenth of that. The suite runs the command line some two hundred
times, so each run is a fork: a process of its own, with its own working folder, environment,
umask and standard streams, that exits with the command's exit code and can be killed mid-run,
as cron's would be. What a fork cannot show, what a fresh interpreter imports or an installed
wheel, the tests that check it still start a real interpreter.

The fork keeps nothing of this process but the imported code: it closes every inherited file
descriptor, drops the caches briefgen keeps in memory, the log handlers pytest added and the
signal handlers it set, so no earlier test's state reaches the command.
"""

from __future__ import annotations

import contextlib
import faulthandler
import functools
import gc
import io
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, NoReturn

#: What a run says in its exception's and report's command: the command line it stands for.
COMMAND = (sys.executable, "-m", "briefgen")


@functools.cache
def warm_up() -> None:
    """Import what a build imports and lay out a page, once, so each fork starts with both done.

    The layout also loads the template's fonts into WeasyPrint's one font configuration here, in
    a folder of this process's: a fork that loaded them itself would leave its own folder behind.
    """
    from sample import sample_brief

    # Loaded here for the forks to inherit; nothing in this function uses them.
    import briefgen.cli
    import briefgen.render.docx
    import briefgen.run  # noqa: F401
    from briefgen.render.html import render_html
    from briefgen.render.pdf import render_document

    render_document(render_html(sample_brief()))


class Forked:
    """A briefgen command running in a forked child: the part of `subprocess.Popen` the tests use."""

    def __init__(self, args: Sequence[str], pid: int, stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.args = [*COMMAND, *args]
        self.pid = pid
        self.returncode: int | None = None
        self._stdout = stdout
        self._stderr = stderr
        self._printed: tuple[str, str] | None = None

    def poll(self) -> int | None:
        """Return the exit code if the child has ended, else None."""
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to end; raise subprocess.TimeoutExpired after `timeout` seconds."""
        if self.poll() is not None:
            return self.returncode  # type: ignore[return-value]  # poll() just set it
        if timeout is not None:
            with _pidfd(self.pid) as pidfd:
                ready, _, _ = select.select([pidfd], [], [], timeout)
            if not ready and self.poll() is None:
                out, err = self._read()
                raise subprocess.TimeoutExpired(self.args, timeout, output=out, stderr=err)
        _, status = os.waitpid(self.pid, 0)
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        """Send a signal to the child, unless it has ended and been reaped."""
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        """Kill the child at once."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """Ask the child to stop."""
        self.send_signal(signal.SIGTERM)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Wait for the child and return what it printed, as `Popen.communicate` with text=True."""
        self.wait(timeout)
        return self._read()

    def printed(self) -> tuple[str, str]:
        """Return what the child has printed so far (all of it once it has ended)."""
        self.poll()
        return self._read()

    def _read(self) -> tuple[str, str]:
        """Return what the child has printed so far; all of it, and close the files, once it has ended."""
        if self._printed is None:
            printed = _text(self._stdout), _text(self._stderr)
            if self.returncode is None:
                return printed
            self._printed = printed
            self._close()
        return self._printed

    def _close(self) -> None:
        self._stdout.close()
        self._stderr.close()

    def __del__(self) -> None:
        self._close()

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.poll() is None:
            self.kill()
            self.wait()
        self._read()  # kept, so that what it printed can still be asked for; the files are closed


@contextlib.contextmanager
def _pidfd(pid: int) -> Iterator[int]:
    """Yield a descriptor that becomes readable when the process ends."""
    fd = os.pidfd_open(pid)
    try:
        yield fd
    finally:
        os.close(fd)


def _text(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode("utf-8", errors="replace")


def start(args: Sequence[str], *, cwd: Path, env: Mapping[str, str], umask: int = -1) -> Forked:
    """Start `briefgen ARGS` in a fork, in `cwd` with exactly `env`; its output goes to files."""
    warm_up()
    # Files, not pipes: nothing has to drain them while the child runs, and a grandchild that
    # keeps them open cannot hold up the test.
    stdout = tempfile.TemporaryFile()  # noqa: SIM115 - the Forked object closes them
    stderr = tempfile.TemporaryFile()  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the child's copy of the buffer would be written twice
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        _child(args, cwd, env, umask, stdout.fileno(), stderr.fileno())
    return Forked(args, pid, stdout, stderr)


def run(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 120, umask: int = -1
) -> subprocess.CompletedProcess[str]:
    """Run `briefgen ARGS` in a fork to its end, as `subprocess.run(capture_output=True, text=True)`."""
    with start(args, cwd=cwd, env=env, umask=umask) as child:
        try:
            out, err = child.communicate(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise
        return subprocess.CompletedProcess(child.args, child.wait(), out, err)


def _child(
    args: Sequence[str], cwd: Path, env: Mapping[str, str], umask: int, out: int, err: int
) -> NoReturn:
    """Become `python -m briefgen ARGS` as far as the command can tell, run it, and exit with its code."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(out, 1)
        os.dup2(err, 2)
        _close_inherited_descriptors()
        # Objects this process made stay out of the child's garbage collection: a file object
        # collected here would close a descriptor number the child has since reused.
        gc.freeze()
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
        )
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        if umask >= 0:
            os.umask(umask)
        _as_fresh()
        sys.argv = [str(Path(sys.modules["briefgen"].__file__ or "briefgen").parent / "__main__.py"), *args]
        code = _main(args)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _close_inherited_descriptors() -> None:
    """Close every descriptor but 0, 1 and 2, as subprocess does (a held lock would stay held)."""
    for fd in [int(entry.name) for entry in Path("/proc/self/fd").iterdir()]:
        if fd > 2:
            with contextlib.suppress(OSError):
                os.close(fd)


def _as_fresh() -> None:
    """Undo what this process's tests and pytest did to state a fresh interpreter would not have."""
    faulthandler.disable()  # pytest's writes to a descriptor closed here
    tempfile.tempdir = None  # chosen again from the environment given, as a new interpreter does
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM, signal.SIGCHLD, signal.SIGUSR1):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # pytest's handlers on the root logger and conftest's on WeasyPrint's would take records a
    # fresh process drops; the NullHandlers libraries add on import stay.
    loggers = [x for x in logging.Logger.manager.loggerDict.values() if isinstance(x, logging.Logger)]
    for logger in [logging.getLogger(), *loggers]:
        logger.handlers = [h for h in logger.handlers if type(h) is logging.NullHandler]
    logging.getLogger().setLevel(logging.WARNING)
    for name, module in list(sys.modules.items()):
        if name == "briefgen" or name.startswith("briefgen."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def _main(args: Sequence[str]) -> int:
    """Run the command line; return its exit code as the interpreter would report it."""
    from briefgen.cli import app

    try:
        app(args=list(args), prog_name="briefgen")
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # A fresh interpreter dies of the signal itself, so its parent sees -SIGINT.
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        return 1
    return 0
