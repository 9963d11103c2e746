"""A small per-process cache of rendered blank survey pages.

A published questionnaire never changes, so the blank form for a collection point is the same
HTML for every citizen except its signed start stamp, which the caller swaps in for the
placeholder. Entries expire after a few minutes so a renamed unit or desk shows up soon; the
cache is bounded so a flood of odd query strings cannot grow it.
"""

from __future__ import annotations

from core.page_cache import RenderedPageCache, page_cache

STARTED_PLACEHOLDER = "LN-STARTED-PLACEHOLDER"


def blank_pages() -> RenderedPageCache:
    """This app's cache of blank survey pages."""
    return page_cache("survey_blank_pages")
