"""`briefgen serve` over HTTP: every route, caching, who may see what, 503 when busy, the lock.

One real server (uvicorn on 127.0.0.1, a free port) and one pool of warm workers for the whole
module, over a copy of briefs/ and seeds/ with one broken summary added.
"""

from __future__ import annotations

import http.client
import io
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from project import free_port
from pypdf import PdfReader
from starlette.requests import Request

from briefgen.loading import load_summary
from briefgen.locking import output_lock
from briefgen.pool import WarmPool
from briefgen.web import build_app
from briefgen.web.auth import AuthConfig, user_of

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-token-8d2f"
SID = "uk-japan-2026"
API = f"/api/summaries/{SID}/papers"


class Site:
    """The running server: its base URL, project folder and output folder."""

    def __init__(self, base: str, project: Path, pool: WarmPool) -> None:
        self.base = base
        self.project = project
        self.out = project / "out"
        self.pool = pool

    def get(
        self, path: str, *, headers: dict[str, str] | None = None, follow_redirects: bool = False
    ) -> httpx.Response:
        return httpx.get(self.base + path, timeout=120, headers=headers, follow_redirects=follow_redirects)

    def published(self) -> None:
        """Wait until every rendered paper has been written to out/."""
        deadline = time.monotonic() + 60
        while self.get("/healthz").json()["publishing"]:
            assert time.monotonic() < deadline, "a rendered paper was never written"
            time.sleep(0.02)

    def raw(self, path: str) -> tuple[int, bytes]:
        """Send a path exactly as written (no dot-segment clean-up, no re-encoding)."""
        host, port = self.base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, body


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    project = tmp_path_factory.mktemp("serve")
    for name in ("briefs", "seeds"):
        shutil.copytree(ROOT / name, project / name)
    bad = (ROOT / "tests" / "data" / "unknown_source.yaml").read_text(encoding="utf-8")
    (project / "briefs" / "zz-broken.yaml").write_text(bad, encoding="utf-8")
    pool = WarmPool(1, queue_size=1, deadline=60, templates=ROOT / "templates")
    app = build_app(
        root=project,
        out=project / "out",
        renderer=pool,
        token=TOKEN,
        user_header="X-Forwarded-User",
        templates=ROOT / "templates",
        lock_wait=1.0,
    )
    port = free_port()
    # build_app returns object, so that importing briefgen.web loads no Starlette: as in `briefgen serve`.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", project, pool)
    finally:
        server.should_exit = True
        thread.join(60)


def test_the_api_lists_every_summary_with_its_check_status(site: Site) -> None:
    response = site.get("/api/summaries")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    summaries = {s["file"]: s for s in response.json()["summaries"]}
    good = summaries["briefs/uk-japan-2026.yaml"]
    assert good["id"] == SID
    assert good["title"].startswith("UK–Japan")
    as_of = load_summary(ROOT / "briefs" / "uk-japan-2026.yaml").subject.as_of
    assert good["as_of"] == as_of.isoformat()
    assert good["newest_source"]["date"]
    assert good["check"] == {"ok": True, "errors": 0, "warnings": 0, "problems": []}
    assert "minerals" in {t["id"] for t in good["themes"]}
    broken = summaries["briefs/zz-broken.yaml"]
    assert broken["check"]["ok"] is False
    assert broken["check"]["problems"] == [
        "briefs/zz-broken.yaml:59:9: claims[1].evidence[0].source: unknown source 'reuters'; "
        "known: 'partnership-new-level', 'tokyo-summit'"
    ]


def test_the_list_page_shows_problems_as_lines_not_a_traceback(site: Site) -> None:
    response = site.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    text = response.text
    as_of = load_summary(ROOT / "briefs" / "uk-japan-2026.yaml").subject.as_of
    assert "Treaty of Meridian Bay" in text and f"{as_of.day} {as_of.strftime('%B %Y')}" in text
    assert "briefs/zz-broken.yaml:59:9: claims[1].evidence[0].source: unknown source" in text
    assert "Traceback" not in text
    css = site.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_a_one_page_pdf_is_rendered_once_then_sent_from_the_manifest(site: Site) -> None:
    first = site.get(f"{API}/one-page-minister.pdf")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/pdf"
    assert (
        first.headers["content-disposition"] == 'attachment; filename="uk-japan-2026-one-page-minister.pdf"'
    )
    assert first.headers["cache-control"] == "no-cache"
    reader = PdfReader(io.BytesIO(first.content))
    assert len(reader.pages) == 1
    assert "OFFICIAL" in reader.pages[0].extract_text()
    # Written as the command line writes it: the file, and its record in the manifest.
    site.published()
    on_disk = site.out / SID / "one-page-minister.pdf"
    assert on_disk.read_bytes() == first.content
    manifest = json.loads((site.out / "manifest.json").read_text(encoding="utf-8"))
    record = next(iter(manifest["summaries"].values()))["papers"]["one-page-minister"]
    assert first.headers["etag"].strip('"') == record["outputs"]["one-page-minister.pdf"][:40]

    docx = site.get(f"{API}/one-page-minister.docx")  # rendered with the PDF: a file send
    assert docx.status_code == 200
    assert docx.headers["x-briefgen-rendered"] == "no"
    assert docx.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert docx.headers["content-disposition"].endswith('filename="uk-japan-2026-one-page-minister.docx"')

    again = site.get(f"{API}/one-page-minister.pdf")
    assert again.headers["x-briefgen-rendered"] == "no"
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    not_modified = site.get(f"{API}/one-page-minister.pdf", headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == first.headers["etag"]


def test_the_html_and_the_report(site: Site) -> None:
    html = site.get(f"{API}/one-page-minister.html")
    assert html.status_code == 200
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["content-disposition"].startswith("inline;")
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert "<h1" in html.text
    report = site.get(f"{API}/one-page-minister.report.json")
    assert report.status_code == 200 and report.headers["content-type"] == "application/json"
    data = report.json()
    assert data["pages"] == 1 and data["marking"] == "OFFICIAL" and data["edition"] == "one-page-minister"


def test_the_summary_page_shows_the_report_as_people_read_it(site: Site) -> None:
    note = site.out / SID / "one-page-minister.changes.md"
    note.write_text(
        "# Changes to uk-japan-2026/one-page-minister\n\n- `x`: <b>reworded</b>\n", encoding="utf-8"
    )
    response = site.get(f"/summaries/{SID}?length=one-page&audience=minister&format=html&action=show")
    note.unlink()
    assert "# Changes to uk-japan-2026/one-page-minister" in response.text
    assert "&lt;b&gt;reworded&lt;/b&gt;" in response.text  # escaped, never markup
    assert response.status_code == 200
    text = response.text
    assert 'id="pages">1<' in text
    assert "OFFICIAL" in text and "Reading grade" in text and "points left out" in text
    assert "exact" in text  # quote grades per source
    assert f'src="{API}/one-page-minister.html"' in text  # the HTML version, in the page
    download = site.get(
        f"/summaries/{SID}?length=one-page&audience=minister&format=docx&action=download",
        follow_redirects=False,
    )
    assert download.status_code == 303
    assert download.headers["location"] == f"{API}/one-page-minister.docx"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_an_odt_is_rendered_when_asked_for_then_sent_from_the_manifest(site: Site) -> None:
    first = site.get(f"{API}/short-public.odt")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/vnd.oasis.opendocument.text"
    assert first.headers["content-disposition"] == 'attachment; filename="uk-japan-2026-short-public.odt"'
    assert first.content[30:38] == b"mimetype"  # the package's first member, as ODF requires
    site.published()
    assert (site.out / SID / "short-public.odt").read_bytes() == first.content
    again = site.get(f"{API}/short-public.odt")
    assert again.headers["x-briefgen-rendered"] == "no" and again.content == first.content
    download = site.get(
        f"/summaries/{SID}?length=short&audience=public&format=odt&action=download", follow_redirects=False
    )
    assert download.headers["location"] == f"{API}/short-public.odt"


def test_a_theme_paper_is_named_and_titled_for_its_theme(site: Site) -> None:
    response = site.get(f"{API}/one-page-minister.pdf?theme=minerals")
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(
        'filename="uk-japan-2026-one-page-minister-minerals.pdf"'
    )
    site.published()
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    assert reader.metadata is not None
    assert "Critical minerals" in str(reader.metadata.title)
    assert (site.out / SID / "one-page-minister-minerals.pdf").exists()
    assert site.get(f"{API}/one-page-minister.pdf?theme=no-such-theme").status_code == 404
    assert site.get(f"{API}/one-page-minister.pdf?theme=..%2F..").status_code == 404


def test_a_sensitive_paper_needs_the_token(site: Site) -> None:
    anonymous = site.get(f"{API}/short-minister.pdf")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert b"%PDF" not in anonymous.content
    assert site.get(f"{API}/short-minister.report.json").status_code == 401
    wrong = site.get(f"{API}/short-minister.pdf", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    good = site.get(f"{API}/short-minister.pdf", headers={"Authorization": f"Bearer {TOKEN}"})
    assert good.status_code == 200 and good.content.startswith(b"%PDF")
    assert good.headers["cache-control"] == "private, no-cache"
    assert "OFFICIAL-SENSITIVE" in PdfReader(io.BytesIO(good.content)).pages[0].extract_text()
    # Sent from out/ now, and still refused without the token, 304 included.
    assert site.get(f"{API}/short-minister.pdf").status_code == 401
    etag = good.headers["etag"]
    assert site.get(f"{API}/short-minister.pdf", headers={"If-None-Match": etag}).status_code == 401
    page = site.get(f"/summaries/{SID}?length=short&audience=minister&action=show")
    assert page.status_code == 401 and "Sign in" in page.text and "Reading grade" not in page.text


def test_signing_in_sets_a_session_that_is_not_the_token(site: Site) -> None:
    with httpx.Client(base_url=site.base, timeout=120) as client:
        refused = client.post("/sign-in", data={"token": "wrong", "next": "/"})
        assert refused.status_code == 401
        signed = client.post("/sign-in", data={"token": TOKEN, "next": "//evil.example/"})
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        cookie = signed.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert TOKEN not in cookie
        assert client.get(f"{API}/short-minister.pdf").status_code == 200
        client.post("/sign-out")
        assert client.get(f"{API}/short-minister.pdf").status_code == 401


def test_a_trusted_proxy_header_authenticates_only_from_a_trusted_address(site: Site) -> None:
    proxied = site.get(f"{API}/short-minister.pdf", headers={"X-Forwarded-User": "jane.doe"})
    assert proxied.status_code == 200  # the test client is on 127.0.0.1, a trusted proxy

    def request_from(host: str) -> Request:
        scope = {
            "type": "http",
            "headers": [(b"x-forwarded-user", b"jane.doe")],
            "client": (host, 5000),
            "path": "/",
            "query_string": b"",
        }
        return Request(scope)

    on = AuthConfig(token=TOKEN, user_header="X-Forwarded-User")
    assert user_of(request_from("127.0.0.1"), on) == "jane.doe"
    assert user_of(request_from("203.0.113.9"), on) is None
    assert user_of(request_from("127.0.0.1"), AuthConfig(token=TOKEN)) is None  # off by default


@pytest.mark.parametrize(
    "path",
    [
        "/api/summaries/../../etc/passwd",
        f"/api/summaries/{SID}/papers/../../../etc/passwd",
        f"/api/summaries/{SID}/papers/..%2F..%2Fmanifest.json",
        f"/api/summaries/{SID}/papers/%2e%2e%2fmanifest.json",
        "/api/summaries/..%2F..%2Fbriefs/papers/one-page-minister.pdf",
        f"/api/summaries/{SID}%2F..%2F..%2Fout/papers/one-page-minister.pdf",
        "/api/summaries/no-such-summary/papers/one-page-minister.pdf",
        "/api/summaries/zz-broken/papers/one-page-minister.pdf",
        f"/api/summaries/{SID}/papers/one-page-king.pdf",
        f"/api/summaries/{SID}/papers/one-page-minister.exe",
        f"/api/summaries/{SID}/papers/one-page-minister.changes.md",
        "/static/../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/summaries/..%2F..%2Fetc",
    ],
)
def test_no_request_reaches_the_file_system_unchecked(site: Site, path: str) -> None:
    status, body = site.raw(path)
    assert status == 404, (path, body[:200])
    assert b"root:" not in body and b"[project]" not in body


def test_a_full_pool_answers_503_with_retry_after(site: Site) -> None:
    papers = ["full-public", "full-industry", "full-parliament"]
    statuses: dict[str, httpx.Response] = {}

    def ask(name: str) -> None:
        statuses[name] = site.get(f"{API}/{name}.report.json")

    threads = [threading.Thread(target=ask, args=(name,)) for name in papers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    codes = sorted(r.status_code for r in statuses.values())
    assert 503 in codes, codes  # one worker, one place in the queue: the third is turned away
    assert set(codes) <= {200, 503}, codes
    busy = next(r for r in statuses.values() if r.status_code == 503)
    assert busy.headers["retry-after"] == "5"
    assert "busy" in busy.json()["error"][0]


def test_a_held_output_lock_is_waited_for_and_never_broken(site: Site) -> None:
    """A cron regen holding the lock: the page still answers, but writes nothing meanwhile."""
    target = site.out / SID / "one-page-public.pdf"
    with output_lock(site.out, wait=10):
        response = site.get(f"{API}/one-page-public.pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        site.published()  # gave up waiting for the lock: nothing written
        assert not target.exists()  # the lock holder's folder was left alone
    again = site.get(f"{API}/one-page-public.pdf")
    site.published()
    assert again.status_code == 200
    assert target.read_bytes() == again.content


def test_health_shows_the_pool(site: Site) -> None:
    data = site.get("/healthz").json()
    assert data["ok"] is True and data["busy"] == 0 and data["waiting"] == 0 and data["publishing"] == 0
    assert len(site.pool.pids()) == 1
