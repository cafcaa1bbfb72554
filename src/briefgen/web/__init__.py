"""The web app behind `briefgen serve`: pages and a JSON API; renders go to a pool, never the event loop."""

from __future__ import annotations

import os
from pathlib import Path

from briefgen.pool import Renderer

TOKEN_ENV = "BRIEFGEN_TOKEN"


def build_app(
    *,
    root: Path,
    out: Path,
    renderer: Renderer,
    token: str | None = None,
    user_header: str | None = None,
    trusted_proxies: frozenset[str] | None = None,
    templates: Path | None = None,
    lock_wait: float = 60.0,
) -> object:
    """Return the ASGI application serving the summaries under `root/briefs` and papers under `out`."""
    from briefgen.render import templates_dir
    from briefgen.web.app import WebConfig, create_app
    from briefgen.web.auth import AuthConfig
    from briefgen.web.papers import PaperService

    templates = templates or templates_dir()
    service = PaperService(root=root, out=out, templates=templates, renderer=renderer, lock_wait=lock_wait)
    auth = AuthConfig(token=token, user_header=user_header)
    if trusted_proxies is not None:
        auth = AuthConfig(token=token, user_header=user_header, trusted_proxies=trusted_proxies)
    start = getattr(renderer, "start", None)
    # The page's own templates: beside the papers' templates, or the ones shipped with briefgen
    # when $BRIEFGEN_TEMPLATES points at a folder of paper templates only.
    web = templates / "web"
    if not (web / "static").is_dir():
        web = Path(__file__).resolve().parents[3] / "templates" / "web"
    return create_app(
        WebConfig(service=service, auth=auth, templates=web),
        on_startup=[start] if start is not None else [],
    )


def token_from_environment() -> str | None:
    """Return the API token from BRIEFGEN_TOKEN (None when unset or empty)."""
    return os.environ.get(TOKEN_ENV) or None
