"""Messages to PAKN senders, written to the outbox in the same transaction as the change.

Connected by feedback.contributes.connect_hooks to feedback.intake.INTAKE_PREPARERS (received:
rendered and encrypted before the new case is stored, queued once it has its id) and
feedback.workflow.timeline.TRANSITION_HOOKS (not accepted, transferred, assigned, waiting,
answered).
Messages are always in Vietnamese (``force_locale("vi")``), rendered from the text templates in
templates/feedback/messages/ (first line: the subject). The sender's contact is decrypted here,
only to address the message, and never logged; the timeline records that a message was queued
with its channel and purpose, never the address. A reply by post leaves a timeline note that
a letter is to be mailed (feedback.letters prints it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from core.crypto import decrypt_json
from core.extensions import db
from core.outbox import add_message, build_message
from core.public_urls import public_base_url
from core.templating import format_date
from feedback.models import FeedbackCase, FeedbackEvent, ReplyChannel
from feedback.status import citizen_deadlines
from feedback.tracking import CODE_PARAM, format_tracking_code
from feedback.workflow import add_event, current_answer

log = logging.getLogger(__name__)

# Workflow action → message (template name and purpose "feedback.<name>").
ACTION_MESSAGES = {
    "reject": "not_accepted",
    "transfer": "transferred",
    "assign": "assigned",
    "reassign": "assigned",
    "pause": "waiting",
    "send_answer": "answered",
}
STATUS_PATH = "/tra-cuu/"
# Queues a prepared message for a stored case and notes it on the timeline (prepare_notice).
Notice = Callable[[FeedbackCase], FeedbackEvent | None]


def status_url(tracking_code: str | None = None) -> str:
    """The public status page on PUBLIC_BASE_URL, never on the request's Host header (a
    message outlives the request that caused it). With a tracking code, the link fills it in
    (see feedback.views.public.CODE_PARAM)."""
    query = {CODE_PARAM: format_tracking_code(tracking_code)} if tracking_code else {}
    return f"{public_base_url()}{STATUS_PATH}" + (f"?{urlencode(query)}" if query else "")


def render_message(name: str, **context: Any) -> tuple[str, str]:
    """(subject, body) of templates/feedback/messages/<name>.txt, in Vietnamese."""
    with force_locale("vi"):
        text = render_template(f"feedback/messages/{name}.txt", **context)
    subject, _sep, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def _contact(case: FeedbackCase) -> dict[str, str]:
    if case.contact_enc is None or case.contact_purged_at is not None:
        return {}
    try:
        return decrypt_json(case.contact_enc)
    except Exception:  # a dropped key: the message cannot be addressed
        log.warning("case %s: contact data could not be decrypted", case.id)
        return {}


def reply_address(case: FeedbackCase) -> tuple[str, str] | None:
    """(channel, address) the sender asked to be answered on, or None."""
    channel = case.reply_channel
    if channel not in (ReplyChannel.EMAIL.value, ReplyChannel.SMS.value, ReplyChannel.ZALO.value):
        return None
    contact = _contact(case)
    address = contact.get("email" if channel == ReplyChannel.EMAIL.value else "phone", "")
    return (channel, address.strip()) if address.strip() else None


def _case_context(case: FeedbackCase) -> dict[str, Any]:
    return {
        "case": case,
        "code": format_tracking_code(case.tracking_code),
        "agency": case.agency.name_vi if case.agency is not None else "",
        "handling_unit": case.handling_unit.name_vi if case.handling_unit is not None else "",
        "status_url": status_url(case.tracking_code),
        "received_on": format_date(case.received_at),
        "deadlines": citizen_deadlines(case),
    }


def notify_sender(case: FeedbackCase, name: str, **extra: Any) -> FeedbackEvent | None:
    """Queue message ``name`` to the sender on their reply channel and note it on the
    timeline. Post: a note that a letter is to be mailed. No channel: nothing."""
    notice = prepare_notice(case, name, **extra)
    return notice(case) if notice is not None else None


def prepare_notice(case: FeedbackCase, name: str, **extra: Any) -> Notice | None:
    """The part of ``notify_sender`` that needs neither the database nor the case's id (the
    address, the rendered message, its encryption). Returns what queues it and notes it on
    the timeline, given the case once stored; None when there is nothing to send."""
    purpose = f"feedback.{name}"
    if case.reply_channel == ReplyChannel.POST.value:
        if case.contact_purged_at is not None:
            return None
        with force_locale("vi"):
            note = _("Letter to be mailed to the sender.")
        return lambda stored: add_event(stored, None, "notified", reason=note, data={
            "channel": ReplyChannel.POST.value, "purpose": purpose})
    target = reply_address(case)
    if target is None:
        return None
    channel, address = target
    subject, body = render_message(name, **_case_context(case), **extra)
    message = build_message(channel, address, subject=subject, body=body, purpose=purpose,
                            object_type="feedback_case")

    def queue(stored: FeedbackCase) -> FeedbackEvent:
        add_message(message, object_id=stored.id)
        return add_event(stored, None, "notified", data={"channel": channel, "purpose": purpose})
    return queue


def prepare_received(case: FeedbackCase) -> Notice | None:
    """The "received" message, prepared before the new case is stored (feedback.intake)."""
    return prepare_notice(case, "received")


def _answer_text(case: FeedbackCase, event: FeedbackEvent) -> str:
    source = case
    via = (event.data or {}).get("via_master_id")
    if via:
        source = db.session.get(FeedbackCase, via) or case
    answer = current_answer(source)
    return answer.body if answer is not None else ""


def on_transition(case: FeedbackCase, event: FeedbackEvent) -> None:
    name = ACTION_MESSAGES.get(event.action)
    if name is None:
        return
    extra: dict[str, Any] = {"reason": event.reason or ""}
    if name == "transferred":
        extra["transferred_to"] = case.transferred_to or ""
    elif name == "answered":
        extra["answer"] = _answer_text(case, event)
    notify_sender(case, name, **extra)

