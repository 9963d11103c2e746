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
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from core.extensions import db
from core.models import Unit

CSRF_PLACEHOLDER = "LN-PAKN-CSRF-PLACEHOLDER"
KEY_PLACEHOLDER = "LN-PAKN-KEY-PLACEHOLDER"


class FormPageCache:
    def __init__(self, max_entries: int = 256, ttl_seconds: float = 300.0):
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        moment = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and moment - hit[0] < self.ttl_seconds:
                self._entries.move_to_end(key)
                return hit[1]
        page = render()
        with self._lock:
            self._entries[key] = (moment, page)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return page


def form_pages() -> FormPageCache:
    """This app's cache (one per app: tests build many apps on different databases)."""
    return current_app.extensions.setdefault("pakn_form_pages", FormPageCache())


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
