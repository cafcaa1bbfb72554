"""Render papers in warm worker processes: a job in, a built Paper (bytes and report) out.

Each worker process imports WeasyPrint once and keeps its one font configuration, so a render
costs what it costs in a warm process (~0.2 s for a one-page paper), not a cold start (~1.1 s).
WeasyPrint is not safe across threads, so parallel renders are processes, never threads. A
worker only renders: the parent alone writes `out/` and the manifest, under the output lock.

`WarmPool` bounds its queue (a full queue raises `PoolFullError` at once, for a web server to
answer 503) and gives every render a deadline (a worker past it is killed and replaced, and the
job fails with `DeadlineError`). A worker that dies fails only the job it held.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from briefgen.errors import BriefgenError, BuildError, EvidenceError, FitError, SummaryError

if TYPE_CHECKING:  # a regen with nothing to do never loads the model (pydantic) through here
    from briefgen.build import Builder, Inputs, Paper
    from briefgen.model import Edition
    from briefgen.selection import Trims

# Rough render cost of each length, to send the longest first.
_COST = {"full": 3, "short": 2, "one-page": 1}  # Length values: a StrEnum looks them up
DEFAULT_DEADLINE = 120.0  # seconds a single render may take before its worker is replaced


class PoolFullError(BriefgenError):
    """Every worker is busy and the queue is full: try again shortly."""


class DeadlineError(BuildError):
    """A render took longer than its deadline; its worker was replaced."""


@dataclass(frozen=True)
class RenderJob:
    """One paper to render: which summary, which edition, and what the parent already knows."""

    summary: Path  # the summary file, absolute
    edition: Edition
    theme: str | None = None
    trims: Trims | None = None  # a one-page fit found earlier for the same inputs
    allow_warnings: bool = False
    strict: bool = True  # build: quotes must be exact; regen: a changed quote is printed anew
    templates: Path | None = None


class Renderer(Protocol):
    """Something that renders jobs elsewhere: warm processes here, or RQ workers anywhere."""

    def submit(self, job: RenderJob) -> Future[Paper]:
        """Queue one job; raise PoolFullError if there is no room."""
        ...

    def map(self, jobs: Sequence[RenderJob]) -> Iterator[Paper | BriefgenError]:
        """Render every job; yield each paper (or its error) in the order of the jobs."""
        ...

    def close(self) -> None:
        """Stop the workers."""
        ...


# -- in the worker ------------------------------------------------------------------------------

_INPUTS: dict[tuple[str, bool], tuple[tuple[str, ...], Inputs]] = {}


def _fingerprints(path: Path, inputs: Inputs | None) -> tuple[str, ...]:
    from briefgen.manifest import file_fingerprint

    prints = [file_fingerprint(path)]
    if inputs is not None:
        prints += [file_fingerprint(inputs.root / s.file) for s in inputs.summary.sources]
    return tuple(prints)


def cached_inputs(path: Path, *, strict: bool) -> Inputs:
    """Return verified inputs for a summary, reloading only when it or one of its sources changed."""
    from briefgen.build import verify_inputs

    key = (str(path), strict)
    found = _INPUTS.get(key)
    if found is not None and found[0] == _fingerprints(path, found[1]):
        return found[1]
    inputs = verify_inputs(path, strict=strict)
    _INPUTS[key] = (_fingerprints(path, inputs), inputs)
    return inputs


def job_builder(job: RenderJob, inputs: Inputs) -> Builder:
    """Return the builder a job needs: the whole summary, or one theme of it."""
    from briefgen.themes import builder_for

    return builder_for(inputs, job.theme, templates=job.templates, allow_warnings=job.allow_warnings)


def render_job(job: RenderJob) -> Paper:
    """Build one paper in memory, in this process."""
    builder = job_builder(job, cached_inputs(job.summary, strict=job.strict))
    return builder.build(job.edition, trims=job.trims)


def pack_error(exc: BaseException) -> tuple[str, Any]:
    """Turn an exception into plain data that survives pickling (custom __init__s do not)."""
    if isinstance(exc, SummaryError):
        return ("summary", exc.problems)
    if isinstance(exc, EvidenceError):
        return ("evidence", (str(exc), exc.claims))
    if isinstance(exc, FitError):
        return ("fit", (str(exc), exc.claims))
    if isinstance(exc, BriefgenError):
        return ("plain", (type(exc).__module__, type(exc).__qualname__, str(exc)))
    detail = "".join(traceback.format_exception_only(exc)).strip()
    return ("bug", f"a render failed unexpectedly: {detail}")


def unpack_error(packed: tuple[str, Any]) -> BriefgenError:
    """Rebuild the exception `pack_error` described."""
    kind, value = packed
    if kind == "summary":
        return SummaryError(list(value))
    if kind == "evidence":
        return EvidenceError(value[0], list(value[1]))
    if kind == "fit":
        return FitError(value[0], tuple(value[1]))
    if kind == "plain":
        module, name, message = value
        try:
            cls = getattr(importlib.import_module(module), name)
            if isinstance(cls, type) and issubclass(cls, BriefgenError):
                error: BriefgenError = cls(message)
                return error
        except (ImportError, AttributeError, TypeError):
            pass
        return BuildError(message)
    return BuildError(str(value))


def _worker_main(reader: Connection, writer: Connection) -> None:  # pragma: no cover - a child process
    """Serve jobs from the parent over two pipes until it sends None or goes away."""
    # Leave when the parent is gone, whatever happened to it. (A live second thread also keeps
    # Builder from forking a child for each Word file: the pool already fills the cores.)
    parent = os.getppid()

    def watch_parent() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch_parent, name="briefgen-parent-watch", daemon=True).start()
    # Pay for WeasyPrint, Pango and the fonts once, before the first job.
    importlib.import_module("briefgen.render.pdf")
    importlib.import_module("briefgen.render.docx")
    writer.send(("ready", os.getpid()))
    while True:
        try:
            job = reader.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            result: tuple[str, Any] = ("ok", render_job(job))
        except BaseException as exc:  # every failure goes back to the parent as data
            result = ("error", pack_error(exc))
        try:
            writer.send(result)
        except (OSError, ValueError):
            return


def worker_stdio() -> None:  # pragma: no cover - a child process
    """Run a worker on stdin (jobs in) and stdout (papers out); `python -c` starts it.

    A fresh interpreter, not multiprocessing's spawn: that would re-run the parent's main module.
    """
    reader = Connection(os.dup(0), writable=False)
    writer = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything printed goes to stderr, never into the channel
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _worker_main(reader, writer)


class _Worker:
    """One warm worker process and the pipes to it."""

    def __init__(self, templates: str | None, start_timeout: float) -> None:
        env = dict(os.environ)
        if templates:
            env["BRIEFGEN_TEMPLATES"] = templates
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from briefgen.pool import worker_stdio; worker_stdio()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.writer = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.reader = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        if not self.reader.poll(start_timeout):
            self.kill()
            raise BuildError(f"a render worker did not start within {start_timeout:.0f} s")
        try:
            self.reader.recv()
        except (EOFError, OSError):
            self.kill()
            raise BuildError("a render worker failed to start") from None

    @property
    def pid(self) -> int:
        """Return the worker's process id."""
        return self.process.pid

    def alive(self) -> bool:
        """Tell whether the process is still running."""
        return self.process.poll() is None

    def kill(self) -> None:
        """End the process now and reap it."""
        self.process.kill()
        self.process.wait(5)
        self._close()

    def stop(self) -> None:
        """Ask the process to finish, then make sure it has."""
        with contextlib.suppress(OSError, ValueError):
            self.writer.send(None)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        self._close()

    def _close(self) -> None:
        for conn in (self.reader, self.writer):
            with contextlib.suppress(OSError):
                conn.close()


class WarmPool:
    """A fixed number of warm worker processes fed from one bounded queue."""

    def __init__(
        self,
        workers: int,
        *,
        queue_size: int = 0,
        deadline: float = DEFAULT_DEADLINE,
        templates: Path | None = None,
        start_timeout: float = 120.0,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.size = workers
        self.deadline = deadline
        self.start_timeout = start_timeout
        self.templates = str(templates or os.environ.get("BRIEFGEN_TEMPLATES", "")) or None
        # 0: unbounded (the command line blocks instead); otherwise jobs waiting beyond the workers.
        self._queue: queue.Queue[tuple[RenderJob, Future[Paper]] | None] = queue.Queue(maxsize=queue_size)
        self._threads: list[threading.Thread] = []
        self._workers: dict[int, _Worker | None] = {}
        self._lock = threading.Lock()
        self._busy = 0
        self._closed = False

    # Queue depth, for a web page and its tests.
    @property
    def busy(self) -> int:
        """Return how many workers are rendering now."""
        return self._busy

    @property
    def waiting(self) -> int:
        """Return how many jobs wait for a worker."""
        return self._queue.qsize()

    def pids(self) -> list[int]:
        """Return the process ids of the live workers."""
        return [w.pid for w in self._workers.values() if w is not None]

    def start(self) -> None:
        """Start the workers (once); the first jobs then meet warm processes."""
        with self._lock:
            if self._threads or self._closed:
                return
            ready = threading.Barrier(self.size + 1)
            for slot in range(self.size):
                thread = threading.Thread(
                    target=self._run_slot, args=(slot, ready), name=f"briefgen-render-{slot}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        ready.wait()

    def submit(self, job: RenderJob, *, block: bool = False) -> Future[Paper]:
        """Queue a job; without `block`, raise PoolFullError when every place is taken."""
        if self._closed:
            raise BuildError("the render pool is closed")
        self.start()
        future: Future[Paper] = Future()
        try:
            self._queue.put((job, future), block=block)
        except queue.Full:
            raise PoolFullError(
                f"all {self.size} render workers are busy and {self._queue.maxsize} papers are waiting"
            ) from None
        return future

    def map(self, jobs: Sequence[RenderJob]) -> Iterator[Paper | BriefgenError]:
        """Render every job in parallel; yield papers (or errors) in the order of the jobs.

        The longest papers are sent first, so no worker is left with a full paper at the end
        while the others wait.
        """
        futures: dict[int, Future[Paper]] = {}
        for index in sorted(range(len(jobs)), key=lambda i: -_COST[jobs[i].edition.length]):
            futures[index] = self.submit(jobs[index], block=True)
        for future in (futures[i] for i in range(len(jobs))):
            try:
                yield future.result()
            except BriefgenError as exc:
                yield exc

    def close(self) -> None:
        """Let queued jobs finish, then stop every worker."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join()

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self, slot: int) -> _Worker | None:
        try:
            worker: _Worker | None = _Worker(self.templates, self.start_timeout)
        except BuildError:
            worker = None
        self._workers[slot] = worker
        return worker

    def _run_slot(self, slot: int, ready: threading.Barrier) -> None:
        worker = self._spawn(slot)
        ready.wait()
        while True:
            item = self._queue.get()
            if item is None:
                break
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            if worker is None or not worker.alive():
                worker = self._spawn(slot)
            if worker is None:
                future.set_exception(BuildError("no render worker could be started"))
                continue
            with self._lock:
                self._busy += 1
            try:
                outcome = self._render(worker, job)
            finally:
                with self._lock:
                    self._busy -= 1
            if isinstance(outcome, BaseException):
                worker.kill()
                future.set_exception(outcome)
                worker = None if self._closed else self._spawn(slot)  # warm again for the next job
            elif outcome[0] == "ok":
                future.set_result(outcome[1])
            else:
                future.set_exception(unpack_error(outcome[1]))
        if worker is not None:
            worker.stop()
        self._workers[slot] = None

    def _render(self, worker: _Worker, job: RenderJob) -> tuple[str, Any] | BaseException:
        """Send a job to a worker and wait for its answer, up to the deadline."""
        try:
            worker.writer.send(job)
            if not worker.reader.poll(self.deadline):
                return DeadlineError(
                    f"{job.edition.name}: the render took longer than {self.deadline:g} s and was stopped"
                )
            answer: tuple[str, Any] = worker.reader.recv()
            return answer
        except (EOFError, OSError) as exc:
            return BuildError(f"{job.edition.name}: the render worker died ({exc or 'no answer'})")


def render_all(
    builder: Builder, jobs: Sequence[RenderJob], *, pool: Renderer | None = None
) -> Iterator[Paper | BriefgenError]:
    """Render jobs in order: in this process one at a time, or in parallel in a pool.

    In this process each paper is built only when the caller asks for it, so a caller that
    writes as it goes holds one paper at a time, as before there were pools.
    """
    if pool is None or len(jobs) <= 1:
        for job in jobs:
            try:
                yield builder.build(job.edition, trims=job.trims)
            except BriefgenError as exc:
                yield exc
        return
    yield from pool.map(jobs)


def default_jobs() -> int:
    """Return the default number of parallel renders: the number of cores."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
