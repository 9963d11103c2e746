"""Labels of survey codes (channels, quality) shared by the survey pages and the reports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveys.models import Channel

CHANNEL_LABELS = {
    Channel.DESK_QR: _l("Desk QR code"),
    Channel.DOSSIER_QR: _l("Dossier QR code"),
    Channel.ONLINE: _l("Online link"),
    Channel.KIOSK: _l("Kiosk"),
    Channel.PAPER: _l("Paper form"),
    Channel.IMPORT: _l("File import"),
    Channel.PAKN_FOLLOWUP: _l("PAKN senders (after the answer)"),
}
QUALITY_LABELS = {
    "ok": _l("Passed checks"),
    "flagged": _l("Flagged for review"),
}
