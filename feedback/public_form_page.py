"""The blank PAKN form page (GET /phan-anh/), rendered once per unit-list version.

Listing every public unit costs most of the page's CPU, and the list is the same for every
citizen, so the rendered page is kept per process and reused, as surveys/blank_pages.py does
for survey forms. What differs per visitor, the CSRF token and the idempotency key, is
rendered as a placeholder and swapped in on every request. The key holds the unit-list
version (count and latest change of ``units``: adding, renaming, moving or closing a unit
changes it, in every process at once), the language, the retention setting shown on the page
and the query (which pre-selects the unit, desk and channel and appears in the language
link). Entries also expire after a few minutes, and the cache is bounded so a flood of odd
query strings cannot grow it.
"""

from __future__ import annotations

import secrets

from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from core.extensions import db
from core.models import Unit
from core.page_cache import RenderedPageCache, page_cache

CSRF_PLACEHOLDER = "LN-PAKN-CSRF-PLACEHOLDER"
KEY_PLACEHOLDER = "LN-PAKN-KEY-PLACEHOLDER"


def form_pages() -> RenderedPageCache:
    """This app's cache of blank PAKN form pages."""
    return page_cache("pakn_form_pages", max_entries=256)


def unit_list_version() -> tuple:
    """(number of units, latest change): one cheap aggregate that changes with the list."""
    count, latest = db.session.execute(
        select(func.count(Unit.id), func.max(Unit.updated_at))).one()
    return count, latest


def stamp(page: str) -> str:
    """The cached page with this visitor's CSRF token and a fresh idempotency key."""
    if CSRF_PLACEHOLDER in page:
        page = page.replace(CSRF_PLACEHOLDER, generate_csrf())
    return page.replace(KEY_PLACEHOLDER, secrets.token_urlsafe(24))
