"""Back office: one PAKN case. Header with deadlines, content, attachments, the timeline and
internal notes, the contact panel (revealed on request, logged), the routing panel, the answer
editor, one form per transition the user may make now, and the printable reply letter.

Every response of this blueprint is ``Cache-Control: no-store``: the pages show citizens'
text, and the contact panel and the letter show their contact data.

The blueprint and its hooks are in ``blueprint``; each route module adds its routes to it
when imported, so importing them here gives ``bp`` every route before it is registered."""

from __future__ import annotations

from feedback.views.case import attachments, contact, notes_and_answer, page, transitions
from feedback.views.case.blueprint import bp

__all__ = ["attachments", "bp", "contact", "notes_and_answer", "page", "transitions"]
