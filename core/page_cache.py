"""A small per-process cache of rendered pages that are the same for every visitor but for a
few per-visitor values (a signed stamp, a CSRF token), which the caller swaps in for
placeholders: the blank survey forms and the blank PAKN form.

Entries expire after a few minutes so a renamed unit shows up soon; the cache is bounded so a
flood of odd query strings cannot grow it. One cache per app and name (tests build many apps
on different databases).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app


class RenderedPageCache:
    def __init__(self, max_entries: int = 512, ttl_seconds: float = 300.0):
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        """The page kept under ``key``, or ``render()``'s, kept for next time."""
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

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def page_cache(name: str, max_entries: int = 512) -> RenderedPageCache:
    """This app's cache called ``name``."""
    caches = current_app.extensions.setdefault("langnghe_page_caches", {})
    cache = caches.get(name)
    if cache is None:
        cache = caches.setdefault(name, RenderedPageCache(max_entries=max_entries))
    return cache
