"""Render papers on RQ workers through Redis: jobs carry their inputs, workers return bytes.

A job names its input files (the summary, each source it quotes, every template) by path and
sha256 fingerprint; their content travels through Redis once, content-addressed
(`briefgen:blob:<sha256>`, kept a day), so a worker on another machine needs no shared disk. The
worker rebuilds a private copy of the project from those blobs (checking every fingerprint),
renders the paper warm (`SimpleWorker`: WeasyPrint imported once, no fork per job) and returns
the Paper: files as bytes, and the report. Only the coordinator (`regen --redis`,
`serve --redis`) writes `out/` and the manifest, under the output lock.

A worker that dies mid-job stops its heartbeat (`briefgen:alive:<job id>`, refreshed every half
second with a two-second expiry); the coordinator then enqueues the same paper again. Nothing a
dead worker half-did can be published, since workers publish nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from briefgen.errors import BriefgenError, BuildError
from briefgen.model import Edition
from briefgen.pool import DeadlineError, PoolFullError, RenderJob, pack_error, unpack_error
from briefgen.selection import Trims

if TYPE_CHECKING:
    from redis import Redis
    from rq.job import Job

    from briefgen.build import Paper

QUEUE = "briefgen"
BLOB = "briefgen:blob:"
ALIVE = "briefgen:alive:"
BLOB_TTL = 24 * 3600
HEARTBEAT = 0.5  # seconds between a worker's heartbeats
DEAD_AFTER = 3.0  # seconds without a heartbeat before a started job is taken as lost
RETRIES = 3  # times a paper is enqueued again after its worker died
CACHE_ENV = "BRIEFGEN_WORKER_CACHE"
_LOG = logging.getLogger("briefgen.remote")


def _redis(url: str) -> Redis:
    from redis import Redis

    return Redis.from_url(url)


def _safe_relative(rel: str) -> str:
    """Return a relative POSIX path that stays inside its folder; raise BuildError otherwise."""
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in rel:
        raise BuildError(f"a job names a file outside its project: {rel!r}")
    return str(path)


# -- the coordinator ----------------------------------------------------------------------------


def job_files(job: RenderJob) -> tuple[str, dict[str, Path], dict[str, Path]]:
    """Return the summary's path relative to its project, its input files and the template files."""
    from briefgen.build import project_root
    from briefgen.pool import cached_inputs
    from briefgen.render import templates_dir

    summary_path = job.summary.resolve()
    root = project_root(summary_path)
    summary_rel = summary_path.relative_to(root).as_posix()
    inputs = cached_inputs(summary_path, strict=job.strict)
    files = {summary_rel: summary_path}
    for source in inputs.summary.sources:
        files[_safe_relative(source.file)] = root / source.file
    templates = (job.templates or templates_dir()).resolve()
    template_files = {
        p.relative_to(templates).as_posix(): p
        for p in sorted(templates.rglob("*"))
        if p.is_file() and p.relative_to(templates).parts[0] != "web"  # the web app's own files
    }
    return summary_rel, files, template_files


class RedisRenderer:
    """Send render jobs to RQ workers and collect the papers they return."""

    def __init__(
        self,
        url: str,
        *,
        queue: str = QUEUE,
        deadline: float = 300.0,
        max_pending: int = 0,
        poll: float = 0.1,
    ) -> None:
        from rq import Queue

        self.url = url
        self.redis = _redis(url)
        self.queue = Queue(queue, connection=self.redis)
        self.deadline = deadline
        self.max_pending = max_pending  # 0: no bound (the command line)
        self.poll = poll
        self.requeued = 0  # jobs enqueued again after their worker died, for tests and logs
        self._pending = 0
        self._lock = threading.Lock()
        self._waiters: ThreadPoolExecutor | None = None

    @property
    def busy(self) -> int:
        """Return how many papers this coordinator waits for."""
        return self._pending

    @property
    def waiting(self) -> int:
        """Return how many jobs wait in the queue for a worker."""
        return int(self.queue.count)

    def start(self) -> None:
        """Check that Redis answers, so a wrong URL fails at once."""
        self.redis.ping()

    def payload(self, job: RenderJob) -> dict[str, Any]:
        """Upload a job's input files (once each, by content) and return what the job carries."""
        summary_rel, files, template_files = job_files(job)
        fingerprints: dict[str, dict[str, str]] = {"files": {}, "templates": {}}
        blobs: dict[str, bytes] = {}
        for group, mapping in (("files", files), ("templates", template_files)):
            for rel, path in mapping.items():
                data = path.read_bytes()
                sha = hashlib.sha256(data).hexdigest()
                fingerprints[group][rel] = sha
                blobs[sha] = data
        shas = sorted(blobs)
        pipe = self.redis.pipeline()
        for sha in shas:
            pipe.expire(BLOB + sha, BLOB_TTL)  # keep what is there; tells us what is missing
        present = pipe.execute()
        pipe = self.redis.pipeline()
        for sha, there in zip(shas, present, strict=True):
            if not there:
                pipe.set(BLOB + sha, blobs[sha], ex=BLOB_TTL)
        pipe.execute()
        return {
            "summary": summary_rel,
            "files": fingerprints["files"],
            "templates": fingerprints["templates"],
            "edition": job.edition.model_dump(mode="json"),
            "theme": job.theme,
            "trims": None
            if job.trims is None
            else {
                "shorten": sorted(job.trims.shorten),
                "drop": sorted(job.trims.drop),
                "only": None if job.trims.only is None else sorted(job.trims.only),
            },
            "allow_warnings": job.allow_warnings,
            "strict": job.strict,
        }

    def _enqueue(self, payload: dict[str, Any]) -> Job:
        return self.queue.enqueue_call(
            "briefgen.remote.render_payload",
            args=(payload,),
            timeout=int(self.deadline) + 10,
            result_ttl=600,
            failure_ttl=3600,
            description=f"briefgen {payload['summary']} {payload['edition']['name']}",
        )

    def map(self, jobs: Sequence[RenderJob]) -> Iterator[Paper | BriefgenError]:
        """Enqueue every job, then yield each paper (or error) in the order of the jobs."""
        tracked = []
        for job in jobs:
            payload = self.payload(job)
            tracked.append(_Tracked(job, payload, self._enqueue(payload)))
        done: dict[int, Paper | BriefgenError] = {}
        nxt = 0
        while nxt < len(tracked):
            open_ = [i for i in range(len(tracked)) if i not in done]
            # One round trip for every job's status, heartbeat and place in the queue.
            pipe = self.redis.pipeline()
            for index in open_:
                rq_job = tracked[index].rq_job
                assert rq_job is not None
                self._ask(pipe, rq_job)
            answers = pipe.execute()
            for k, index in enumerate(open_):
                status, alive, place = answers[3 * k : 3 * k + 3]
                outcome = self._step(tracked[index], status, bool(alive), place is not None)
                if outcome is not None:
                    done[index] = outcome
            while nxt in done:
                yield done.pop(nxt)
                nxt += 1
            if nxt < len(tracked):
                time.sleep(self.poll)

    def submit(self, job: RenderJob) -> Future[Paper]:
        """Enqueue one job and return a future for its paper; PoolFullError when too many wait."""
        with self._lock:
            if self.max_pending and self._pending >= self.max_pending:
                raise PoolFullError(f"{self._pending} papers are already waiting for the render workers")
            self._pending += 1
            if self._waiters is None:
                self._waiters = ThreadPoolExecutor(max_workers=max(4, self.max_pending or 4))
            waiters = self._waiters
        try:
            item = _Tracked(job, self.payload(job), None)
            item.rq_job = self._enqueue(item.payload)
        except BaseException:
            with self._lock:
                self._pending -= 1
            raise
        return waiters.submit(self._wait, item)

    def _wait(self, item: _Tracked) -> Paper:
        try:
            while True:
                assert item.rq_job is not None
                pipe = self.redis.pipeline()
                self._ask(pipe, item.rq_job)
                status, alive, place = pipe.execute()
                outcome = self._step(item, status, bool(alive), place is not None)
                if isinstance(outcome, BriefgenError):
                    raise outcome
                if outcome is not None:
                    return outcome
                time.sleep(self.poll)
        finally:
            with self._lock:
                self._pending -= 1

    def _ask(self, pipe: Any, rq_job: Job) -> None:
        """Queue the three questions `_step` needs answered: status, heartbeat, place in the queue."""
        pipe.hget(rq_job.key, "status")
        pipe.exists(ALIVE + rq_job.id)
        pipe.lpos(self.queue.key, rq_job.id)

    def _step(
        self, item: _Tracked, raw_status: bytes | None, alive: bool, in_queue: bool
    ) -> Paper | BriefgenError | None:
        """Look at one job once: its paper, its error, or None while it is still going."""
        from rq.job import JobStatus

        assert item.rq_job is not None
        now = time.monotonic()
        if raw_status is None:  # the job's record is gone: enqueue it again
            return self._requeue(item, "its job vanished from Redis")
        status = JobStatus(raw_status.decode())
        if status is JobStatus.FINISHED:
            answer = item.rq_job.return_value(refresh=True)
            if not isinstance(answer, tuple):
                return BuildError(f"{item.job.edition.name}: the render worker returned nothing")
            kind, value = answer
            if kind == "ok":
                paper: Paper = value
                return paper
            return unpack_error(value)
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            result = item.rq_job.latest_result()
            detail = ((result.exc_string if result is not None else None) or "").strip().splitlines()
            return BuildError(
                f"{item.job.edition.name}: the render worker failed: {detail[-1] if detail else status.value}"
            )
        if status is JobStatus.QUEUED and not in_queue:
            # Taken from the queue by a worker that died before it started the job: RQ parks such
            # a job in its intermediate queue until a maintenance pass, minutes later.
            item.taken = item.taken or now
            if now - item.taken > DEAD_AFTER:
                return self._requeue(item, "its worker stopped before starting it")
        elif status is JobStatus.QUEUED:
            item.taken = None
        if status is JobStatus.STARTED:
            if item.started is None:
                item.started = item.alive = now
            if alive:
                item.alive = now
            elif now - (item.alive or now) > DEAD_AFTER:
                return self._requeue(item, "its worker stopped answering")
            if now - item.started > self.deadline:
                return DeadlineError(
                    f"{item.job.edition.name}: the render took longer than {self.deadline:g} s"
                )
        return None

    def _requeue(self, item: _Tracked, why: str) -> BriefgenError | None:
        """Enqueue a lost job's paper again (a few times at most)."""
        assert item.rq_job is not None
        if item.tries >= RETRIES:
            return BuildError(f"{item.job.edition.name}: {why}, {item.tries} times")
        item.rq_job.delete(remove_from_queue=True)
        item.tries += 1
        item.started = item.alive = item.taken = None
        item.rq_job = self._enqueue(item.payload)
        self.requeued += 1
        _LOG.warning("%s: %s; enqueued it again", item.job.edition.name, why)
        return None

    def close(self) -> None:
        """Stop waiting threads; jobs already queued stay for the workers."""
        if self._waiters is not None:
            self._waiters.shutdown(wait=False, cancel_futures=True)
        self.redis.close()


class _Tracked:
    """A job on its way through RQ."""

    def __init__(self, job: RenderJob, payload: dict[str, Any], rq_job: Job | None) -> None:
        self.job = job
        self.payload = payload
        self.rq_job = rq_job
        self.started: float | None = None
        self.alive: float | None = None
        self.taken: float | None = None  # when the job was first seen out of the queue, not started
        self.tries = 0


# -- the worker ---------------------------------------------------------------------------------


def _cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV)
    path = Path(base) if base else Path(tempfile.gettempdir()) / f"briefgen-worker-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _materialise(redis: Redis, kind: str, files: dict[str, str]) -> Path:
    """Return a folder holding these files (path → sha256), fetched from Redis once and verified."""
    digest = hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()[:24]
    folder = _cache_dir() / kind / digest
    if (folder / ".complete").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{digest}.", dir=folder.parent))
    try:
        names = sorted(files)
        values = redis.mget([BLOB + files[n] for n in names]) if names else []
        for rel, data in zip(names, values, strict=True):
            if not isinstance(data, bytes):
                raise BuildError(f"the content of {rel} is no longer in Redis; enqueue the job again")
            if hashlib.sha256(data).hexdigest() != files[rel]:
                raise BuildError(f"the content of {rel} does not match its fingerprint")
            target = staging / _safe_relative(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / ".complete").write_text("ok\n")
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / ".complete").exists():  # not another job's finished copy: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def render_payload(payload: dict[str, Any]) -> tuple[str, Any]:
    """Render one job on a worker: ("ok", Paper) or ("error", packed error). Runs inside RQ."""
    from rq import get_current_job

    from briefgen.pool import render_job
    from briefgen.render import TEMPLATES_ENV

    current = get_current_job()
    redis = current.connection if current is not None else None
    stop = threading.Event()
    beat: threading.Thread | None = None
    if redis is not None and current is not None:
        key = ALIVE + current.id
        redis.set(key, b"1", px=int(DEAD_AFTER * 1000 * 2 / 3))

        def heartbeat() -> None:
            while not stop.wait(HEARTBEAT):
                redis.set(key, b"1", px=int(DEAD_AFTER * 1000 * 2 / 3))

        beat = threading.Thread(target=heartbeat, name="briefgen-heartbeat", daemon=True)
        beat.start()
    try:
        assert redis is not None, "render_payload runs inside an RQ worker"
        project = _materialise(redis, "projects", payload["files"])
        templates = _materialise(redis, "templates", payload["templates"])
        os.environ[TEMPLATES_ENV] = str(templates)  # the renderers read their templates from here
        trims = payload["trims"]
        job = RenderJob(
            summary=project / _safe_relative(payload["summary"]),
            edition=Edition.model_validate(payload["edition"]),
            theme=payload["theme"],
            trims=None
            if trims is None
            else Trims(
                shorten=frozenset(trims["shorten"]),
                drop=frozenset(trims["drop"]),
                only=None if trims["only"] is None else frozenset(trims["only"]),
            ),
            allow_warnings=bool(payload["allow_warnings"]),
            strict=bool(payload["strict"]),
            templates=templates,
        )
        return ("ok", render_job(job))
    except BriefgenError as exc:
        return ("error", pack_error(exc))
    finally:
        stop.set()
        if beat is not None:
            beat.join()
        if redis is not None and current is not None:
            redis.delete(ALIVE + current.id)


def run_worker(url: str, *, queue: str = QUEUE, burst: bool = False) -> None:
    """Run one warm RQ worker on a queue until stopped (or, with `burst`, until the queue is empty)."""
    from rq import Queue, SimpleWorker

    # Warm before the first job: WeasyPrint, Pango and the fonts are loaded once per worker.
    importlib.import_module("briefgen.render.pdf")
    importlib.import_module("briefgen.render.docx")
    redis = _redis(url)
    worker = SimpleWorker([Queue(queue, connection=redis)], connection=redis)
    worker.work(burst=burst, logging_level="WARNING")
