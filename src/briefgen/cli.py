"""The command line: a thin Typer layer over check, build, regen, watch and sources."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from briefgen.errors import BriefgenError, LockError, PathError, SummaryError, printable
from briefgen.paths import project_summaries

if TYPE_CHECKING:
    from briefgen.pool import Renderer

E = TypeVar("E", bound=Enum)

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Briefing papers from one source-referenced summary."
)
sources_app = typer.Typer(no_args_is_help=True, help="Manage the summary's sources.")
app.add_typer(sources_app, name="sources")

DEBUG = {"on": False}
# The default of every --jobs: a machine already busy with other work (a test suite running a
# process per core, a shared build server) sets it lower than the number of cores.
JOBS_ENV = "BRIEFGEN_JOBS"


def _echo(line: str, *, err: bool | None = None) -> None:
    """Print a line with its control characters escaped; `error:` and `warning:` lines go to stderr."""
    if err is None:
        err = line.startswith(("error:", "warning:"))
    typer.echo(printable(line), err=err)


def _fail(exc: BriefgenError, code: int = 1) -> typer.Exit:
    """Print an error as `error: …` lines (one per problem) and return the exit to raise."""
    if DEBUG["on"]:
        raise exc
    if isinstance(exc, SummaryError):
        for problem in exc.problems:
            typer.echo(f"{problem.severity}: {problem}", err=True)
    else:
        for line in str(exc).splitlines() or ["unknown error"]:
            _echo(f"error: {line}")
    return typer.Exit(code)


def _summaries(paths: list[Path] | None) -> list[Path]:
    if paths:
        return paths
    try:
        found = project_summaries(Path())
    except PathError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if not found:
        typer.echo("error: no summaries: pass a file, or run from a folder with briefs/*.yaml", err=True)
        raise typer.Exit(1)
    return found


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    """Briefing papers from one source-referenced summary."""
    DEBUG["on"] = debug


@app.command()
def check(
    summaries: Annotated[
        list[Path] | None, typer.Argument(help="Summary files (default: briefs/*.yaml).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    disputes: Annotated[
        bool,
        typer.Option("--disputes", help="List disagreements among the sources not recorded as disputes."),
    ] = False,
) -> None:
    """Validate summaries and verify every quote against its source."""
    from briefgen.check import check_summary

    if disputes:
        from briefgen.cli_review import check_disputes

        try:
            raise typer.Exit(1 if check_disputes(_summaries(summaries), as_json=as_json) else 0)
        except BriefgenError as exc:
            raise _fail(exc) from None

    failed = False
    reports = []
    for path in _summaries(summaries):
        try:
            report = check_summary(path)
        except SummaryError as exc:
            failed = True
            if as_json:
                reports.append(
                    {"file": str(path), "ok": False, "problems": [p.__dict__ for p in exc.problems]}
                )
            else:
                _fail(exc)
            continue
        except BriefgenError as exc:
            raise _fail(exc) from None
        failed = failed or bool(report.errors)
        if as_json:
            reports.append(report.to_dict())
        else:
            for problem in report.problems:
                typer.echo(f"{problem.severity}: {problem}", err=True)
            for line in report.lines():
                _echo(line)
    if as_json:
        typer.echo(json.dumps(reports if len(reports) != 1 else reports[0], indent=2, ensure_ascii=False))
    if failed:
        raise typer.Exit(1)


@app.command()
def build(
    summaries: Annotated[
        list[Path] | None, typer.Argument(help="Summary files (default: briefs/*.yaml).")
    ] = None,
    edition: Annotated[
        list[str] | None, typer.Option("--edition", help="A named edition (repeatable).")
    ] = None,
    length: Annotated[
        str | None, typer.Option(help="one-page, short or full: build this length on demand.")
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option(help="minister, officials, parliament, public or industry: build for this audience."),
    ] = None,
    fmt: Annotated[
        list[str] | None, typer.Option("--format", help="pdf, docx, html or odt (repeatable).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    allow_warnings: Annotated[
        bool, typer.Option("--allow-warnings", help="Build papers over a quality limit.")
    ] = False,
    theme: Annotated[
        str | None, typer.Option("--theme", help="Narrow the papers to one of the summary's themes (its id).")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, envvar=JOBS_ENV, help="Papers rendered at once (default: cores)."
        ),
    ] = None,
    redline_against: Annotated[
        Path | None,
        typer.Option(
            "--redline-against",
            help="An earlier .docx of the one paper built: also write <name>.redline.docx marking changes.",
        ),
    ] = None,
) -> None:
    """Build papers: every edition each summary names, or one length and audience on demand."""
    from briefgen.model import Audience, Format, Length
    from briefgen.run import build_papers

    failed = False
    pool = _make_pool(jobs, None)  # its workers start on first use and leave with this process
    for summary in _summaries(summaries):
        try:
            chosen_length = _enum(Length, length, "--length")
            chosen_audience = _enum(Audience, audience, "--audience")
            formats = [_enum(Format, f, "--format") for f in fmt or []]
            results = build_papers(
                summary,
                out=out,
                names=edition or [],
                length=chosen_length,
                audience=chosen_audience,
                formats=[f for f in formats if f is not None],
                allow_warnings=allow_warnings,
                theme=theme,
                pool=pool,
                redline_against=redline_against,
            )
        except BriefgenError as exc:
            _fail(exc)
            failed = True
            continue
        for line in results.lines:
            _echo(line)
        failed = failed or results.failed
    if pool is not None:
        pool.close()
    if failed:
        raise typer.Exit(1)


def _make_pool(jobs: int | None, redis: str | None) -> Renderer | None:
    """Return where papers render: RQ workers, warm local processes (started on first use), or here."""
    from briefgen.pool import WarmPool, default_jobs

    if redis:
        from briefgen.remote import RedisRenderer

        return RedisRenderer(redis)
    if (jobs or default_jobs()) > 1:
        return WarmPool(jobs or default_jobs())
    return None


@contextlib.contextmanager
def _pool(jobs: int | None, redis: str | None) -> Iterator[Renderer | None]:
    """Yield `_make_pool`'s renderer, closed afterwards."""
    renderer = _make_pool(jobs, redis)
    try:
        yield renderer
    finally:
        if renderer is not None:
            renderer.close()


@app.command()
def regen(
    summaries: Annotated[
        list[Path] | None, typer.Argument(help="Summary files (default: briefs/*.yaml).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    wait: Annotated[float, typer.Option(help="Seconds to wait for another run's lock.")] = 0.0,
    allow_warnings: Annotated[
        bool, typer.Option("--allow-warnings", help="Rebuild papers over a quality limit.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, envvar=JOBS_ENV, help="Papers rendered at once (default: cores)."
        ),
    ] = None,
    redis: Annotated[
        str | None, typer.Option("--redis", help="Render on RQ workers via this Redis URL.")
    ] = None,
) -> None:
    """Rebuild only stale papers; exit 0 nothing to do, 3 rebuilt, 4 or 5 needs an analyst (README)."""
    from briefgen.regen import Outcome
    from briefgen.regen import regen as run_regen

    try:
        with _pool(jobs, redis) as pool:
            report = run_regen(
                _summaries(summaries), out=out, wait=wait, pool=pool, allow_warnings=allow_warnings
            )
    except LockError as exc:
        raise _fail(exc, Outcome.BUSY) from None
    except BriefgenError as exc:
        raise _fail(exc, Outcome.ERROR) from None
    for line in report.lines:
        _echo(line)
    raise typer.Exit(int(report.outcome))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, envvar=JOBS_ENV, help="Warm render workers (default: cores)."),
    ] = None,
    queue_size: Annotated[
        int, typer.Option("--queue", min=1, help="Papers that may wait for a worker before 503.")
    ] = 4,
    deadline: Annotated[float, typer.Option(help="Seconds a render may take before it is stopped.")] = 60.0,
    redis: Annotated[
        str | None, typer.Option("--redis", help="Render on RQ workers via this Redis URL.")
    ] = None,
    user_header: Annotated[
        str | None,
        typer.Option(
            "--trusted-user-header",
            help="Behind a reverse proxy: a header naming the signed-in user (off by default).",
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option("--trusted-proxy", help="Address the trusted header may come from (repeatable)."),
    ] = None,
) -> None:
    """Serve the papers of briefs/*.yaml on a web page and a JSON API (token from BRIEFGEN_TOKEN)."""
    import uvicorn

    from briefgen.pool import WarmPool, default_jobs
    from briefgen.web import build_app, token_from_environment

    if not Path("briefs").is_dir():
        typer.echo("error: no briefs/ folder here: run from the project folder", err=True)
        raise typer.Exit(1)
    renderer: Renderer
    if redis:
        from briefgen.remote import RedisRenderer

        renderer = RedisRenderer(redis, deadline=deadline, max_pending=(jobs or default_jobs()) + queue_size)
    else:
        renderer = WarmPool(jobs or default_jobs(), queue_size=queue_size, deadline=deadline)
    application = build_app(
        root=Path.cwd(),
        out=out,
        renderer=renderer,
        token=token_from_environment(),
        user_header=user_header,
        trusted_proxies=frozenset(trusted_proxy) if trusted_proxy else None,
    )
    typer.echo(f"serving on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(application, host=host, port=port, log_level="warning")  # type: ignore[arg-type]


@app.command()
def worker(
    redis: Annotated[str, typer.Option("--redis", help="Redis URL of the RQ queue.")],
    queue: Annotated[str, typer.Option(help="Queue name.")] = "briefgen",
    burst: Annotated[bool, typer.Option("--burst", help="Stop when the queue is empty.")] = False,
) -> None:
    """Render papers for `regen --redis` and `serve --redis`: a warm RQ worker needing no shared disk."""
    from briefgen.remote import run_worker

    run_worker(redis, queue=queue, burst=burst)


@app.command()
def watch(
    summaries: Annotated[
        list[Path] | None, typer.Argument(help="Summary files (default: briefs/*.yaml).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    poll: Annotated[float, typer.Option(help="Seconds between looks at the files.")] = 1.0,
) -> None:
    """Rebuild stale papers whenever a summary, seed or template changes; one line per rebuild."""
    from briefgen.render import templates_dir
    from briefgen.watch import watch as run_watch

    typer.echo("watching for changes; Ctrl-C to stop", err=True)
    try:
        run_watch(_summaries(summaries), out=out, templates=templates_dir(), emit=_echo, poll=poll)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    except BriefgenError as exc:
        raise _fail(exc) from None


@app.command()
def migrate(
    summaries: Annotated[list[Path], typer.Argument(help="Schema 1 summary files to rewrite in place.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the changes; write nothing.")] = False,
) -> None:
    """Rewrite schema 1 summaries as schema 2: each topic becomes a role, or a theme to name."""
    from briefgen.migrating import migrate_file

    for path in summaries:
        try:
            migration = migrate_file(path, dry_run=dry_run)
        except BriefgenError as exc:
            raise _fail(exc) from None
        except OSError as exc:
            typer.echo(f"error: {path}: {exc.strerror}", err=True)
            raise typer.Exit(1) from None
        for line in migration.lines:
            typer.echo(f"{path}: {line}")
        verb = "would declare" if dry_run else "declared"
        if migration.themes:
            typer.echo(
                f"{path}: {verb} themes {', '.join(migration.themes)}: "
                "give each a real heading (and a plain one)"
            )
        typer.echo(f"{path}: {'would be' if dry_run else 'now'} schema 2; run `briefgen check {path}`")


@sources_app.command("refresh")
def sources_refresh(
    summaries: Annotated[
        list[Path] | None, typer.Argument(help="Summary files (default: briefs/*.yaml).")
    ] = None,
    deadline: Annotated[
        float, typer.Option(help="Seconds a fetch may take in all, however slowly a server sends.")
    ] = 60.0,
    out: Annotated[Path, typer.Option("--out", help="Where reviews of changed sources are written.")] = Path(
        "out"
    ),
) -> None:
    """Fetch URL sources with conditional requests, store dated snapshots, review what changed."""
    from briefgen.cli_review import review_changed
    from briefgen.loading import load_summary
    from briefgen.sources import RefreshStatus, refresh_sources

    failed = False
    try:
        for path in _summaries(summaries):
            summary = load_summary(path)
            updated = []
            for result in refresh_sources(summary, path.resolve().parent.parent, deadline=deadline):
                if result.status is RefreshStatus.SKIPPED:
                    continue
                failed = failed or result.status is RefreshStatus.FAILED
                _echo(f"{result.status.value}: {result.message}", err=result.status is RefreshStatus.FAILED)
                for warning in result.warnings:
                    _echo(f"warning: {warning}")
                if result.status is RefreshStatus.UPDATED:
                    updated.append(result.source_id)
            if updated:
                review_changed(path, updated, out=out)
    except BriefgenError as exc:
        raise _fail(exc) from None
    if failed:
        raise typer.Exit(1)


quotes_app = typer.Typer(no_args_is_help=True, help="Keep the summary's quotes in step with its sources.")
app.add_typer(quotes_app, name="quotes")


@quotes_app.command("update")
def quotes_update(
    summaries: Annotated[
        list[Path] | None, typer.Argument(help="Summary files (default: briefs/*.yaml).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the changes; write nothing.")] = False,
) -> None:
    """Rewrite quotes whose source changed slightly to its current wording; report missing ones."""
    from briefgen.requoting import requote

    failed = False
    for path in _summaries(summaries):
        try:
            report = requote(path, dry_run=dry_run)
        except SummaryError as exc:
            failed = True
            _fail(exc)
            continue
        except BriefgenError as exc:
            raise _fail(exc) from None
        for change in report.changes:
            _echo(str(change))
        for problem in report.problems:
            typer.echo(f"{problem.severity}: {problem}", err=True)
        count = len(report.changes)
        done = "would be rewritten (dry run: nothing written)" if dry_run else "rewritten"
        missing = f"; {len(report.problems)} not found, left for an analyst" if report.problems else ""
        typer.echo(f"{report.file}: {count} {'quote' if count == 1 else 'quotes'} {done}{missing}")
        failed = failed or not report.clean
    if failed:
        raise typer.Exit(1)


def _enum(kind: type[E], value: str | None, option: str) -> E | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        from briefgen.errors import BuildError

        choices = ", ".join(str(m.value) for m in kind)
        raise BuildError(f"{option}: {value!r} is not one of {choices}") from None


# The review commands live in their own module: sources add, evidence add, review, draft.
from briefgen.cli_review import register as _register_review  # noqa: E402

_register_review(app, sources_app)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
