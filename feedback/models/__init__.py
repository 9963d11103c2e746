"""Models of the feedback (PAKN) package. Importing this module registers every table."""

from feedback.models.cases import (
    AnswerStatus,
    AnswerTemplate,
    CaseState,
    Classification,
    FeedbackAnswer,
    FeedbackAttachment,
    FeedbackCase,
    FeedbackEvent,
    IntakeChannel,
    Kind,
    RegisterCounter,
    ReplyChannel,
    Topic,
)
from feedback.models.evidence import LegalDocument, NonPublication
from feedback.models.followups import FeedbackFollowup
from feedback.models.publication import Publication
from feedback.models.routing import DeadlineRule, RoutingDecision, RoutingRule

__all__ = [
    "AnswerStatus",
    "AnswerTemplate",
    "CaseState",
    "Classification",
    "DeadlineRule",
    "FeedbackAnswer",
    "FeedbackAttachment",
    "FeedbackCase",
    "FeedbackEvent",
    "FeedbackFollowup",
    "IntakeChannel",
    "Kind",
    "LegalDocument",
    "NonPublication",
    "Publication",
    "RegisterCounter",
    "ReplyChannel",
    "RoutingDecision",
    "RoutingRule",
    "Topic",
]
