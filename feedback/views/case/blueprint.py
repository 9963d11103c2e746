"""The ``feedback_case`` blueprint and the hooks that apply to all its routes: staff only,
the office labels in every template, and ``Cache-Control: no-store`` on every response."""

from __future__ import annotations

from flask import Blueprint, Response

from core.views.admin import require_staff
from feedback.views.queue import office_labels

bp = Blueprint("feedback_case", __name__, url_prefix="/quan-tri/pakn")
bp.before_request(require_staff)
bp.context_processor(office_labels)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
