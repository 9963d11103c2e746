"""Email intake: an RFC 5322 message (from a maildir, a pipe or an uploaded .eml) becomes a
PAKN case through feedback.intake.submit_feedback.

The subject is the title, the text/plain body (or the text of the text/html body) the content,
the From address the contact email and its display name the sender's name. Attachments go
through feedback.attachments.store_attachment; one it refuses is listed in an internal note on
the case and never stops the message. The Message-ID is the idempotency key, so the same
message ingested twice (a maildir re-read, an .eml uploaded again) gives one case.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

from flask_babel import gettext as _

from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from feedback.attachments import store_attachment
from feedback.intake import (
    MAX_CONTENT,
    Contact,
    FeedbackSubmission,
    clean_text,
    existing_submission,
    submit_feedback,
)
from feedback.models import FeedbackCase, IntakeChannel, Kind, ReplyChannel, Topic
from feedback.workflow import add_event

log = logging.getLogger(__name__)

KEY_LENGTH = 80          # FeedbackCase.idempotency_key
MAX_ATTACHMENTS = 20     # more than this in one message is listed, not stored
MAX_MESSAGE_BYTES = 40 * 1024 * 1024


@dataclass
class ParsedEmail:
    message_id: str | None
    subject: str
    text: str
    sender_name: str
    sender_email: str
    sent_at: datetime | None
    has_headers: bool = True
    attachments: list[tuple[str, bytes | None]] = field(default_factory=list)


def idempotency_key_for(message_id: str | None) -> str | None:
    """"email:<message-id>", or a digest of it when the id is longer than the column."""
    if not message_id:
        return None
    key = f"email:{message_id}"
    if len(key) <= KEY_LENGTH:
        return key
    return "email:sha256:" + hashlib.sha256(message_id.encode()).hexdigest()


class _HtmlText(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
              "table", "ul", "ol", "pre", "hr", "section", "article", "header", "footer"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: tags dropped, entities decoded, blocks on lines."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip()
             for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content


def _body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    text = clean_text(_part_text(body)) if body is not None else ""
    if not text and body is not None and body.get_content_type() == "text/plain":
        # An empty plain alternative next to a real HTML one.
        html = message.get_body(preferencelist=("html",))
        text = clean_text(_part_text(html)) if html is not None else ""
    return text


def _attachments(message: EmailMessage) -> list[tuple[str, bytes | None]]:
    found = []
    for number, part in enumerate(message.iter_attachments(), start=1):
        name = clean_text(part.get_filename() or "")[:255] or f"attachment-{number}"
        payload = None if part.is_multipart() else part.get_payload(decode=True)
        found.append((name, payload))
    return found


def _sent_at(message: EmailMessage) -> datetime | None:
    try:
        header = message["date"]
        moment = header.datetime if header is not None else None
    except (TypeError, ValueError, AttributeError):
        return None
    if moment is None or moment.tzinfo is None or moment > now():
        return None  # a missing, zone-less or future Date header: use the reception time
    return moment


def _sender(message: EmailMessage) -> tuple[str, str]:
    try:
        header = message["from"]
        addresses = header.addresses if header is not None else ()
    except (TypeError, ValueError, AttributeError, IndexError):
        return "", ""
    if not addresses:
        return "", ""
    first = addresses[0]
    return clean_text(first.display_name), clean_text(first.addr_spec).lower()


def parse_email(raw: bytes) -> ParsedEmail:
    """Read an RFC 5322 message (bytes). Never raises on malformed headers: what cannot be
    read is left empty, and the caller decides whether enough is left."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    try:
        message_id = clean_text(str(message["message-id"] or "")).strip("<>").strip()
    except (TypeError, ValueError, IndexError):
        message_id = ""
    try:
        subject = clean_text(str(message["subject"] or ""))
    except (TypeError, ValueError, IndexError):
        subject = ""
    name, address = _sender(message)
    return ParsedEmail(message_id=message_id or None, subject=" ".join(subject.split()),
                       text=_body_text(message), sender_name=name, sender_email=address,
                       sent_at=_sent_at(message), has_headers=bool(message.keys()),
                       attachments=_attachments(message))


def ingest_email(raw: bytes, *, agency: Unit, channel: str = IntakeChannel.EMAIL.value
                 ) -> tuple[FeedbackCase, bool]:
    """Register one email as a case of ``agency``. Returns (case, created): a message already
    ingested (same Message-ID) returns its case with created False. A message with no text is
    refused with a ServiceError (400). Flushes; the caller commits."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ServiceError(_("The message is too large."), status=413)
    parsed = parse_email(raw)
    if not parsed.has_headers:
        raise ServiceError(_("This is not an email message."), status=400)
    key = idempotency_key_for(parsed.message_id)
    previous = existing_submission(key)
    if previous is not None:
        return previous, False
    text = parsed.text
    if not text:
        raise ServiceError(_("The message has no text to register."), status=400,
                           field="content")
    notes = []
    if len(text) > MAX_CONTENT:
        text = text[:MAX_CONTENT - 1] + "…"
        notes.append(_("The message text was longer than %(n)d characters and was cut.",
                       n=MAX_CONTENT))
    address = parsed.sender_email if "@" in parsed.sender_email else ""
    submission = FeedbackSubmission(
        content=text, title=parsed.subject, kind=Kind.REPORT.value, topic=Topic.OTHER.value,
        channel=channel, agency=agency,
        contact=Contact(name=parsed.sender_name, email=address[:300]),
        reply_channel=ReplyChannel.EMAIL.value if address else ReplyChannel.NONE.value,
        idempotency_key=key, received_at=parsed.sent_at)
    case, created = submit_feedback(submission)
    if not created:
        return case, False
    notes.extend(_keep_attachments(case, parsed.attachments))
    if notes:
        add_event(case, None, "note", reason="\n".join(notes))
    return case, True


def _keep_attachments(case: FeedbackCase, attachments: list[tuple[str, bytes | None]]
                      ) -> list[str]:
    """Store each attachment; return one line per refused one."""
    refused = []
    for number, (name, content) in enumerate(attachments, start=1):
        if number > MAX_ATTACHMENTS:
            refused.append(_("%(name)s: not kept (more than %(n)d attachments).", name=name,
                             n=MAX_ATTACHMENTS))
            continue
        if not content:
            refused.append(_("%(name)s: not kept (empty, or a forwarded message).",
                             name=name))
            continue
        try:
            with db.session.begin_nested():
                store_attachment(case, name, content, role="sender")
        except ServiceError as error:
            refused.append(_("%(name)s: not kept (%(reason)s)", name=name,
                             reason=error.message))
    if refused:
        return [_("Attachments of the email that were not kept:"), *refused]
    return []
