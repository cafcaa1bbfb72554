"""Refreshing URL sources against a real local HTTP server, and extracting the main text of pages."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from briefgen import __version__
from briefgen.model import Summary
from briefgen.sources import (
    DEADLINE_SECONDS,
    MAX_BYTES,
    RefreshStatus,
    Response,
    extract_main_text,
    refresh_sources,
)

DAY1 = dt.date(2026, 11, 20)
DAY2 = dt.date(2026, 11, 21)

PAGE = """<!doctype html>
<html><head><title>Ministry</title><script>var tracker = 1;</script></head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article>
  <h1>Joint statement</h1>
  <p>The two ministers met in Tokyo &amp; agreed
     to deepen cooperation.</p>
  <script>document.write("ad")</script>
</article>
<footer>Copyright</footer>
</body></html>
"""
PAGE_TEXT = "Joint statement\nThe two ministers met in Tokyo & agreed to deepen cooperation.\n"


@dataclass
class Site:
    """What the test server serves, and what it has seen."""

    body: bytes = PAGE.encode("utf-8")
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = '"v1"'
    last_modified: str | None = "Fri, 20 Nov 2026 09:00:00 GMT"
    status: int = 200
    location: str | None = None
    requests: int = 0
    conditional: int = 0
    headers: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Server:
    """A running test server and the site it serves."""

    site: Site
    url: str


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests += 1
            site.headers.append(dict(self.headers))
            if "If-None-Match" in self.headers or "If-Modified-Since" in self.headers:
                site.conditional += 1
            if site.location is not None:
                self.send_response(302)
                self.send_header("Location", site.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if site.status != 200:
                self.send_error(site.status)
                return
            if site.etag is not None and self.headers.get("If-None-Match") == site.etag:
                self.send_response(304)
                self.send_header("ETag", site.etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", site.content_type)
            self.send_header("Content-Length", str(len(site.body)))
            if site.etag is not None:
                self.send_header("ETag", site.etag)
            if site.last_modified is not None:
                self.send_header("Last-Modified", site.last_modified)
            self.end_headers()
            self.wfile.write(site.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    return Handler


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment would send 127.0.0.1 requests elsewhere.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[Server]:
    site = Site()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Server(site, f"http://127.0.0.1:{httpd.server_address[1]}/statement")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _summary(url: str | None) -> Summary:
    return Summary.model_validate(
        {
            "schema": 2,
            "id": "test",
            "subject": {
                "title": "A test agreement",
                "short_title": "Test",
                "parties": ["UK", "Japan"],
                "date": "2026-01-31",
                "place": "Tokyo",
                "legal_form": "joint-statement",
                "status": "signed",
                "as_of": "2026-11-20",
            },
            "sources": [
                {
                    "id": "page",
                    "file": "seeds/page.txt",
                    "url": url,
                    "title": "Joint statement",
                    "kind": "official",
                    "reliability": "high",
                }
            ],
            "claims": [
                {
                    "id": "met",
                    "role": "overview",
                    "kind": "assessment",
                    "audiences": ["officials"],
                    "short": "They met.",
                    "full": "The ministers met.",
                }
            ],
        }
    )


def _with_url(summary: Summary, url: str) -> Summary:
    """Return the summary with its source's URL replaced, bypassing validation as a hostile file might."""
    source = summary.sources[0].model_copy(update={"url": url})
    return summary.model_copy(update={"sources": [source]})


def _state(root: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((root / "seeds/snapshots/page/state.json").read_text())
    return state


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_first_refresh_stores_main_text_snapshot_and_state(server: Server, tmp_path: Path) -> None:
    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY1)

    snapshot = tmp_path / "seeds/snapshots/page/2026-11-20.txt"
    assert result.status is RefreshStatus.UPDATED
    assert result.message == "page: updated; wrote seeds/snapshots/page/2026-11-20.txt"
    assert result.snapshot == snapshot
    assert (tmp_path / "seeds/page.txt").read_text() == PAGE_TEXT
    assert snapshot.read_text() == PAGE_TEXT
    state_text = (tmp_path / "seeds/snapshots/page/state.json").read_text()
    state = json.loads(state_text)
    assert state_text == json.dumps(state, sort_keys=True, indent=2) + "\n"
    assert state["etag"] == '"v1"'
    assert state["last_modified"] == "Fri, 20 Nov 2026 09:00:00 GMT"
    assert state["url"] == server.url
    assert state["snapshot"] == "seeds/snapshots/page/2026-11-20.txt"
    assert state["status"] == "updated"
    assert len(state["sha256"]) == 64
    assert server.site.headers[0]["User-Agent"] == f"briefgen/{__version__}"
    assert server.site.conditional == 0


def test_unchanged_page_gets_304_and_changes_nothing(server: Server, tmp_path: Path) -> None:
    refresh_sources(_summary(server.url), tmp_path, today=DAY1)
    seed = tmp_path / "seeds/page.txt"
    before = (seed.stat().st_mtime_ns, _state(tmp_path))

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY2)

    assert result.status is RefreshStatus.NOT_MODIFIED
    assert result.snapshot == tmp_path / "seeds/snapshots/page/2026-11-20.txt"
    assert server.site.requests == 2
    assert server.site.conditional == 1
    assert server.site.headers[1]["If-None-Match"] == '"v1"'
    assert server.site.headers[1]["If-Modified-Since"] == "Fri, 20 Nov 2026 09:00:00 GMT"
    assert (seed.stat().st_mtime_ns, _state(tmp_path)) == before
    assert seed.read_text() == PAGE_TEXT
    assert not (tmp_path / "seeds/snapshots/page/2026-11-21.txt").exists()


def test_changed_page_writes_a_new_dated_snapshot(server: Server, tmp_path: Path) -> None:
    refresh_sources(_summary(server.url), tmp_path, today=DAY1)
    server.site.body = PAGE.replace("deepen cooperation", "sign a treaty").encode("utf-8")
    server.site.etag = '"v2"'

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY2)

    new_text = PAGE_TEXT.replace("deepen cooperation", "sign a treaty")
    assert result.status is RefreshStatus.UPDATED
    assert result.snapshot == tmp_path / "seeds/snapshots/page/2026-11-21.txt"
    assert (tmp_path / "seeds/page.txt").read_text() == new_text
    assert (tmp_path / "seeds/snapshots/page/2026-11-21.txt").read_text() == new_text
    assert (tmp_path / "seeds/snapshots/page/2026-11-20.txt").read_text() == PAGE_TEXT
    assert _state(tmp_path)["etag"] == '"v2"'


def test_same_body_without_validators_is_unchanged(server: Server, tmp_path: Path) -> None:
    server.site.etag = server.site.last_modified = None
    refresh_sources(_summary(server.url), tmp_path, today=DAY1)
    seed = tmp_path / "seeds/page.txt"
    mtime = seed.stat().st_mtime_ns

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY2)

    assert result.status is RefreshStatus.UNCHANGED
    assert result.message == "page: unchanged"
    assert server.site.conditional == 0
    assert seed.stat().st_mtime_ns == mtime
    assert not (tmp_path / "seeds/snapshots/page/2026-11-21.txt").exists()


def test_hand_edited_file_is_fetched_in_full(server: Server, tmp_path: Path) -> None:
    refresh_sources(_summary(server.url), tmp_path, today=DAY1)
    (tmp_path / "seeds/page.txt").write_text("edited by hand\n")

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY1)

    assert result.status is RefreshStatus.UPDATED
    assert server.site.conditional == 0
    assert (tmp_path / "seeds/page.txt").read_text() == PAGE_TEXT


def test_connection_refused_keeps_the_snapshot(server: Server, tmp_path: Path) -> None:
    refresh_sources(_summary(server.url), tmp_path, today=DAY1)
    url = f"http://127.0.0.1:{_closed_port()}/statement"

    [result] = refresh_sources(_with_url(_summary(server.url), url), tmp_path, today=DAY2, timeout=2)

    assert result.status is RefreshStatus.FAILED
    assert result.message == f"page: {url}: connection refused; kept the snapshot of 2026-11-20"
    assert result.snapshot == tmp_path / "seeds/snapshots/page/2026-11-20.txt"
    assert (tmp_path / "seeds/page.txt").read_text() == PAGE_TEXT


def test_http_error_keeps_the_snapshot(server: Server, tmp_path: Path) -> None:
    refresh_sources(_summary(server.url), tmp_path, today=DAY1)
    server.site.status = 500

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY2)

    assert result.status is RefreshStatus.FAILED
    assert result.message == (
        f"page: {server.url}: HTTP 500 Internal Server Error; kept the snapshot of 2026-11-20"
    )
    assert (tmp_path / "seeds/page.txt").read_text() == PAGE_TEXT
    assert _state(tmp_path)["etag"] == '"v1"'


def test_oversized_body_fails(server: Server, tmp_path: Path) -> None:
    server.site.content_type = "text/plain"
    server.site.body = b"x" * (MAX_BYTES + 1)

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY1)

    assert result.status is RefreshStatus.FAILED
    assert result.message == f"page: {server.url}: response larger than 5 MB; nothing stored yet"
    assert not (tmp_path / "seeds").exists()


def test_non_text_content_fails(server: Server, tmp_path: Path) -> None:
    server.site.content_type = "image/png"

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY1)

    assert result.status is RefreshStatus.FAILED
    assert result.message == f"page: {server.url}: not a text page: image/png; nothing stored yet"


def test_file_url_is_refused_without_reading(tmp_path: Path) -> None:
    calls: list[urllib.request.Request] = []

    def opener(request: urllib.request.Request, timeout: float) -> Response:
        calls.append(request)
        raise AssertionError("the opener must not be called")

    summary = _with_url(_summary("https://example.org/"), "file:///etc/passwd")
    [result] = refresh_sources(summary, tmp_path, today=DAY1, opener=opener)

    assert result.status is RefreshStatus.FAILED
    assert result.message == (
        "page: file:///etc/passwd: only http and https URLs are fetched; nothing stored yet"
    )
    assert calls == []
    assert not (tmp_path / "seeds").exists()


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/secret.txt", "file:///etc/passwd"])
def test_redirect_away_from_http_is_refused(server: Server, tmp_path: Path, target: str) -> None:
    server.site.location = target

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY1)

    assert result.status is RefreshStatus.FAILED
    assert target in result.message
    assert not (tmp_path / "seeds").exists()


def test_plain_text_is_stored_as_is(server: Server, tmp_path: Path) -> None:
    server.site.content_type = "text/plain; charset=iso-8859-1"
    server.site.body = "Caf\u00e9 <b>not markup</b>\r\n\r\n  Second   line\r\n".encode("iso-8859-1")

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY1)

    assert result.status is RefreshStatus.UPDATED
    stored = (tmp_path / "seeds/page.txt").read_bytes()
    assert stored == "Café <b>not markup</b>\n\n  Second   line\n".encode()


def test_source_without_url_is_skipped(tmp_path: Path) -> None:
    [result] = refresh_sources(_summary(None), tmp_path, today=DAY1)

    assert result.status is RefreshStatus.SKIPPED
    assert result.snapshot is None
    assert not (tmp_path / "seeds").exists()


def test_extract_prefers_article_and_drops_furniture() -> None:
    html = (
        "<header>Site banner</header><nav>Menu</nav><main><p>Lead-in</p>"
        "<article><header><h2>Headline</h2></header><p>Body <b>bold</b> text.</p>"
        "<aside>Related</aside><noscript>Enable JS</noscript><form>Search</form>"
        "<iframe>frame</iframe><svg><text>icon</text></svg></article></main>"
    )
    assert extract_main_text(html) == "Headline\nBody bold text.\n"


def test_extract_falls_back_to_main_then_role_main_then_page() -> None:
    assert extract_main_text("<p>Out</p><main><p>In</p></main>") == "In\n"
    html = '<div>Out</div><div role="main"><div>One</div>Two</div><div>After</div>'
    assert extract_main_text(html) == "One\nTwo\n"
    assert extract_main_text("<nav>Menu</nav><p>Only&nbsp;text &lt;here&gt;</p>") == "Only text <here>\n"


def test_extract_lines_lists_and_whitespace() -> None:
    html = (
        "<article><h1>Title</h1>\n\n<p>  spread\n  over   lines </p><p></p><div>a<br>b</div>"
        "<ul><li>one</li><li><p>two</p></li></ul><dl><dt>term</dt><dd>meaning</dd></dl>"
        "<blockquote>quoted</blockquote><figure><figcaption>caption</figcaption></figure>"
        "<table><tr><td>x</td><td>y</td></tr></table><pre>line 1\nline 2</pre></article>"
    )
    assert extract_main_text(html) == (
        "Title\nspread over lines\na\nb\n- one\n- two\nterm\nmeaning\nquoted\ncaption\nx y\nline 1\nline 2\n"
    )


def test_extract_of_an_empty_page_is_empty() -> None:
    assert extract_main_text("<script>only()</script><style>p {}</style>") == ""


# --- servers that send slowly or for ever: a total deadline and a byte cap ---------------------


class _Drip(BaseHTTPRequestHandler):
    """Send a page one byte at a time (headers too, if asked), or a body that never ends."""

    mode = "body"
    pause = 0.2

    def do_GET(self) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n"
        try:
            if self.mode == "headers":
                for byte in head:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(self.pause)
            elif self.mode == "body":
                self.wfile.write(head)
                for _ in range(100000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(self.pause)
            else:  # endless, as fast as it goes, with no length
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
                while True:
                    self.wfile.write(b"y" * 65536)
        except OSError:
            pass  # the client hung up: what it should do

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def drip() -> Iterator[tuple[type[_Drip], str]]:
    handler = type("Drip", (_Drip,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{httpd.server_address[1]}/slow"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("mode", ["body", "headers"])
def test_a_server_that_drips_is_cut_off_at_the_total_deadline(
    drip: tuple[type[_Drip], str], tmp_path: Path, mode: str
) -> None:
    handler, url = drip
    handler.mode = mode
    started = time.monotonic()
    # Each read gets a byte well within its 20 s timeout: only a total deadline stops this.
    [result] = refresh_sources(_summary(url), tmp_path, today=DAY1, timeout=20, deadline=1.5)
    elapsed = time.monotonic() - started
    assert result.status is RefreshStatus.FAILED
    assert result.message == f"page: {url}: no complete response within 1.5 s; nothing stored yet"
    assert 1.5 <= elapsed < 4
    assert not (tmp_path / "seeds").exists()


def test_an_endless_body_is_cut_off_at_the_byte_cap(drip: tuple[type[_Drip], str], tmp_path: Path) -> None:
    handler, url = drip
    handler.mode = "endless"
    started = time.monotonic()
    [result] = refresh_sources(_summary(url), tmp_path, today=DAY1, max_bytes=256 * 1024)
    assert time.monotonic() - started < 5
    assert result.status is RefreshStatus.FAILED
    assert result.message == f"page: {url}: response larger than 256 KB; nothing stored yet"


def test_the_default_deadline_and_cap() -> None:
    import inspect

    parameters = inspect.signature(refresh_sources).parameters
    assert parameters["deadline"].default == DEADLINE_SECONDS == 60.0
    assert parameters["max_bytes"].default == MAX_BYTES == 5 * 1024 * 1024


# --- snapshots, character sets and control characters ------------------------------------------


def test_a_second_change_on_the_same_day_keeps_both_snapshots(server: Server, tmp_path: Path) -> None:
    refresh_sources(_summary(server.url), tmp_path, today=DAY1)
    for n, word in enumerate(["a treaty", "an accord"], start=2):
        server.site.body = PAGE.replace("deepen cooperation", f"sign {word}").encode("utf-8")
        server.site.etag = f'"v{n}"'
        [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY1)
        assert result.message == f"page: updated; wrote seeds/snapshots/page/2026-11-20.{n}.txt"
    folder = tmp_path / "seeds/snapshots/page"
    assert sorted(p.name for p in folder.glob("*.txt")) == [
        "2026-11-20.2.txt",
        "2026-11-20.3.txt",
        "2026-11-20.txt",
    ]
    assert (folder / "2026-11-20.txt").read_text() == PAGE_TEXT
    assert "sign a treaty" in (folder / "2026-11-20.2.txt").read_text()
    assert _state(tmp_path)["snapshot"] == "seeds/snapshots/page/2026-11-20.3.txt"


CAFE = "Caf\u00e9 \u2019quoted\u2019 text.\n"


@pytest.mark.parametrize(
    ("content_type", "body", "warning"),
    [
        # The header says Latin-1, but the bytes are UTF-8 (stored as "CafÃ©" before).
        (
            "text/plain; charset=iso-8859-1",
            CAFE.encode("utf-8"),
            "page: the page says its text is iso-8859-1, but it is UTF-8; read as UTF-8",
        ),
        # The header says UTF-8, but the bytes are Windows-1252 (stored with U+FFFD before).
        (
            "text/plain; charset=utf-8",
            CAFE.encode("cp1252"),
            "page: the page says its text is utf-8, but byte 0xe9 at offset 3 is not; read as windows-1252",
        ),
        # Nothing declared, not UTF-8.
        (
            "text/plain",
            CAFE.encode("cp1252"),
            "page: the page does not say how its text is encoded, and it is not UTF-8; read as windows-1252",
        ),
        # Declared in the page itself, and right: no warning.
        (
            "text/html",
            b'<html><head><meta charset="windows-1252"></head><body><p>' + CAFE.encode("cp1252"),
            None,
        ),
        # A character set no one knows.
        (
            "text/plain; charset=klingon",
            CAFE.encode("cp1252"),
            "page: the page says its text is klingon, which is not a known character set; "
            "read as windows-1252",
        ),
    ],
)
def test_the_character_set_is_detected_and_a_wrong_one_is_reported(
    server: Server, tmp_path: Path, content_type: str, body: bytes, warning: str | None
) -> None:
    server.site.content_type = content_type
    server.site.body = body

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY1)

    assert result.status is RefreshStatus.UPDATED
    assert (tmp_path / "seeds/page.txt").read_text(encoding="utf-8") == CAFE
    assert list(result.warnings) == ([warning] if warning else [])


def test_control_characters_in_a_page_are_removed_and_reported(server: Server, tmp_path: Path) -> None:
    server.site.content_type = "text/plain; charset=utf-8"
    server.site.body = b"Joint \x1b[31mstatement\x00 of\x07 intent.\n"

    [result] = refresh_sources(_summary(server.url), tmp_path, today=DAY1)

    assert (tmp_path / "seeds/page.txt").read_text() == "Joint [31mstatement of intent.\n"
    assert list(result.warnings) == ["page: removed 3 control characters (the first U+001B at offset 6)"]
