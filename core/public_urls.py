"""Absolute links for people outside the site (feeds, messages): always PUBLIC_BASE_URL.

Never from the request: its Host header is whatever the client sent (behind a proxy that
passes it on, or on a node reached directly), so a link built from it could point a citizen,
or a feed reader's cache, at another site.
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def public_base_url() -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")


def public_url_for(endpoint: str, **values: Any) -> str:
    """PUBLIC_BASE_URL followed by the path of ``endpoint`` (a full endpoint name), in a
    request or outside one (the job worker). PUBLIC_BASE_URL carries any path prefix."""
    adapter = current_app.url_map.bind("public.invalid")
    path = adapter.build(endpoint, {k: v for k, v in values.items() if v is not None})
    return public_base_url() + path
