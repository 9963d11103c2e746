"""The fixed lists of issue 14, one home for their codes and labels (English source text; the
Vietnamese is in the translations): why a case was closed without an answer, why a case was
not published, and the kinds of legal document an answer may cite.

The closure reasons are the legal grounds for not handling a PAKN (DOMAIN.md §3, Decree
20/2008/NĐ-CP as amended): it is not a PAKN on an administrative rule at all, it is a
complaint or denunciation (other laws), it is outside our competence (transferred), it does
not meet the requirements of a PAKN (Vietnamese, clear content), it lacks the information
needed and the sender did not supply it, it is anonymous with nothing to act on, it repeats a
case already handled, or the sender withdrew it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CLOSURE_REASONS = {
    "out_of_scope": _l("Out of scope: not about an administrative rule or how it is applied"),
    "complaint": _l("A complaint or denunciation: the sender was pointed to that procedure"),
    "outside_competence": _l("Outside our competence: transferred to the competent agency"),
    "requirements_not_met": _l("Does not meet the requirements of a PAKN (not in "
                               "Vietnamese, unclear content)"),
    "insufficient_information": _l("Insufficient information, not supplied by the sender"),
    "anonymous": _l("Anonymous, with no content that can be acted on"),
    "duplicate": _l("Duplicate of a case already handled or being handled"),
    "withdrawn": _l("Withdrawn by the sender"),
}

NON_PUBLICATION_REASONS = {
    "personal_data": _l("Personal data that cannot be removed"),
    "out_of_scope": _l("Out of scope"),
    "duplicate": _l("Duplicate"),
    "abusive": _l("Abusive or offensive"),
    "withdrawn": _l("Withdrawn by the sender"),
}

DOCUMENT_KINDS = {
    "law": _l("Law"),
    "resolution": _l("Resolution"),
    "decree": _l("Decree"),
    "decision": _l("Decision"),
    "circular": _l("Circular"),
    "directive": _l("Directive"),
    "other": _l("Document"),
}


def label_of(labels: dict, code: str | None) -> str:
    """The label of ``code`` in one of the lists above ("" for None; the code itself for a
    code no longer listed, so old rows still show something)."""
    if code is None:
        return ""
    return str(labels.get(code, code))
