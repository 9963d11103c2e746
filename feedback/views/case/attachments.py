"""Downloading a case's attachments: served sandboxed, never sniffed, and logged."""

from __future__ import annotations

from flask import Response, abort

from core.audit import record_audit_now
from core.exceptions import ServiceError
from core.extensions import db
from core.spreadsheets import content_disposition
from feedback.attachments import read_attachment
from feedback.models import FeedbackAttachment
from feedback.views.case.blueprint import bp
from feedback.views.case.page import _load


@bp.get("/<int:case_id>/tep/<int:attachment_id>")
def attachment(case_id: int, attachment_id: int):
    """Download one of a case's attachments (sandboxed; the download is logged)."""
    case = _load(case_id)
    item = db.session.get(FeedbackAttachment, attachment_id)
    if item is None or item.case_id != case.id:
        abort(404)
    try:
        content = read_attachment(item)
    except ServiceError as error:
        abort(error.status)
    record_audit_now("feedback.attachment_download", object_type="feedback_case",
                     object_id=case.id, unit_id=case.agency_id,
                     after={"attachment_id": item.id})
    response = Response(content, mimetype=item.content_type)
    response.headers["Content-Disposition"] = content_disposition(item.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
