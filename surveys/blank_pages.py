"""A small per-process cache of rendered blank survey pages.

A published questionnaire never changes, so the blank form for a collection point is the same
HTML for every citizen except its signed start stamp, which the caller swaps in for the
placeholder. Entries expire after a few minutes so a renamed unit or desk shows up soon; the
cache is bounded so a flood of odd query strings cannot grow it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app

STARTED_PLACEHOLDER = "LN-STARTED-PLACEHOLDER"


class BlankPageCache:
    def __init__(self, max_entries: int = 512, ttl_seconds: float = 300.0):
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.ttl_seconds:
                self._entries.move_to_end(key)
                return hit[1]
        page = render()
        with self._lock:
            self._entries[key] = (now, page)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return page

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def blank_pages() -> BlankPageCache:
    """This app's cache (one per app: tests build many apps on different databases)."""
    return current_app.extensions.setdefault("survey_blank_pages", BlankPageCache())
