"""The web app: pages for people and a JSON API for tools, over the summaries in briefs/.

Routes (keep the API ones stable):

    GET  /                                               the summaries, with their check status
    GET  /summaries/{id}                                 choose a paper; see its report and HTML
    GET  /sign-in, POST /sign-in, POST /sign-out         a browser session from the token
    GET  /api/summaries                                  id, title, as-of, newest source, check
    GET  /api/summaries/{id}/papers/{length}-{audience}.{pdf|docx|odt|html|report.json}[?theme=ID]
    GET  /healthz                                        workers busy and waiting
    GET  /static/…                                       the page's own stylesheet

Rendering happens in the pool, never in the event loop; anything slow (checking a summary,
reading the manifest, writing a paper) runs in a thread.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from briefgen.errors import BriefgenError, SummaryError
from briefgen.model import Audience, Format, Length
from briefgen.pool import DeadlineError, PoolFullError
from briefgen.web.auth import SESSION_COOKIE, AuthConfig, user_of
from briefgen.web.papers import (
    NotFoundError,
    PaperRequest,
    PaperService,
    Served,
    SummaryEntry,
    is_sensitive,
)

RETRY_AFTER = 5  # seconds a client should wait when every worker is busy
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "odt": "application/vnd.oasis.opendocument.text",
    "report.json": "application/json",
}
LENGTH_LABELS = {"one-page": "One page", "short": "Short (2 to 4 pages)", "full": "Full paper"}
AUDIENCE_LABELS = {
    "minister": "Minister",
    "officials": "Officials",
    "parliament": "Parliament",
    "public": "Public",
    "industry": "Industry",
}
FORMAT_LABELS = {
    "pdf": "PDF",
    "docx": "Word (.docx)",
    "odt": "OpenDocument (.odt)",
    "html": "Web page (HTML)",
}
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
# A paper's HTML holds its own styles and nothing else: no scripts, fetches or forms.
PAPER_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)
_THEME = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


@dataclass
class WebConfig:
    """What the app serves and who may see what."""

    service: PaperService
    auth: AuthConfig
    templates: Path  # the web templates folder: templates/web


class HTTPProblemError(Exception):
    """An error answered with a status code and one or more lines for people."""

    def __init__(self, status: int, lines: list[str], headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.lines = lines
        self.headers = headers or {}
        super().__init__("; ".join(lines))


def problem_of(exc: BaseException) -> HTTPProblemError:
    """Map briefgen's errors to HTTP: 404 unknown, 503 busy, 504 too slow, 422 cannot be built."""
    if isinstance(exc, HTTPProblemError):
        return exc
    if isinstance(exc, NotFoundError):
        return HTTPProblemError(404, [str(exc)])
    if isinstance(exc, PoolFullError):
        return HTTPProblemError(
            503,
            [f"Every worker is busy: try again in {RETRY_AFTER} seconds."],
            {"Retry-After": str(RETRY_AFTER)},
        )
    if isinstance(exc, DeadlineError):
        return HTTPProblemError(504, [str(exc)])
    if isinstance(exc, SummaryError):
        return HTTPProblemError(422, [str(p) for p in exc.problems])
    if isinstance(exc, BriefgenError):
        return HTTPProblemError(422, str(exc).splitlines() or ["the paper could not be built"])
    raise exc


def _theme_param(request: Request) -> str | None:
    theme = request.query_params.get("theme") or None
    if theme is not None and not _THEME.match(theme):
        raise HTTPProblemError(404, [f"no theme {theme!r}"])
    return theme


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def create_app(config: WebConfig, *, on_startup: list[Any] | None = None) -> Starlette:
    """Build the Starlette application."""
    service = config.service
    auth = config.auth
    env = SandboxedEnvironment(
        loader=FileSystemLoader(config.templates),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        user = user_of(request, auth)
        html = env.get_template(name).render(
            user=user,
            token_configured=bool(auth.token),
            path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=_page_headers())

    def error_page(request: Request, problem: HTTPProblemError) -> HTMLResponse:
        titles = {401: "Sign in to see this paper", 404: "Page not found", 503: "Service busy"}
        response = page(
            request,
            "error.html.j2",
            status=problem.status,
            title=titles.get(problem.status, "The paper could not be made"),
            lines=problem.lines,
        )
        response.headers.update(problem.headers)
        return response

    async def index(request: Request) -> Response:
        entries = await run_in_threadpool(service.summaries)
        return page(request, "index.html.j2", summaries=[e.to_dict() for e in entries])

    async def api_summaries(request: Request) -> Response:
        entries = await run_in_threadpool(service.summaries)
        return JSONResponse({"summaries": [e.to_dict() for e in entries]}, headers=_api_headers())

    async def api_paper(request: Request) -> Response:
        try:
            theme = _theme_param(request)
            paper_request, suffix = await run_in_threadpool(
                service.request, request.path_params["sid"], request.path_params["name"], theme
            )
            served = await service.get(paper_request, suffix)
        except Exception as exc:
            problem = problem_of(exc)
            return JSONResponse(
                {"error": problem.lines},
                status_code=problem.status,
                headers={**problem.headers, **_api_headers()},
            )
        denied = _denied(request, served)
        if denied is not None:
            return JSONResponse({"error": denied.lines}, status_code=denied.status, headers=denied.headers)
        return _send(request, paper_request, suffix, served)

    def _denied(request: Request, served: Served) -> HTTPProblemError | None:
        if is_sensitive(served.marking) and user_of(request, auth) is None:
            return HTTPProblemError(
                401,
                ["This paper is marked OFFICIAL-SENSITIVE: sign in, or send the token as a bearer token."],
                {"WWW-Authenticate": 'Bearer realm="briefgen"', "Cache-Control": "no-store"},
            )
        return None

    def _send(request: Request, paper: PaperRequest, suffix: str, served: Served) -> Response:
        filename = f"{paper.summary_id}-{paper.stem}.{suffix}"
        disposition = "attachment" if suffix in ("pdf", "docx", "odt") else "inline"
        headers = {
            "ETag": served.etag,
            "Cache-Control": "private, no-cache" if is_sensitive(served.marking) else "no-cache",
            "Vary": "Authorization, Cookie",
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "X-Briefgen-Rendered": "yes" if served.rendered else "no",
            "Referrer-Policy": "no-referrer",
        }
        if suffix == "html":
            headers["Content-Security-Policy"] = PAPER_CSP
        if _etag_matches(request.headers.get("if-none-match"), served.etag):
            return Response(status_code=304, headers=headers)
        return Response(served.data, media_type=CONTENT_TYPES[suffix], headers=headers)

    async def summary_page(request: Request) -> Response:
        sid = request.path_params["sid"]
        try:
            entry = await run_in_threadpool(service.entry, sid)
        except NotFoundError as exc:
            return error_page(request, problem_of(exc))
        params = request.query_params
        length, audience = params.get("length"), params.get("audience")
        fmt = params.get("format") or "pdf"
        theme = params.get("theme") or None
        choice = {
            "length": length or "one-page",
            "audience": audience or "minister",
            "format": fmt,
            "theme": theme,
        }
        context: dict[str, Any] = {
            "summary": entry.to_dict(),
            "lengths": LENGTH_LABELS,
            "audiences": AUDIENCE_LABELS,
            "formats": FORMAT_LABELS,
            "choice": choice,
            "paper": None,
            "lines": [],
        }
        if not (length and audience):
            return page(request, "summary.html.j2", **context)
        try:
            if length not in LENGTH_LABELS or audience not in AUDIENCE_LABELS or fmt not in FORMAT_LABELS:
                raise HTTPProblemError(404, ["choose a length, an audience and a format from the lists"])
            if theme is not None and not _THEME.match(theme):
                raise HTTPProblemError(404, [f"no theme {theme!r}"])
            paper_request, _ = await run_in_threadpool(
                service.request, sid, f"{length}-{audience}.report.json", theme
            )
            links = _links(paper_request)
            if params.get("action") == "download":
                return RedirectResponse(links[fmt], status_code=303)
            served = await service.get(paper_request, "report.json")
        except Exception as exc:
            problem = problem_of(exc)
            if problem.status in (404, 503):
                return error_page(request, problem)
            context["lines"] = problem.lines
            return page(request, "summary.html.j2", status=problem.status, **context)
        denied = _denied(request, served)
        if denied is not None:
            return error_page(request, denied)
        note = await run_in_threadpool(service.change_note, entry, paper_request.stem)
        context["paper"] = report_view(entry, served.report, links, note, theme)
        return page(request, "summary.html.j2", **context)

    async def sign_in(request: Request) -> Response:
        if request.method == "GET":
            return page(
                request, "signin.html.j2", failed=False, next=_safe_next(request.query_params.get("next"))
            )
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0]
        target = _safe_next((form.get("next") or ["/"])[0])
        if not auth.token_matches(token):
            return page(request, "signin.html.j2", status=401, failed=True, next=target)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            auth.session_value() or "",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def sign_out(request: Request) -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    async def healthz(request: Request) -> Response:
        renderer = service.renderer
        return JSONResponse(
            {
                "ok": True,
                "busy": getattr(renderer, "busy", None),
                "waiting": getattr(renderer, "waiting", None),
                "publishing": service.publishing,
            },
            headers=_api_headers(),
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        problem = HTTPProblemError(404, [f"nothing at {request.url.path}"])
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": problem.lines}, status_code=404)
        return error_page(request, problem)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for hook in on_startup or []:
            await run_in_threadpool(hook)
        await run_in_threadpool(service.summaries)  # check every summary before the first visitor
        try:
            yield
        finally:
            await service.drain()
            await run_in_threadpool(service.renderer.close)

    routes = [
        Route("/", index),
        Route("/summaries/{sid}", summary_page),
        Route("/sign-in", sign_in, methods=["GET", "POST"]),
        Route("/sign-out", sign_out, methods=["POST"]),
        Route("/api/summaries", api_summaries),
        Route("/api/summaries/{sid}/papers/{name}", api_paper),
        Route("/healthz", healthz),
        Mount("/static", app=StaticFiles(directory=config.templates / "static"), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found})


def _links(paper: PaperRequest) -> dict[str, str]:
    """Return the API links of a paper's files."""
    base = f"/api/summaries/{quote(paper.summary_id)}/papers/{paper.length.value}-{paper.audience.value}"
    query = f"?{urlencode({'theme': paper.theme})}" if paper.theme else ""
    return {fmt: f"{base}.{fmt}{query}" for fmt in ("pdf", "docx", "odt", "html", "report.json")}


def _safe_next(target: str | None) -> str:
    """Return a local path to go back to after signing in; anything else becomes '/'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": PAGE_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def _api_headers() -> dict[str, str]:
    return {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def report_view(
    entry: SummaryEntry, report: dict[str, Any], links: dict[str, str], note: str | None, theme: str | None
) -> dict[str, Any]:
    """Turn a paper's report into what a person reads: words instead of claim ids."""
    from briefgen.anchoring import Grade
    from briefgen.pool import cached_inputs

    summary = entry.summary
    assert summary is not None
    texts = {c.id: c.short for c in summary.claims}
    grades = cached_inputs(entry.file, strict=True).evidence.grades
    per_source: dict[str, dict[str, int]] = {}
    for claim_id in report.get("claims_included", []):
        claim = next((c for c in summary.claims if c.id == claim_id), None)
        if claim is None:
            continue
        for index, evidence in enumerate(claim.evidence):
            grade = grades.get((claim_id, index), Grade.UNCHECKED).value
            counts = per_source.setdefault(evidence.source, {})
            counts[grade] = counts.get(grade, 0) + 1
    sources = [
        {
            "title": s.title,
            "kind": s.kind.value,
            "publisher": s.publisher,
            "grades": sorted(per_source[s.id].items()),
            "quotes": sum(per_source[s.id].values()),
        }
        for s in summary.sources
        if s.id in per_source
    ]
    readability = report.get("readability") or {}
    theme_heading = next((t.heading for t in summary.themes if t.id == theme), None)
    return {
        "title": f"{LENGTH_LABELS[report['length']]} for {AUDIENCE_LABELS[report['audience']].lower()}"
        + (f": {theme_heading}" if theme_heading else ""),
        "marking": report.get("marking") or "Unmarked (public)",
        "pages": report.get("pages"),
        "words": report.get("words"),
        "shortened": [{"id": c, "text": texts.get(c, c)} for c in report.get("claims_shortened", [])],
        "dropped": [
            {
                "id": d["claim"],
                "text": texts.get(d["claim"], d["claim"]),
                "priority": d["priority"],
                "why": d["why"],
            }
            for d in report.get("claims_dropped", [])
        ],
        "readability": readability,
        "sources": sources,
        "note": note,
        "links": links,
        "formats": dict(FORMAT_LABELS),
    }


__all__ = ["WebConfig", "create_app"]

# Formats and enums checked at import: the labels cover every value the model knows.
assert set(LENGTH_LABELS) == {v.value for v in Length}
assert set(AUDIENCE_LABELS) == {v.value for v in Audience}
assert set(FORMAT_LABELS) == {v.value for v in Format}
