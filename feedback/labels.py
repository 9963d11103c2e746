"""The labels of PAKN codes (kind, topic, channel, classification), one place for the queues,
the case page, exports, the public pages and the forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "report": _l("Report (phản ánh)"),
    "recommendation": _l("Recommendation (kiến nghị)"),
    "suggestion": _l("Suggestion (góp ý)"),
}
TOPIC_LABELS = {
    "procedures": _l("Administrative procedures"),
    "staff_conduct": _l("Conduct of officials"),
    "economy": _l("Economy"),
    "health": _l("Health"),
    "education": _l("Education"),
    "public_order": _l("Public order"),
    "road_traffic": _l("Road traffic"),
    "electricity": _l("Electricity"),
    "water": _l("Water"),
    "social_security": _l("Social security"),
    "admin_reform": _l("Administrative reform"),
    "other": _l("Other"),
}
CHANNEL_LABELS = {
    "web": _l("Web form"),
    "qr": _l("QR code at the desk"),
    "survey": _l("Survey follow-up"),
    "hotline": _l("Hotline"),
    "email": _l("Email"),
    "box": _l("Suggestion box"),
    "letter": _l("Letter"),
    "meeting": _l("Meeting"),
    "portal": _l("Public-service portal"),
    "api": _l("Other system (API)"),
    "open311": _l("Open311"),
}
CLASSIFICATION_LABELS = {
    "not_accepted": _l("Not accepted"),
    "conduct": _l("Conduct of an agency or official"),
    "in_competence": _l("Within our competence"),
    "outside_competence": _l("Outside our competence"),
}
