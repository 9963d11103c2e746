"""The outbox for system admins: counts by status, the latest messages (masked recipients,
never the body) and a retry for dead ones."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.access import Permission, require_global
from core.crypto import decrypt_text
from core.extensions import db
from core.forms import BaseForm
from core.models import OutboxMessage, OutboxStatus
from core.outbox import mask_recipient, outbox_counts, retry_message
from core.views.admin import bp

PAGE_SIZE = 200
STATUS_LABELS = {
    OutboxStatus.PENDING.value: _l("waiting to be sent"),
    OutboxStatus.SENT.value: _l("sent"),
    OutboxStatus.DEAD.value: _l("failed, given up"),
}


class RetryForm(BaseForm):
    pass


def _masked(message: OutboxMessage) -> str:
    if not message.recipient_enc:
        return _("(deleted)")
    try:
        return mask_recipient(decrypt_text(message.recipient_enc))
    except Exception:
        return _("(unreadable)")


@bp.get("/hop-thu-di")
def outbox():
    """The outbox: message counts by status and the latest messages, recipients masked."""
    require_global(current_user, Permission.SETTINGS_MANAGE)
    status = request.args.get("status") or None
    if status is not None and status not in STATUS_LABELS:
        abort(400)
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    messages = db.session.execute(stmt).scalars().all()
    return render_template("admin/outbox.html", counts=outbox_counts(), messages=messages,
                           masked={m.id: _masked(m) for m in messages}, status=status,
                           status_labels=STATUS_LABELS, form=RetryForm())


@bp.post("/hop-thu-di/<int:message_id>/gui-lai")
def outbox_retry(message_id: int):
    """Send a message that failed for good once more; back to the failed ones."""
    require_global(current_user, Permission.SETTINGS_MANAGE)
    if not RetryForm().validate_on_submit():
        abort(400)
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    if message.status != OutboxStatus.DEAD.value:
        abort(409, description=_("Only a message that failed for good can be sent again."))
    if not message.recipient_enc:
        abort(409, description=_("The recipient of this message has been deleted."))
    retry_message(message)
    db.session.commit()
    flash(_("The message will be sent again."), "success")
    return redirect(url_for("admin.outbox", status=OutboxStatus.DEAD.value))
