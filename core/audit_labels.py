"""What each audit action code means, in words (English message ids, Vietnamese catalogue).

The one mapping the audit log pages and exports read. Codes are strings written by every package
(``feedback.approve``, ``survey_point.created``…); a code missing here still reads sensibly: its
area's name and the code itself, so a new action never shows an empty cell.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "access.denied": _l("Access refused"),
    "apikey.issued": _l("API key issued"),
    "apikey.revoked": _l("API key revoked"),
    "audit.exported": _l("Audit log exported"),
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "calendar.override_added": _l("Working-day override added"),
    "calendar.override_updated": _l("Working-day override changed"),
    "calendar.override_removed": _l("Working-day override removed"),
    "crypto.keys_rotated": _l("Contact data keys rotated"),
    "dossier.create": _l("Dossier received"),
    "dossier.update": _l("Dossier updated"),
    "dossier.import": _l("Dossiers imported"),
    "dossier.token_issue": _l("Rating token issued"),
    "feedback.receive": _l("PAKN received"),
    "feedback.register": _l("PAKN registered"),
    "feedback.reject": _l("PAKN not accepted"),
    "feedback.transfer": _l("PAKN transferred to another agency"),
    "feedback.assign": _l("PAKN assigned"),
    "feedback.reassign": _l("PAKN reassigned"),
    "feedback.return_to_triage": _l("PAKN returned to the PAKN office"),
    "feedback.start": _l("PAKN handling started"),
    "feedback.pause": _l("PAKN waiting for the sender"),
    "feedback.resume": _l("PAKN handling resumed"),
    "feedback.extend": _l("PAKN deadline extended"),
    "feedback.escalated": _l("PAKN escalated"),
    "feedback.submit_answer": _l("PAKN answer submitted for approval"),
    "feedback.return_answer": _l("PAKN answer draft returned"),
    "feedback.approve": _l("PAKN answer approved"),
    "feedback.send_answer": _l("PAKN answer sent"),
    "feedback.publish": _l("PAKN answer published"),
    "feedback.unpublish": _l("PAKN publication withdrawn"),
    "feedback.close": _l("PAKN closed"),
    "feedback.legal_document_added": _l("Legal document added to the list"),
    "feedback.evidence_attached": _l("Evidence attached to an answer"),
    "feedback.not_published": _l("PAKN kept off the public pages"),
    "feedback.reopen": _l("PAKN reopened"),
    "feedback.sender_reopen": _l("PAKN reopened by its sender (not solved)"),
    "feedback.merge": _l("PAKN merged into another"),
    "feedback.unmerge": _l("PAKN separated from its master"),
    "feedback.contact_reveal": _l("Sender's contact data revealed"),
    "feedback.contact_used_for_redaction": _l("Sender's contact data used for redaction"),
    "feedback.contact_purged": _l("Sender's contact data deleted (retention)"),
    "feedback.attachment_download": _l("PAKN attachment downloaded"),
    "feedback.exported": _l("PAKN list exported"),
    "feedback.answer_template_created": _l("Answer template created"),
    "feedback.answer_template_updated": _l("Answer template changed"),
    "feedback.deadline_rule_added": _l("PAKN deadline rule added"),
    "feedback.publication_prepare": _l("Public answer prepared"),
    "feedback.publication_edit": _l("Public answer edited"),
    "feedback_routing_rule.created": _l("PAKN routing rule created"),
    "feedback_routing_rule.updated": _l("PAKN routing rule changed"),
    "feedback_routing_rule.deactivated": _l("PAKN routing rule switched off"),
    "feedback_routing_rule.deleted": _l("PAKN routing rule deleted"),
    "outbox.retry": _l("Outbox message retried"),
    "outbox.purged": _l("Outbox messages deleted"),
    "reports.export": _l("Report exported"),
    "integrity.recompute": _l("Integrity flags recomputed"),
    "integrity.flag_reviewed": _l("Integrity flag reviewed"),
    "reports.dossier_ratings_exported": _l("Dossier ratings exported"),
    "reports.run_downloaded": _l("Periodic report downloaded"),
    "reports.catalogue.loaded": _l("Improvement task catalogue loaded"),
    "reports.plan.drafted": _l("Improvement plan drafted"),
    "reports.plan.updated": _l("Improvement plan changed"),
    "reports.plan.exported": _l("Improvement plan exported"),
    "reports.plan.deleted": _l("Improvement plan deleted"),
    "reports.task.created": _l("Improvement task created"),
    "reports.task.updated": _l("Improvement task changed"),
    "setting.scheduled": _l("Setting value scheduled"),
    "setting.default_added": _l("Setting default added"),
    "survey.import": _l("Survey file imported"),
    "survey.paper_entered": _l("Paper form typed in"),
    "survey.sample_draw": _l("Random sample drawn"),
    "survey.sample_send": _l("Sample invitations sent"),
    "survey_campaign.created": _l("Survey campaign created"),
    "survey_campaign.updated": _l("Survey campaign changed"),
    "survey_campaign.closed": _l("Survey campaign closed"),
    "survey_instrument.created": _l("Questionnaire created"),
    "survey_instrument.renamed": _l("Questionnaire renamed"),
    "survey_version.drafted": _l("Questionnaire draft started"),
    "survey_version.loaded": _l("Questionnaire loaded from file"),
    "survey_version.imported": _l("Questionnaire imported from XLSForm"),
    "survey_version.published": _l("Questionnaire published"),
    "survey_version.retired": _l("Questionnaire retired"),
    "survey_version.deleted": _l("Questionnaire draft deleted"),
    "survey_section.added": _l("Questionnaire section added"),
    "survey_section.updated": _l("Questionnaire section changed"),
    "survey_section.moved": _l("Questionnaire section moved"),
    "survey_section.deleted": _l("Questionnaire section deleted"),
    "survey_item.added": _l("Question added"),
    "survey_item.updated": _l("Question changed"),
    "survey_item.moved": _l("Question moved"),
    "survey_item.deleted": _l("Question deleted"),
    "survey_point.created": _l("Collection point created"),
    "survey_point.rotated": _l("Collection point's QR code replaced"),
    "survey_point.deactivated": _l("Collection point closed"),
    "unit.created": _l("Unit created"),
    "unit.updated": _l("Unit changed"),
    "unit.moved": _l("Unit moved"),
    "unit.activated": _l("Unit reactivated"),
    "unit.deactivated": _l("Unit deactivated"),
    "unit.deleted": _l("Unit deleted"),
    "unit.import": _l("Units imported"),
    "user.created": _l("Account created"),
    "user.enabled": _l("Account enabled"),
    "user.disabled": _l("Account disabled"),
    "user.role_granted": _l("Role granted"),
    "user.role_revoked": _l("Role removed"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset by an administrator"),
}

# The area a code's first part names, for codes not (yet) in ACTION_LABELS.
AREA_LABELS = {
    "access": _l("Access"), "apikey": _l("API keys"), "audit": _l("Audit log"),
    "auth": _l("Sign-in"), "calendar": _l("Working-day calendar"), "crypto": _l("Encryption"),
    "dossier": _l("Dossiers"), "feedback": _l("PAKN"), "feedback_routing_rule": _l("PAKN"),
    "outbox": _l("Outbox"), "reports": _l("Reports"), "setting": _l("Settings"),
    "survey": _l("Surveys"), "survey_campaign": _l("Surveys"), "survey_instrument": _l("Surveys"),
    "survey_version": _l("Surveys"), "survey_section": _l("Surveys"), "survey_item": _l("Surveys"),
    "survey_point": _l("Surveys"), "unit": _l("Organisation"), "user": _l("Staff accounts"),
}


# What an entry's object is; an unknown type is shown as it is written.
OBJECT_TYPE_LABELS = {
    "answer_template": _l("Answer template"), "api_key": _l("API key"),
    "calendar_override": _l("Calendar entry"), "collection_point": _l("Collection point"),
    "deadline_rule": _l("Deadline rule"), "dossier": _l("Dossier"),
    "dossier_import": _l("Dossier import"), "feedback_case": _l("PAKN case"),
    "feedback_publication": _l("Public answer"), "feedback_routing_rule": _l("Routing rule"),
    "improvement_plan": _l("Improvement plan"), "improvement_task": _l("Improvement task"),
    "outbox_message": _l("Outgoing message"), "report_run": _l("Periodic report"),
    "setting": _l("Setting"), "survey_campaign": _l("Survey campaign"),
    "survey_import": _l("Survey import"), "survey_instrument": _l("Questionnaire"),
    "survey_item": _l("Question"), "survey_section": _l("Questionnaire section"),
    "survey_upload": _l("Survey file"), "survey_version": _l("Questionnaire version"),
    "unit": _l("Unit"), "unit_import": _l("Unit import"), "user": _l("Account"),
}


def object_type_label(code: str) -> str:
    label = OBJECT_TYPE_LABELS.get(code)
    return code if label is None else str(label)


def action_label(code: str) -> str:
    """The words for an action code; for an unknown code, its area and the code itself."""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    area = AREA_LABELS.get(code.split(".", 1)[0])
    return _("%(area)s: %(code)s", area=area, code=code) if area is not None else code
