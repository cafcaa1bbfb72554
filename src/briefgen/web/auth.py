"""Who a request is: a bearer token, a signed-in browser, or a user named by a trusted proxy.

- **Bearer token**: `Authorization: Bearer <token>` where the token is `BRIEFGEN_TOKEN`.
- **Signed-in browser**: the sign-in page takes the same token and sets a cookie holding an
  HMAC of it (never the token itself): HttpOnly, SameSite=Strict.
- **Trusted header** (off by default): behind a reverse proxy that authenticates people and
  sets a header (`--trusted-user-header X-Forwarded-User`), a request carrying that header is
  that user, but only when it comes from a trusted proxy address (`--trusted-proxy`, default
  127.0.0.1 and ::1), so a client that reaches the app directly cannot claim a name.

Without a token and without a trusted header nobody is authenticated, and OFFICIAL-SENSITIVE
papers are served to no one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

SESSION_COOKIE = "briefgen_session"


@dataclass(frozen=True)
class AuthConfig:
    """How requests authenticate."""

    token: str | None = None
    user_header: str | None = None
    trusted_proxies: frozenset[str] = field(default_factory=lambda: frozenset({"127.0.0.1", "::1"}))

    def session_value(self) -> str | None:
        """Return the cookie value a signed-in browser holds: an HMAC of the token."""
        if not self.token:
            return None
        return hmac.new(self.token.encode(), b"briefgen-session-v1", hashlib.sha256).hexdigest()

    def token_matches(self, offered: str) -> bool:
        """Tell whether an offered token is the configured one (in constant time)."""
        return bool(self.token) and hmac.compare_digest(offered.encode(), (self.token or "").encode())


def user_of(request: HTTPConnection, config: AuthConfig) -> str | None:
    """Return who the request is ('token', 'session' or the proxy's user name), or None."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and config.token_matches(credentials.strip()):
        return "token"
    session = config.session_value()
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if session and cookie and hmac.compare_digest(cookie.encode(), session.encode()):
        return "session"
    if config.user_header:
        client = request.client.host if request.client else ""
        name = request.headers.get(config.user_header, "").strip()
        if name and client in config.trusted_proxies:
            return name
    return None
