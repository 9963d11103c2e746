"""Everything the feedback package adds to the app, in one list (core.capabilities): its pages,
its API, its office menu, its periodic jobs, its gauges, its CLI and its demo data."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from core.access import Permission
from core.capabilities import Contribution
from core.jobs import PeriodicJob
from core.menu import MenuGroup, MenuItem
from core.metrics import DatabaseGauge
from feedback.api import feedback as feedback_api
from feedback.api import open311
from feedback.cli import feedback_cli
from feedback.deadline_jobs import escalate_overdue, remind_due_cases
from feedback.demo import load_feedback_demo
from feedback.followups import on_transition as start_followups
from feedback.intake import INTAKE_PREPARERS
from feedback.metrics import overdue_cases
from feedback.notifications import on_transition, prepare_received
from feedback.retention import purge_expired_contacts
from feedback.views import (
    answer_templates,
    answers_public,
    case,
    deadline_rules,
    email_upload,
    entry,
    legal_documents,
    public,
    publication,
    queue,
    routing,
)
from feedback.workflow import TRANSITION_HOOKS

CONTRIBUTION = Contribution(
    package="feedback",
    blueprints=(answer_templates.bp, answers_public.bp, case.bp, deadline_rules.bp,
                email_upload.bp, entry.bp, legal_documents.bp, public.bp, publication.bp,
                queue.bp, routing.bp),
    api_blueprints=(feedback_api.blp, open311.blp),
    menu=(
        MenuItem("feedback_queue.inbox", _l("PAKN inbox"), Permission.FEEDBACK_TRIAGE,
                 group=MenuGroup.PAKN),
        MenuItem("feedback_queue.unit", _l("My unit's PAKN"), Permission.FEEDBACK_HANDLE,
                 any_of=(Permission.FEEDBACK_APPROVE,), group=MenuGroup.PAKN),
        MenuItem("feedback_deadline_rules.index", _l("PAKN deadlines"),
                 Permission.SETTINGS_MANAGE, group=MenuGroup.PAKN),
        MenuItem("feedback_email_upload.upload", _l("Upload PAKN emails"),
                 Permission.FEEDBACK_INTAKE, group=MenuGroup.PAKN),
        MenuItem("feedback_entry.new", _l("Enter a PAKN"), Permission.FEEDBACK_INTAKE,
                 group=MenuGroup.PAKN),
        MenuItem("feedback_publication.index", _l("Published answers"),
                 Permission.FEEDBACK_APPROVE,
                 any_of=(Permission.FEEDBACK_TRIAGE, Permission.FEEDBACK_HANDLE),
                 group=MenuGroup.PAKN),
        MenuItem("feedback_legal_documents.index", _l("Legal documents"),
                 Permission.FEEDBACK_HANDLE,
                 any_of=(Permission.FEEDBACK_APPROVE, Permission.FEEDBACK_TRIAGE),
                 group=MenuGroup.PAKN),
        MenuItem("feedback_routing.rules", _l("PAKN routing rules"),
                 Permission.FEEDBACK_TRIAGE, any_of=(Permission.UNITS_MANAGE,),
                 group=MenuGroup.PAKN),
    ),
    jobs=(
        PeriodicJob("feedback.remind", remind_due_cases, timedelta(hours=1)),
        PeriodicJob("feedback.escalate", escalate_overdue, timedelta(hours=1)),
        PeriodicJob("feedback.purge_contacts", purge_expired_contacts, timedelta(hours=1)),
    ),
    gauges=(
        DatabaseGauge("langnghe_pakn_overdue_cases",
                      "Open PAKN cases past their current deadline (waiting cases excluded)",
                      overdue_cases),
    ),
    cli=feedback_cli,
    demo_loader=load_feedback_demo,
)


def connect_hooks() -> None:
    """The sender's messages: the receipt at intake and one per transition that concerns them
    (feedback.notifications), then the rating link with a sent answer (feedback.followups),
    written in the same transaction as the change."""
    if prepare_received not in INTAKE_PREPARERS:
        INTAKE_PREPARERS.append(prepare_received)
    if on_transition not in TRANSITION_HOOKS:
        TRANSITION_HOOKS.append(on_transition)
    # After the "answered" message: the rating link follows it (feedback.followups).
    if start_followups not in TRANSITION_HOOKS:
        TRANSITION_HOOKS.append(start_followups)
