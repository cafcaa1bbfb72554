"""Find, render and publish papers for the web app: summaries index, manifest look-ups, commits.

The web server never renders: a paper that the manifest says is current is read from `out/`
(its ETag is the manifest's fingerprint of the file); any other is rendered by the pool (warm
local processes or RQ workers), then written here exactly as the command line writes it: under
the output lock, atomically, with its manifest record. A `regen` from cron and a request from
the page therefore never write the same paper at once.
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen import __version__
from briefgen.build import Paper, write_paper
from briefgen.errors import BriefgenError, LockError, PathError, Problem, SummaryError
from briefgen.manifest import (
    Manifest,
    PaperRecord,
    bytes_fingerprint,
    file_fingerprint,
    stale_reasons,
    summary_key,
)
from briefgen.model import Audience, Edition, Format, Length, Marking, Summary
from briefgen.paths import inside
from briefgen.pool import Renderer, RenderJob, cached_inputs, job_builder

FORMATS = (Format.PDF, Format.DOCX, Format.HTML)  # a page render makes all three: the next asks are sends
SUFFIXES = {"pdf": "pdf", "docx": "docx", "html": "html", "odt": "odt", "report.json": "report.json"}


class NotFoundError(BriefgenError):
    """No such summary, theme or paper."""


@dataclass
class SummaryEntry:
    """One summary file as the page lists it: loaded and checked, or the problems that stop it."""

    file: Path
    display: str  # as people see it: briefs/x.yaml
    key: tuple[str, ...]
    summary: Summary | None = None
    problems: list[Problem] = field(default_factory=list)
    failure: str | None = None  # a problem that is not a summary's own (an unreadable source…)

    @property
    def id(self) -> str:
        """Return the summary's id, or its file name's stem when it does not load."""
        return self.summary.id if self.summary is not None else self.file.stem

    @property
    def errors(self) -> list[Problem]:
        """Return the problems that fail `briefgen check`."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        """Tell whether the summary checks clean (and so can be built)."""
        return self.summary is not None and not self.errors and self.failure is None

    def newest_source(self) -> dict[str, str] | None:
        """Return the most recently dated source: id, title and date."""
        if self.summary is None:
            return None
        dated = [s for s in self.summary.sources if s.date is not None]
        if not dated:
            return None
        newest = max(dated, key=lambda s: s.date or "")
        return {"id": newest.id, "title": newest.title, "date": str(newest.date)}

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as the JSON API shows it."""
        s = self.summary
        problem_lines = [str(p) for p in self.problems] + ([self.failure] if self.failure else [])
        return {
            "id": self.id,
            "file": self.display,
            "title": s.subject.title if s else None,
            "short_title": s.subject.short_title if s else None,
            "as_of": str(s.subject.as_of) if s else None,
            "as_of_text": f"{s.subject.as_of.day} {s.subject.as_of:%B %Y}" if s else None,
            "newest_source": self.newest_source(),
            "themes": [{"id": t.id, "heading": t.heading} for t in s.themes] if s else [],
            "check": {
                "ok": self.ok,
                "errors": len(self.errors) + (1 if self.failure else 0),
                "warnings": len(self.problems) - len(self.errors),
                "problems": problem_lines,
            },
        }


@dataclass(frozen=True)
class PaperRequest:
    """One paper, as a request names it: summary, length, audience, optional theme."""

    summary_id: str
    length: Length
    audience: Audience
    theme: str | None = None
    # An .odt costs a LibreOffice run (about 2 s), so it is made only when asked for.
    odt: bool = False

    @property
    def stem(self) -> str:
        """Return the paper's file stem: `<length>-<audience>[-<theme>]`."""
        base = f"{self.length.value}-{self.audience.value}"
        return f"{base}-{self.theme}" if self.theme else base


@dataclass
class Served:
    """A paper file ready to send: bytes, ETag, marking and the report."""

    name: str
    data: bytes
    etag: str
    marking: str | None
    report: dict[str, Any]
    rendered: bool  # rendered for this request (False: from out/, or another request's render)


def etag_of(fingerprint: str) -> str:
    """Return the ETag for an output's sha256 fingerprint from the manifest."""
    return f'"{fingerprint[:40]}"'


def parse_paper_name(name: str) -> tuple[Length, Audience, str]:
    """Split `one-page-minister.pdf` into length, audience and suffix; raise NotFoundError otherwise."""
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith("." + suffix):
            stem = name[: -len(suffix) - 1]
            break
    else:
        raise NotFoundError(f"no such paper: {name!r}")
    for length in Length:
        if stem.startswith(length.value + "-"):
            try:
                return length, Audience(stem[len(length.value) + 1 :]), suffix
            except ValueError:
                break
    raise NotFoundError(f"no such paper: {name!r}")


class PaperService:
    """The summaries under briefs/, their papers under out/, and the renderer that makes them."""

    def __init__(
        self,
        *,
        root: Path,
        out: Path,
        templates: Path,
        renderer: Renderer,
        lock_wait: float = 60.0,
    ) -> None:
        self.root = root.resolve()
        self.out = out
        self.templates = templates
        self.renderer = renderer
        self.lock_wait = lock_wait
        self._entries: dict[Path, SummaryEntry] = {}
        self._index_lock = threading.Lock()
        self._manifest: tuple[tuple[int, int], Manifest] | None = None
        self._inflight: dict[PaperRequest, asyncio.Future[Paper]] = {}
        self._commits: set[asyncio.Task[None]] = set()

    # -- summaries ----------------------------------------------------------------------------

    def _key(self, file: Path, known: SummaryEntry | None) -> tuple[str, ...]:
        prints = [file_fingerprint(file)]
        if known is not None and known.summary is not None:
            prints += [file_fingerprint(self.root / s.file) for s in known.summary.sources]
        layouts = self.templates / "layouts"
        prints += [file_fingerprint(p) for p in sorted(layouts.glob("*.yaml"))]
        return tuple(prints)

    def summaries(self) -> list[SummaryEntry]:
        """Return every summary in briefs/, checked; rechecks only the ones whose files changed."""
        from briefgen.check import check_summary

        with self._index_lock:
            files = sorted((self.root / "briefs").glob("*.yaml"))
            entries: dict[Path, SummaryEntry] = {}
            for file in files:
                display = str(file.relative_to(self.root))
                try:
                    inside(self.root, display)
                except PathError as exc:  # linked in from outside the project: never read
                    entries[file] = SummaryEntry(file=file, display=display, key=(), failure=str(exc))
                    continue
                known = self._entries.get(file)
                key = self._key(file, known)
                if known is not None and known.key == key:
                    entries[file] = known
                    continue
                entry = SummaryEntry(file=file, display=display, key=key)
                try:
                    report = check_summary(file, display=display, root=self.root, templates=self.templates)
                    entry.summary = report.summary
                    entry.problems = report.problems
                except SummaryError as exc:
                    entry.problems = exc.problems
                except BriefgenError as exc:
                    entry.failure = f"{display}: {exc}"
                entry.key = self._key(file, entry)  # now with its sources
                entries[file] = entry
            self._entries = entries
            return list(entries.values())

    def entry(self, summary_id: str) -> SummaryEntry:
        """Return the summary with this id; the id is looked up, never used as a path."""
        for entry in self.summaries():
            if entry.summary is not None and entry.summary.id == summary_id:
                return entry
        raise NotFoundError(f"no summary {summary_id!r}")

    def request(self, summary_id: str, name: str, theme: str | None) -> tuple[PaperRequest, str]:
        """Turn a route's parts into a checked paper request and the file suffix asked for."""
        entry = self.entry(summary_id)
        length, audience, suffix = parse_paper_name(name)
        assert entry.summary is not None
        if theme is not None and theme not in {t.id for t in entry.summary.themes}:
            raise NotFoundError(f"no theme {theme!r} in summary {summary_id!r}")
        return PaperRequest(summary_id, length, audience, theme or None, odt=suffix == "odt"), suffix

    # -- the manifest ---------------------------------------------------------------------------

    def manifest(self) -> Manifest:
        """Return the output folder's manifest, re-read only when the file changed."""
        path = self.out / "manifest.json"
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            return Manifest(out=self.out)
        if self._manifest is None or self._manifest[0] != stamp:
            self._manifest = (stamp, Manifest.load(self.out))
        return self._manifest[1]

    def current(self, entry: SummaryEntry, stem: str, suffix: str) -> PaperRecord | None:
        """Return the manifest's record of a paper if it is current and holds this file, else None."""
        record = self.manifest().summaries.get(summary_key(entry.file))
        paper = record.papers.get(stem) if record is not None else None
        if paper is None or f"{stem}.{suffix}" not in paper.outputs:
            return None
        if f"{stem}.report.json" not in paper.outputs:
            return None
        folder = self.out / entry.id
        reasons = stale_reasons(
            paper, out_dir=folder, root=self.root, templates=self.templates, version=__version__
        )
        return None if reasons else paper

    def from_disk(self, entry: SummaryEntry, stem: str, suffix: str) -> Served | None:
        """Return a current paper's file as the manifest recorded it; None if it must be rendered."""
        record = self.current(entry, stem, suffix)
        if record is None:
            return None
        name = f"{stem}.{suffix}"
        folder = self.out / entry.id
        try:
            data = (folder / name).read_bytes()
            report_bytes = (folder / f"{stem}.report.json").read_bytes()
        except OSError:
            return None
        # The file may have been replaced since the check: send it only if it is the recorded one.
        if bytes_fingerprint(data) != record.outputs[name]:
            return None
        if bytes_fingerprint(report_bytes) != record.outputs[f"{stem}.report.json"]:
            return None
        report = json.loads(report_bytes)
        return Served(name, data, etag_of(record.outputs[name]), report.get("marking"), report, False)

    # -- rendering and publishing ----------------------------------------------------------------

    def _job(self, entry: SummaryEntry, request: PaperRequest) -> RenderJob:
        from briefgen.recording import (
            known_fit,  # the fit a previous build proved, as the command line reuses it
        )

        formats = [*FORMATS, Format.ODT] if request.odt else list(FORMATS)
        edition = Edition(
            name=request.stem, length=request.length, audience=request.audience, formats=formats
        )
        inputs = cached_inputs(entry.file, strict=True)
        builder = job_builder(
            RenderJob(summary=entry.file, edition=edition, theme=request.theme, templates=self.templates),
            inputs,
        )
        record = self.manifest().summaries.get(summary_key(entry.file))
        previous = record.papers.get(request.stem) if record is not None else None
        known = known_fit(previous, edition, builder, builder.inputs)
        return RenderJob(
            summary=entry.file.resolve(),
            edition=edition,
            theme=request.theme,
            trims=known,
            templates=self.templates,
        )

    def submit(self, request: PaperRequest) -> tuple[SummaryEntry, RenderJob, Future[Paper]]:
        """Queue a render (PoolFullError when the pool is full)."""
        entry = self.entry(request.summary_id)
        job = self._job(entry, request)
        return entry, job, self.renderer.submit(job)

    def commit(self, entry: SummaryEntry, job: RenderJob, paper: Paper) -> bool:
        """Write a rendered paper and its manifest record under the output lock; False if not written.

        If another run (a cron `regen`) wrote the same paper meanwhile and it is current, its files
        stay; if the lock cannot be had in time, nothing is written and the caller sends the bytes
        it has.
        """
        from briefgen.locking import output_lock
        from briefgen.recording import record_paper, summary_record

        inputs = job_builder(job, cached_inputs(entry.file, strict=True)).inputs
        stem = job.edition.name
        try:
            with output_lock(self.out, wait=self.lock_wait):
                manifest = Manifest.load(self.out)
                record = summary_record(manifest, inputs)
                previous = record.papers.get(stem)
                if previous is not None and set(paper.files) <= set(previous.outputs):
                    folder = self.out / entry.id
                    reasons = stale_reasons(
                        previous,
                        out_dir=folder,
                        root=self.root,
                        templates=self.templates,
                        version=__version__,
                    )
                    if not reasons:
                        return False  # another run wrote this paper meanwhile, from the same inputs
                write_paper(paper, self.out)
                new = record_paper(paper, inputs, templates=self.templates, options={"allow_warnings": False})
                if job.trims is not None and previous is not None and previous.trims.get("key"):
                    # The fit still holds: keep its proof, and the inputs it was proved on.
                    new.trims["key"] = previous.trims["key"]
                    new.inputs = {**previous.inputs, **new.inputs}
                record.papers[stem] = new
                if stem not in record.editions:
                    record.editions.append(stem)
                manifest.save()
                return True
        except LockError:
            return False

    async def get(self, request: PaperRequest, suffix: str) -> Served:
        """Return a paper's file: from out/ when current, else rendered by the pool and published."""
        entry = await asyncio.to_thread(self.entry, request.summary_id)
        served = await asyncio.to_thread(self.from_disk, entry, request.stem, suffix)
        if served is not None:
            return served
        paper, fresh = await self._render(request)
        name = f"{request.stem}.{suffix}"
        data = paper.files.get(name)
        if data is None:
            raise NotFoundError(f"no such paper: {name!r}")
        marking = paper.report.get("marking")
        return Served(name, data, etag_of(bytes_fingerprint(data)), marking, paper.report, fresh)

    async def _render(self, request: PaperRequest) -> tuple[Paper, bool]:
        """Render a paper once however many requests ask for it at the same time.

        The paper is answered as soon as it is rendered; it is written to out/ and the manifest
        just after, and until then a request for any of its files gets them from memory.
        """
        waiting = self._inflight.get(request)
        if waiting is not None:
            return await asyncio.shield(waiting), False
        loop = asyncio.get_running_loop()
        shared: asyncio.Future[Paper] = loop.create_future()
        self._inflight[request] = shared
        try:
            entry, job, future = await asyncio.to_thread(self.submit, request)
            paper = await asyncio.wrap_future(future)
        except BaseException as exc:
            self._inflight.pop(request, None)
            shared.set_exception(exc)
            shared.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        shared.set_result(paper)
        task = asyncio.create_task(self._publish(request, entry, job, paper))
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)
        return paper, True

    async def _publish(
        self, request: PaperRequest, entry: SummaryEntry, job: RenderJob, paper: Paper
    ) -> None:
        try:
            await asyncio.to_thread(self.commit, entry, job, paper)
        finally:
            self._inflight.pop(request, None)

    @property
    def publishing(self) -> int:
        """Return how many rendered papers are still being written to out/."""
        return len(self._commits)

    async def drain(self) -> None:
        """Wait until every rendered paper has been written (at shutdown)."""
        while self._commits:
            await asyncio.gather(*list(self._commits), return_exceptions=True)

    def change_note(self, entry: SummaryEntry, stem: str) -> str | None:
        """Return the paper's last change note (`<stem>.changes.md`), if regen wrote one."""
        try:
            return (self.out / entry.id / f"{stem}.changes.md").read_text(encoding="utf-8")
        except OSError:
            return None


def is_sensitive(marking: str | None) -> bool:
    """Tell whether a paper's marking keeps it from unauthenticated requests."""
    return marking == Marking.OFFICIAL_SENSITIVE.value
