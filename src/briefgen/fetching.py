"""Fetch one http(s) URL within a total deadline and a byte cap, and decode its text: bytes in, text out.

urllib's timeout bounds each socket operation, not the fetch: a server that sends a byte every
few seconds keeps it going for ever. Here every fetch has a deadline for the whole of it; when it
passes, a watchdog shuts the fetch's sockets, which wakes any read blocked on them. The body is
read in pieces, never more than the cap and one byte. A page is decoded by what its bytes are,
checked against what it says it is, and a disagreement is reported, not stored as mojibake.
"""

from __future__ import annotations

import codecs
import contextlib
import http.client
import re
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPException, HTTPMessage
from typing import Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

#: The most a fetch may take in all, and the most a response body may hold.
DEADLINE_SECONDS = 60.0
MAX_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024
_SCHEMES = frozenset({"http", "https"})
# Where a page that is not UTF-8 and says nothing else is read from: the HTML standard's default.
_FALLBACK = "windows-1252"
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


class Response(Protocol):
    """The part of an HTTP response a refresh reads."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Message: ...

    def read(self, amt: int, /) -> bytes: ...

    def close(self) -> None: ...


Opener = Callable[[urllib.request.Request, float], Response]


class FetchError(Exception):
    """A fetch that produced no usable page; the message is one clause."""


@dataclass(frozen=True)
class Page:
    """A fetched page: its body (at most the cap), its headers, or None for 304 Not Modified."""

    body: bytes
    headers: Message


class _Watchdog:
    """Shut every socket of one fetch once its deadline passes, waking any read blocked on them."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(0.001, self.deadline - time.monotonic())

    def watch(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
            if self._expired:
                _shut(sock)
        return sock

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            for sock in self._sockets:
                _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def _connection(base: type[http.client.HTTPConnection], watchdog: _Watchdog) -> Callable[..., Any]:
    """Return a factory of `base` connections whose sockets the watchdog can shut."""

    def connect(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        kwargs["timeout"] = min(kwargs.get("timeout") or DEADLINE_SECONDS, watchdog.remaining())
        connection = base(host, **kwargs)
        # http.client makes every socket through this attribute (tests replace it, and so do we);
        # https wraps the socket it returns, so the TLS handshake is watched too.
        create = getattr(connection, "_create_connection")  # noqa: B009

        def create_watched(*args: Any, **more: Any) -> socket.socket:
            return watchdog.watch(create(*args, **more))

        setattr(connection, "_create_connection", create_watched)  # noqa: B010
        return connection

    return connect


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self._watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connection(http.client.HTTPConnection, self._watchdog), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self._watchdog = watchdog
        self._tls = ssl.create_default_context()

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connect = _connection(http.client.HTTPSConnection, self._watchdog)
        return self.do_open(connect, req, context=self._tls)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http and https only (urllib alone would also follow ftp)."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: HTTPMessage, newurl: str
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in _SCHEMES:
            fp.close()
            raise URLError(f"redirect to {newurl} refused; only http and https are followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Watched:
    """A response whose fetch's watchdog is called off when it is closed."""

    def __init__(self, response: Response, watchdog: _Watchdog) -> None:
        self._response = response
        self._watchdog = watchdog

    @property
    def status(self) -> int:
        return self._response.status

    @property
    def headers(self) -> Message:
        return self._response.headers

    def read(self, amt: int, /) -> bytes:
        return self._response.read(amt)

    def close(self) -> None:
        self._response.close()
        self._watchdog.cancel()


def default_opener(*, deadline: float = DEADLINE_SECONDS) -> Opener:
    """Return an opener that speaks only http and https, honouring the environment's proxies.

    Each fetch it opens, redirects included, is cut off `deadline` seconds after it starts.
    """

    def open_url(request: urllib.request.Request, timeout: float) -> Response:
        watchdog = _Watchdog(deadline)
        # Built by hand: build_opener() would add the file:, ftp: and data: handlers.
        director = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(),
            urllib.request.UnknownHandler(),
            _HTTPHandler(watchdog),
            _HTTPSHandler(watchdog),
            urllib.request.HTTPDefaultErrorHandler(),
            _RedirectHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            director.add_handler(handler)
        try:
            response = director.open(request, timeout=min(timeout, watchdog.remaining()))
        except BaseException:
            watchdog.cancel()
            raise
        return _Watched(response, watchdog)

    return open_url


def fetch(
    url: str,
    headers: dict[str, str],
    *,
    timeout: float,
    deadline: float = DEADLINE_SECONDS,
    max_bytes: int = MAX_BYTES,
    opener: Opener | None = None,
) -> Page | None:
    """Fetch a URL: its body and headers, or None for 304 Not Modified; raise FetchError saying why not.

    `timeout` bounds each read; `deadline` the whole fetch (checked between reads too, whatever
    the opener); `max_bytes` the body.
    """
    started = time.monotonic()
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise FetchError(f"invalid URL: {error}") from error
    if parts.scheme.lower() not in _SCHEMES or not parts.netloc:
        raise FetchError("only http and https URLs are fetched")
    open_url = opener or default_opener(deadline=deadline)
    late = FetchError(f"no complete response within {deadline:g} s")
    try:
        response = open_url(urllib.request.Request(url, headers=headers), timeout)
    except HTTPError as error:
        error.close()
        if error.code == 304:
            return None
        raise FetchError(f"HTTP {error.code} {error.reason}") from error
    except (OSError, HTTPException, ValueError) as error:
        raise (late if time.monotonic() - started >= deadline else FetchError(describe(error))) from error
    chunks: list[bytes] = []
    size = 0
    try:
        if response.status == 304:
            return None
        if not 200 <= response.status < 300:
            raise FetchError(f"HTTP {response.status}")
        while size <= max_bytes:
            if time.monotonic() - started >= deadline:
                raise late
            chunk = response.read(min(_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, HTTPException) as error:
        raise (late if time.monotonic() - started >= deadline else FetchError(describe(error))) from error
    finally:
        response.close()
    if time.monotonic() - started >= deadline:
        raise late  # the watchdog cut the body short: what was read is not the page
    if size > max_bytes:
        raise FetchError(f"response larger than {_size(max_bytes)}")
    return Page(b"".join(chunks), response.headers)


def _size(count: int) -> str:
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MB"
    return f"{count // 1024} KB" if count % 1024 == 0 else f"{count:,} bytes"


def decode(body: bytes, headers: Message) -> tuple[str, list[str]]:
    """Return a page's text and warnings about its character set.

    A byte-order mark decides; else bytes that are valid UTF-8 (with some non-ASCII) are read as
    UTF-8, whatever the page says, since text in another encoding is almost never valid UTF-8; else
    the character set the page declares (HTTP header, then <meta>); else windows-1252. A declared
    set that disagrees with the bytes, or none at all for text that is not UTF-8, is warned about.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(encoding, errors="replace"), []
    declared = headers.get_content_charset() or _meta_charset(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = error
    else:
        if declared is not None and not _is_utf8(declared) and not body.isascii():
            return text, [f"the page says its text is {declared}, but it is UTF-8; read as UTF-8"]
        return text, []
    if declared is None:
        warning = f"the page does not say how its text is encoded, and it is not UTF-8; read as {_FALLBACK}"
        return body.decode(_FALLBACK, errors="replace"), [warning]
    if _is_utf8(declared):
        warning = (
            f"the page says its text is {declared}, but byte 0x{body[bad.start]:02x} at offset {bad.start} "
            f"is not; read as {_FALLBACK}"
        )
        return body.decode(_FALLBACK, errors="replace"), [warning]
    try:
        text = body.decode(declared, errors="replace")
    except LookupError:
        warning = (
            f"the page says its text is {declared}, which is not a known character set; read as {_FALLBACK}"
        )
        return body.decode(_FALLBACK, errors="replace"), [warning]
    lost = text.count("\ufffd")
    if lost:
        return text, [f"{lost} bytes of the page could not be read as {declared}, as it says its text is"]
    return text, []


def _is_utf8(name: str) -> bool:
    try:
        return codecs.lookup(name).name == "utf-8"
    except LookupError:
        return False


def _meta_charset(body: bytes) -> str | None:
    """Return the character set a page declares in a <meta> near its start, as browsers look for it."""
    found = _META_CHARSET.search(body[:1024])
    return found.group(1).decode("ascii").lower() if found else None


def describe(error: BaseException) -> str:
    """Turn a network exception into a short lower-case clause."""
    if isinstance(error, URLError) and isinstance(error.reason, BaseException):
        return describe(error.reason)
    if isinstance(error, URLError):
        text = str(error.reason)
    elif isinstance(error, OSError) and error.strerror:
        text = error.strerror
    else:
        text = str(error) or type(error).__name__
    return text[:1].lower() + text[1:]
